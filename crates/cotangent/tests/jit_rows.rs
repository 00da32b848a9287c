//! Row loops (issue 18 item 1): a reduction over each row of the last axes, the elementwise
//! work that feeds it and the work that consumes its broadcast result run as one fused pass
//! per row. Softmax, log-softmax, layer norm and cross-entropy, forward and backward, each
//! compile to at most two loop nests; every program here equals eager to 1e-12 in f64 and is
//! bit-identical across thread counts.

use cotangent::jit::{Jit, StepKind};
use cotangent::*;

fn assert_close(name: &str, a: &Tensor, b: &Tensor, tol: f64) {
    assert_eq!(a.dims(), b.dims(), "{name}: shapes");
    for (i, (x, y)) in a.to_f64_vec().iter().zip(b.to_f64_vec()).enumerate() {
        let ok = *x == y
            || (x - y).abs() <= tol * x.abs().max(y.abs()).max(1.0)
            || (x.is_nan() && y.is_nan());
        assert!(ok, "{name}: element {i}: jit {x} vs eager {y}");
    }
}

/// How many fused loops and standalone (non-view) primitive steps the program has.
fn counts(c: &cotangent::jit::Compiled) -> (usize, usize) {
    let report = c.report();
    let loops = report.iter().filter(|s| s.kind == StepKind::Loop).count();
    let prims = report
        .iter()
        .filter(|s| matches!(s.kind, StepKind::Primitive(_)) && s.bytes() > 0)
        .count();
    (loops, prims)
}

fn layer_norm(x: &Tensor, gamma: &Tensor, beta: &Tensor) -> Tensor {
    let mu = x.mean_axes(&[-1], true);
    let d = x - &mu;
    let var = d.square().mean_axes(&[-1], true);
    d * (var + 1e-5).sqrt().recip() * gamma + beta
}

type Program = fn(&[Tensor]) -> Vec<Tensor>;

/// Value and gradient of `sum(f(x) * w)` over the tensor inputs `xs`.
fn vjp_of(f: fn(&[Tensor]) -> Tensor, xs: &[Tensor]) -> Vec<Tensor> {
    let (w, rest) = xs.split_last().unwrap();
    let (l, mut g) = try_value_and_grad_n(|a| (f(a) * w).sum(), rest).unwrap();
    g.insert(0, l);
    g
}

fn softmax(a: &[Tensor]) -> Tensor {
    a[0].softmax(-1)
}
fn log_softmax(a: &[Tensor]) -> Tensor {
    a[0].log_softmax(-1)
}
fn ln(a: &[Tensor]) -> Tensor {
    layer_norm(&a[0], &a[1], &a[2])
}

/// (name, program, inputs, most loops, most standalone primitive steps).
fn programs(rows: usize, cols: usize) -> Vec<(&'static str, Program, Vec<Tensor>, usize, usize)> {
    let x = Tensor::randn(&[rows, cols], 0, DType::F64);
    let w = Tensor::randn(&[rows, cols], 1, DType::F64);
    let gamma = Tensor::randn(&[cols], 2, DType::F64);
    let beta = Tensor::randn(&[cols], 3, DType::F64);
    let labels = Tensor::from_vec(
        (0..rows as i64)
            .map(|i| (i * 7) % cols as i64)
            .collect::<Vec<_>>(),
        &[rows],
    );
    vec![
        ("softmax", |a| vec![softmax(a)], vec![x.clone()], 1, 0),
        (
            "log_softmax",
            |a| vec![log_softmax(a)],
            vec![x.clone()],
            1,
            0,
        ),
        (
            "layer norm",
            |a| vec![ln(a)],
            vec![x.clone(), gamma.clone(), beta.clone()],
            1,
            0,
        ),
        // Forward and backward: the forward pass, the loss's sum, the backward pass.
        (
            "softmax vjp",
            |a| vjp_of(softmax, a),
            vec![x.clone(), w.clone()],
            2,
            1,
        ),
        (
            "log_softmax vjp",
            |a| vjp_of(log_softmax, a),
            vec![x.clone(), w.clone()],
            2,
            1,
        ),
        // The forward row pass, the backward row pass, and the scale's gradient summed over
        // the rows in a loop of its own (the shift's is a plain sum, with the loss's).
        (
            "layer norm vjp",
            |a| vjp_of(ln, a),
            vec![x.clone(), gamma, beta, w],
            3,
            2,
        ),
        // The forward and backward row passes and the one-element mean; the labels' range
        // check and their one-hot comparison (on i64) and the sum over rows run on their own.
        (
            "cross-entropy value and gradient",
            |a| {
                let (l, g) = try_value_and_grad_n(|z| z[0].cross_entropy(&a[1]), &a[..1]).unwrap();
                vec![l, g[0].clone()]
            },
            vec![x, labels],
            3,
            3,
        ),
    ]
}

#[test]
fn softmax_layer_norm_and_cross_entropy_run_as_row_loops() {
    for (name, f, xs, most_loops, most_prims) in programs(37, 300) {
        let j = Jit::new(f);
        let c = j.compiled(&xs).unwrap();
        let (loops, prims) = counts(&c);
        assert!(
            loops <= most_loops && prims <= most_prims,
            "{name}: {loops} loops and {prims} primitive steps:\n{c}"
        );
        assert!(c.listing().contains("row "), "{name}: no row loop:\n{c}");
        let (got, want) = (j.call(&xs), f(&xs));
        for (a, b) in got.iter().zip(&want) {
            assert_close(name, a, b, 1e-12);
        }
    }
}

#[test]
fn row_loops_are_bit_identical_across_thread_counts() {
    // Long enough to be split across threads (whole rows per chunk), rows not a power of two.
    for (name, f, xs, _, _) in programs(1031, 131) {
        let j = Jit::new(f);
        let eager = f(&xs);
        let mut first: Option<Vec<Vec<u64>>> = None;
        for threads in [1, 2, 3] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let y = pool.install(|| j.call(&xs));
            for (a, b) in y.iter().zip(&eager) {
                assert_close(name, a, b, 1e-12);
            }
            let bits: Vec<Vec<u64>> = y
                .iter()
                .map(|t| t.to_f64_vec().iter().map(|v| v.to_bits()).collect())
                .collect();
            match &first {
                None => first = Some(bits),
                Some(f) => assert_eq!(f, &bits, "{name}: {threads} threads"),
            }
        }
    }
}

#[test]
fn row_loops_over_other_shapes_and_their_corners() {
    let x3 = Tensor::randn(&[3, 4, 50], 5, DType::F64);
    let mut x_nan = Tensor::randn(&[4, 30], 6, DType::F64).to_vec::<f64>();
    x_nan[31] = f64::NAN;
    x_nan[95] = f64::INFINITY;
    let x_nan = Tensor::from_vec(x_nan, &[4, 30]);
    let y4 = Tensor::randn(&[4], 7, DType::F64);
    let cases: Vec<(&str, Program, Vec<Tensor>, usize)> = vec![
        // A 3-d value over its last axis, and over its last two.
        (
            "3-d softmax",
            |a| vec![a[0].softmax(-1)],
            vec![x3.clone()],
            1,
        ),
        (
            "last two axes",
            |a| {
                let m = a[0].max_axes(&[1, 2], true);
                vec![(&a[0] - &m).exp().sum_axes(&[1, 2], false)]
            },
            vec![x3.clone()],
            1,
        ),
        // The row maxima and sums themselves leave the loop, with a per-row input added.
        (
            "row outputs",
            |a| {
                let m = a[0].max_axes(&[-1], false);
                let s = (&a[0] - &m.reshape(&[4, 1])).exp().sum_axes(&[-1], false);
                vec![m.clone(), s.log() + &m + &a[1]]
            },
            vec![x_nan.clone(), y4.clone()],
            1,
        ),
        // A per-row comparison selecting per-row values, broadcast back along the rows.
        (
            "per-row select",
            |a| {
                let s = a[0].sum_axes(&[-1], true);
                let pos = s.gt(&s.zeros_like());
                let scale = pos.select(&s, &(-&s));
                vec![&a[0] / &scale]
            },
            vec![x_nan.clone()],
            1,
        ),
        // A row broadcast reshaped before it leaves (written out whole, every lane), beside
        // elementwise work on it: the attention Hessian's pattern.
        (
            "reshaped broadcast output",
            |a| {
                let m = a[0].sum_axes(&[-1], true).broadcast_to(&[4, 30]);
                vec![m.reshape(&[1, 4, 30]), (&a[0] / &m).exp()]
            },
            vec![x_nan.clone()],
            1,
        ),
        // A row broadcast that is itself an output (handed on as a broadcast view).
        (
            "broadcast output",
            |a| {
                let m = a[0].sum_axes(&[-1], true).broadcast_to(&[4, 30]);
                vec![m.clone(), &a[0] * &m]
            },
            vec![x_nan.clone()],
            1,
        ),
    ];
    for (name, f, xs, most_loops) in cases {
        let j = Jit::new(f);
        let c = j.compiled(&xs).unwrap();
        assert!(counts(&c).0 <= most_loops, "{name}:\n{c}");
        assert!(c.listing().contains("row "), "{name}: no row loop:\n{c}");
        let (got, want) = (j.call(&xs), f(&xs));
        assert_eq!(got.len(), want.len());
        for (a, b) in got.iter().zip(&want) {
            assert_close(name, a, b, 1e-12);
        }
        // Twice, with last call's outputs still held.
        let again = j.call(&xs);
        for (a, b) in again.iter().zip(&got) {
            assert_close(name, a, b, 0.0);
        }
    }
}
