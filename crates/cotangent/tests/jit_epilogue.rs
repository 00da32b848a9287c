//! A reduction whose operand is not in a loop (a matmul's result) and whose result one later
//! loop reads runs as that loop's first phase: the bias gradients and their SGD updates of an
//! MLP step, a loss's sum and its mean, a sum over a middle axis, a max, a sum read as a
//! splatted scalar. Values are bit for bit the eager ones (the first phase calls the reduction's
//! own kernel), in f32 and f64; a reduction that is also returned, or read by two loops, stays
//! a step of its own.

use cotangent::jit::{Jit, StepKind};
use cotangent::*;

fn bits(t: &Tensor) -> Vec<u64> {
    t.to_f64_vec().iter().map(|x| x.to_bits()).collect()
}

/// Names of the primitive steps of `j`'s program at `xs`, and its loop count.
fn shape_of<F: Fn(&[Tensor]) -> Vec<Tensor>>(
    j: &Jit<F>,
    xs: &[Tensor],
) -> (Vec<&'static str>, usize) {
    let c = j.compiled(xs).unwrap();
    let prims = c
        .report()
        .iter()
        .filter_map(|r| match r.kind {
            StepKind::Primitive(n) => Some(n),
            StepKind::Loop => None,
        })
        .collect();
    (prims, c.kernels())
}

#[test]
fn reductions_join_the_loop_that_reads_them() {
    for dtype in [DType::F32, DType::F64] {
        let a = Tensor::randn(&[64, 48], 1, dtype);
        let w = Tensor::randn(&[48, 40], 2, dtype);
        let b = Tensor::randn(&[40], 3, dtype);
        type Case = (&'static str, fn(&Tensor) -> Tensor);
        let cases: [Case; 4] = [
            // A bias gradient and its SGD update.
            ("bias update", |z| z.sum_axes(&[0], false) * 0.01),
            ("max", |z| z.max_axes(&[0], false).exp()),
            ("splatted sum", |z| z / &z.sum()),
            ("middle axis", |z| {
                z.reshape(&[8, 8, 40]).sum_axes(&[1], false).tanh()
            }),
        ];
        for (name, f) in cases {
            let j = Jit::new(move |x: &[Tensor]| vec![b_sub(&x[2], &f(&x[0].matmul(&x[1])))]);
            let xs = [a.clone(), w.clone(), b.clone()];
            let eager = b_sub(&b, &f(&a.matmul(&w)));
            let got = j.call(&xs).remove(0);
            assert_eq!(bits(&got), bits(&eager), "{name} {dtype}");
            let (prims, _) = shape_of(&j, &xs);
            assert!(
                prims.iter().all(|p| !["sum", "reduce_max"].contains(p)),
                "{name} {dtype}: {prims:?}"
            );
        }
    }
}

/// `b - y` when `y` is a vector like `b` (an SGD update), else `y + 1`.
fn b_sub(b: &Tensor, y: &Tensor) -> Tensor {
    if y.dims() == b.dims() {
        b - y
    } else {
        y + 1.0
    }
}

#[test]
fn a_reduction_read_twice_or_returned_stays_a_step() {
    let a = Tensor::randn(&[32, 16], 4, DType::F64);
    let w = Tensor::randn(&[16, 8], 5, DType::F64);
    let twice = Jit::new(|x: &[Tensor]| {
        let s = x[0].matmul(&x[1]).sum_axes(&[0], false);
        vec![s.exp(), (&s * 2.0).sin().sum()]
    });
    let xs = [a.clone(), w.clone()];
    let (prims, _) = shape_of(&twice, &xs);
    assert!(prims.contains(&"sum"), "{prims:?}");
    let returned = Jit::new(|x: &[Tensor]| {
        let s = x[0].matmul(&x[1]).sum_axes(&[0], false);
        vec![s.exp(), s]
    });
    let (prims, _) = shape_of(&returned, &xs);
    assert!(prims.contains(&"sum"), "{prims:?}");
    let s = a.matmul(&w).sum_axes(&[0], false);
    let out = returned.call(&xs);
    assert_eq!(bits(&out[0]), bits(&s.exp()));
    assert_eq!(bits(&out[1]), bits(&s));
}

/// The MLP train step of the benchmark: no reduction runs as a step of its own, and every loop
/// that updates a bias computes its gradient first.
#[test]
fn mlp_step_has_no_standalone_reductions() {
    let sizes = [784usize, 512, 512, 10];
    let mut params = Vec::new();
    for (l, w) in sizes.windows(2).enumerate() {
        params.push(Tensor::randn(&[w[0], w[1]], l as u64, DType::F32) * 0.05);
        params.push(Tensor::zeros(&[w[1]], DType::F32));
    }
    let x = Tensor::randn(&[128, 784], 9, DType::F32);
    let y = Tensor::from_vec((0..128i64).map(|i| i % 10).collect::<Vec<_>>(), &[128]);
    let np = params.len();
    let forward = |ps: &[Tensor], x: &Tensor| {
        let mut h = x.clone();
        for i in (0..ps.len() - 2).step_by(2) {
            h = (h.matmul(&ps[i]) + &ps[i + 1]).relu();
        }
        h.matmul(&ps[ps.len() - 2]) + &ps[ps.len() - 1]
    };
    let step = move |a: &[Tensor]| {
        let (x, y) = (&a[np], &a[np + 1]);
        let (loss, grads) =
            try_value_and_grad_n(|p| forward(p, x).cross_entropy(y), &a[..np]).unwrap();
        let new: Vec<Tensor> = no_grad(|| {
            a[..np]
                .iter()
                .zip(&grads)
                .map(|(p, g)| p - &(g * 0.01))
                .collect()
        });
        std::iter::once(loss).chain(new).collect::<Vec<_>>()
    };
    let j = Jit::new(step);
    let args: Vec<Tensor> = params.iter().chain([&x, &y]).cloned().collect();
    let (prims, _) = shape_of(&j, &args);
    assert!(!prims.contains(&"sum"), "{prims:?}");
    let eager = step(&args);
    for (i, (a, b)) in j.call(&args).iter().zip(&eager).enumerate() {
        for (p, q) in a.to_f64_vec().iter().zip(b.to_f64_vec()) {
            assert!(
                (p - q).abs() <= 1e-5 * q.abs().max(1.0),
                "output {i}: {p} vs {q}"
            );
        }
    }
}
