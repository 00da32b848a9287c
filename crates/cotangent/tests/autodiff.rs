//! Reverse mode end to end: the teaching example, higher order, perturbation confusion, the
//! three styles (backward, functional, tape), dynamic control flow and the network shapes the
//! seed names (residual block, causal attention).

use cotangent::testing::check_grads;
use cotangent::*;

fn teaching(x: &[Tensor]) -> Tensor {
    ((&x[0] + &x[1]).square() + (&x[0] * &x[1]).sin()).log()
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + b.abs())
}

/// Hand-derived: u = s² + sin p, s = x1 + x2, p = x1·x2, f = log u,
/// f_ij = u_ij/u − u_i u_j/u², u_1 = 2s + x2 cos p, u_2 = 2s + x1 cos p,
/// u_11 = 2 − x2² sin p, u_22 = 2 − x1² sin p, u_12 = 2 + cos p − x1 x2 sin p.
fn teaching_reference(x1: f64, x2: f64) -> (f64, [f64; 2], [[f64; 2]; 2]) {
    let (s, p) = (x1 + x2, x1 * x2);
    let u = s * s + p.sin();
    let u1 = 2.0 * s + x2 * p.cos();
    let u2 = 2.0 * s + x1 * p.cos();
    let u11 = 2.0 - x2 * x2 * p.sin();
    let u22 = 2.0 - x1 * x1 * p.sin();
    let u12 = 2.0 + p.cos() - x1 * x2 * p.sin();
    let h = |uij: f64, ui: f64, uj: f64| uij / u - ui * uj / (u * u);
    (
        u.ln(),
        [u1 / u, u2 / u],
        [
            [h(u11, u1, u1), h(u12, u1, u2)],
            [h(u12, u2, u1), h(u22, u2, u2)],
        ],
    )
}

#[test]
fn teaching_example_value_and_gradient() {
    let xs = [Tensor::scalar(1.5), Tensor::scalar(0.5)];
    let (v, g) = try_value_and_grad_n(teaching, &xs).unwrap();
    let (rv, rg, _) = teaching_reference(1.5, 0.5);
    assert!(close(v.item::<f64>(), 1.5436482110, 1e-10));
    assert!(close(v.item::<f64>(), rv, 1e-12));
    assert!(close(g[0].item::<f64>(), rg[0], 1e-12));
    assert!(close(g[1].item::<f64>(), rg[1], 1e-12));
    assert!(close(g[0].item::<f64>(), 0.9325462, 1e-7));
    assert!(close(g[1].item::<f64>(), 1.0888353, 1e-7));
}

#[test]
fn teaching_example_hessian() {
    let f = |x: &Tensor| {
        let parts = [x.narrow(0, 0, 1).sum(), x.narrow(0, 1, 1).sum()];
        teaching(&parts)
    };
    let h = hessian(f)(&Tensor::from_vec(vec![1.5, 0.5], &[2]));
    let (_, _, rh) = teaching_reference(1.5, 0.5);
    let hv = h.to_vec::<f64>();
    assert_eq!(h.dims(), &[2, 2]);
    for i in 0..2 {
        for j in 0..2 {
            assert!(
                close(hv[i * 2 + j], rh[i][j], 1e-12),
                "H[{i}][{j}] = {}",
                hv[i * 2 + j]
            );
        }
    }
    assert_eq!(hv[1], hv[2], "the Hessian is symmetric");
    check_grads(teaching, &[Tensor::scalar(1.5), Tensor::scalar(0.5)], 3).unwrap();
}

#[test]
fn three_styles_agree() {
    let (_, rg, _) = teaching_reference(1.5, 0.5);
    // PyTorch style.
    let x1 = Tensor::scalar(1.5).requires_grad();
    let x2 = Tensor::scalar(0.5).requires_grad();
    let grads = teaching(&[x1.clone(), x2.clone()]).backward();
    assert!(close(grads.wrt(&x1).item::<f64>(), rg[0], 1e-12));
    assert!(close(grads.wrt(&x2).item::<f64>(), rg[1], 1e-12));
    // TensorFlow style.
    let tape = GradientTape::new();
    let (a, b) = (
        tape.watch(&Tensor::scalar(1.5)),
        tape.watch(&Tensor::scalar(0.5)),
    );
    let y = teaching(&[a.clone(), b.clone()]);
    let g = tape.gradient(&y, &[&a, &b]);
    assert!(close(g[0].item::<f64>(), rg[0], 1e-12));
    assert!(close(g[1].item::<f64>(), rg[1], 1e-12));
    assert!(
        tape.try_gradient(&y, &[&a]).is_err(),
        "a plain tape answers once"
    );
    // JAX style, through vjp.
    let (_, pb) = vjp(teaching, &[Tensor::scalar(1.5), Tensor::scalar(0.5)]);
    let g = pb.call(&Tensor::scalar(1.0));
    assert!(close(g[1].item::<f64>(), rg[1], 1e-12));
}

#[test]
fn gradients_along_several_paths_are_summed() {
    let x = Tensor::scalar(3.0).requires_grad();
    let y = &x * &x + &x + x.sin() * &x;
    let g = y.backward().wrt(&x).item::<f64>();
    assert!(close(
        g,
        2.0 * 3.0 + 1.0 + 3f64.cos() * 3.0 + 3f64.sin(),
        1e-14
    ));
}

#[test]
fn perturbation_confusion_does_not_occur() {
    // d/dx [x · d/dy (x + y)] at x = 1 is 1 (not 2), in every nesting of the modes.
    let one = Tensor::scalar(1.0);
    let inner_rev = |x: &Tensor| {
        let x = x.clone();
        grad(move |y: &Tensor| &x + y)(&Tensor::scalar(1.0))
    };
    let f_rev = |x: &Tensor| x * &inner_rev(x);
    assert_eq!(grad(f_rev)(&one).item::<f64>(), 1.0);
    let inner_fwd = |x: &Tensor| {
        let x = x.clone();
        jvp(
            move |y: &[Tensor]| &x + &y[0],
            &[Tensor::scalar(1.0)],
            &[Tensor::scalar(1.0)],
        )
        .1
    };
    let f_fwd = |xs: &[Tensor]| &xs[0] * &inner_fwd(&xs[0]);
    assert_eq!(
        jvp(f_fwd, &[one.clone()], &[one.clone()]).1.item::<f64>(),
        1.0
    );
    assert_eq!(
        grad(|x: &Tensor| f_fwd(&[x.clone()]))(&one).item::<f64>(),
        1.0
    );
    assert_eq!(
        jvp(|xs: &[Tensor]| f_rev(&xs[0]), &[one.clone()], &[one])
            .1
            .item::<f64>(),
        1.0
    );
}

#[test]
fn third_derivative_of_tanh() {
    let x = 0.7f64;
    let d3 = grad(grad(grad(|x: &Tensor| x.tanh())))(&Tensor::scalar(x)).item::<f64>();
    let t = x.tanh();
    let expected = -2.0 * (1.0 - t * t) * (1.0 - 3.0 * t * t);
    assert!(close(d3, expected, 1e-13), "{d3} vs {expected}");
}

#[test]
fn gradient_of_a_gradient_norm_penalty() {
    // f(w) = Σ w³, ∇f = 3w², penalty = Σ (∇f)² = 9 Σ w⁴, ∇penalty = 36 w³.
    let w0 = Tensor::from_vec(vec![0.5, -1.0, 2.0], &[3]);
    let expected: Vec<f64> = w0
        .to_vec::<f64>()
        .iter()
        .map(|w| 36.0 * w * w * w)
        .collect();
    let w = w0.requires_grad();
    let g = w.powf(3.0).sum().backward_create_graph().wrt(&w);
    let penalty = g.square().sum();
    assert_eq!(penalty.backward().wrt(&w).to_vec::<f64>(), expected);
    let functional = grad(|w: &Tensor| grad(|w: &Tensor| w.powf(3.0).sum())(w).square().sum());
    assert_eq!(functional(&w0).to_vec::<f64>(), expected);
}

/// Newton's iteration for sqrt(a), run until converged: the trip count depends on the values.
fn newton_sqrt(a: &Tensor) -> Tensor {
    let mut y = a.ones_like();
    for _ in 0..100 {
        let next = (&y + &(a / &y)) * 0.5;
        let done = (&next - &y).abs().max().item::<f64>() < 1e-15;
        y = next;
        if done {
            break;
        }
    }
    y
}

#[test]
fn gradient_through_a_value_dependent_loop() {
    let a = Tensor::from_vec(vec![2.0, 9.0, 0.25], &[3]);
    let g = grad(|a: &Tensor| newton_sqrt(a).sum())(&a).to_vec::<f64>();
    for (g, a) in g.iter().zip([2.0f64, 9.0, 0.25]) {
        assert!(close(*g, 0.5 / a.sqrt(), 1e-12), "{g}");
    }
    check_grads(|xs| newton_sqrt(&xs[0]), &[a], 2).unwrap();
}

#[test]
fn residual_block() {
    // y = x + W2 · relu(W1 · x + b1): the skip path and the block path both carry gradient.
    let block = |xs: &[Tensor]| {
        let (x, w1, b1, w2) = (&xs[0], &xs[1], &xs[2], &xs[3]);
        let h = (x.matmul(&w1.t()) + b1).relu();
        (x + &h.matmul(&w2.t())).tanh().sum()
    };
    let inputs = [
        Tensor::randn(&[4, 6], 1, DType::F64),
        Tensor::randn(&[8, 6], 2, DType::F64),
        Tensor::randn(&[8], 3, DType::F64),
        Tensor::randn(&[6, 8], 4, DType::F64) * 0.3,
    ];
    check_grads(block, &inputs, 2).unwrap();
}

fn causal_attention(xs: &[Tensor]) -> Tensor {
    let (q, k, v) = (&xs[0], &xs[1], &xs[2]);
    let (t, d) = (q.dims()[0], q.dims()[1]);
    let scores = q.matmul(&k.t()) / (d as f64).sqrt();
    let rows = Tensor::arange(0.0, t as f64, 1.0, DType::I64).unsqueeze(1);
    let cols = Tensor::arange(0.0, t as f64, 1.0, DType::I64).unsqueeze(0);
    let masked = cols
        .le(&rows)
        .select(&scores, &Tensor::scalar(f64::NEG_INFINITY));
    masked.softmax(-1).matmul(v)
}

#[test]
fn causal_scaled_dot_product_attention() {
    let inputs = [
        Tensor::randn(&[5, 4], 10, DType::F64),
        Tensor::randn(&[5, 4], 11, DType::F64),
        Tensor::randn(&[5, 3], 12, DType::F64),
    ];
    // The first query sees only the first key: its output is exactly the first value row.
    let out = causal_attention(&inputs);
    assert_eq!(
        out.narrow(0, 0, 1).to_vec::<f64>(),
        inputs[2].narrow(0, 0, 1).to_vec::<f64>()
    );
    check_grads(causal_attention, &inputs, 2).unwrap();
}

#[test]
fn detach_no_grad_and_stop_gradient_block_gradients() {
    let x = Tensor::scalar(2.0).requires_grad();
    let y = &x * &x.detach();
    assert_eq!(y.backward().wrt(&x).item::<f64>(), 2.0);
    let z = no_grad(|| &x * &x);
    assert!(!z.is_tracked());
    let g = grad(|x: &Tensor| x * &x.detach())(&Tensor::scalar(3.0));
    assert_eq!(g.item::<f64>(), 3.0);
}

#[test]
fn user_defined_primitive_gets_every_transformation() {
    use cotangent::prim::{Aval, AvalRef, Primitive};
    #[derive(Debug)]
    struct Square;
    impl Primitive for Square {
        fn name(&self) -> &'static str {
            "my_square"
        }
        fn abstract_eval(&self, i: &[AvalRef<'_>]) -> Result<Aval> {
            Ok(Aval {
                shape: i[0].shape.clone(),
                dtype: i[0].dtype,
            })
        }
        fn eval(&self, i: &[&Value]) -> Result<Value> {
            let x = i[0].to_vec::<f64>();
            Ok(Value::from_vec(
                x.iter().map(|v| v * v).collect(),
                i[0].shape().clone(),
            ))
        }
        fn jvp(&self, p: &[Tensor], t: &[Option<Tensor>], _: &Tensor) -> Result<Option<Tensor>> {
            Ok(t[0].as_ref().map(|t| t * &p[0] * 2.0))
        }
        fn vjp(&self, p: &[Tensor], _: &Tensor, g: &Tensor) -> Result<Vec<Option<Tensor>>> {
            Ok(vec![Some(g * &p[0] * 2.0)])
        }
    }
    let f = |xs: &[Tensor]| apply_primitive(Square, &[xs[0].sin()]).unwrap().sum();
    check_grads(f, &[Tensor::from_vec(vec![0.3, -1.1], &[2])], 2).unwrap();
}
