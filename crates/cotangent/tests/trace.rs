//! Tracing to the graph IR: listings, evaluation, errors, and tracing through other
//! transformations.

use cotangent::ir::{trace, try_trace_n};
use cotangent::prim::Aval;
use cotangent::{grad_n, DType, ErrorKind, Tensor};

fn teaching(x: &[Tensor]) -> Tensor {
    ((&x[0] + &x[1]).square() + (&x[0] * &x[1]).sin()).log()
}

fn scalars() -> Vec<Aval> {
    vec![Aval::new(&[], DType::F64), Aval::new(&[], DType::F64)]
}

#[test]
fn teaching_example_traces_and_evaluates() {
    let g = try_trace_n(|x| vec![teaching(x)], &scalars()).unwrap();
    let text = g.to_string();
    assert!(text.starts_with("graph(%0: f64[], %1: f64[]) {"), "{text}");
    assert!(text.contains("= add %0 %1 : f64[]"), "{text}");
    assert!(text.contains("= log %"), "{text}");
    let y = g.eval(&[Tensor::scalar(1.5), Tensor::scalar(0.5)]).unwrap();
    assert!((y[0].item::<f64>() - 1.5436482110).abs() < 1e-10);
}

#[test]
fn gradient_traced_into_one_graph() {
    let g = try_trace_n(|x| grad_n(teaching)(x), &scalars()).unwrap();
    let y = g.eval(&[Tensor::scalar(1.5), Tensor::scalar(0.5)]).unwrap();
    assert!((y[0].item::<f64>() - 0.9325462).abs() < 1e-7);
    assert!((y[1].item::<f64>() - 1.0888353).abs() < 1e-7);
    // The listing holds only primitives applied to the traced inputs (no concrete values).
    assert!(g.eqns().len() > 8);
}

#[test]
fn grad_of_graph_evaluation() {
    let g = try_trace_n(|x| vec![teaching(x)], &scalars()).unwrap();
    let d = grad_n(|x| g.eval(x).unwrap().remove(0))(&[Tensor::scalar(1.5), Tensor::scalar(0.5)]);
    assert!((d[0].item::<f64>() - 0.9325462).abs() < 1e-7);
}

#[test]
fn reading_a_traced_value_names_cond_and_while_loop() {
    let err = try_trace_n(
        |x| {
            let e = x[0].try_item::<f64>().unwrap_err();
            assert_eq!(e.kind, ErrorKind::Tracing);
            assert!(e.to_string().contains("cond"), "{e}");
            assert!(e.to_string().contains("while_loop"), "{e}");
            assert!(e.to_string().contains("trace.rs"), "{e}");
            vec![x[0].clone()]
        },
        &scalars(),
    );
    assert!(err.is_ok());
    let panicked = std::panic::catch_unwind(|| {
        trace(
            |x: &Tensor| {
                if x.item::<f64>() > 0.0 {
                    x.clone()
                } else {
                    -x
                }
            },
            &Aval::new(&[], DType::F64),
        )
    });
    let msg = panicked.unwrap_err();
    let msg = msg.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        msg.contains("while_loop") && msg.contains("traced"),
        "{msg}"
    );
}

#[test]
fn constants_are_captured_and_detach_stays_connected() {
    let c = Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3]);
    let g = trace(
        |x: &Tensor| (x * &c).detach() + x,
        &Aval::new(&[3], DType::F64),
    )
    .unwrap();
    assert_eq!(g.consts().len(), 1);
    assert!(g.to_string().contains("stop_gradient"), "{g}");
    let y = g
        .eval(&[Tensor::from_vec(vec![1.0, 1.0, 1.0], &[3])])
        .unwrap();
    assert_eq!(y[0].to_vec::<f64>(), vec![2.0, 3.0, 4.0]);
    // detach inside a trace still stops the derivative.
    let d = cotangent::grad(|x: &Tensor| g.eval(&[x.clone()]).unwrap().remove(0).sum())(
        &Tensor::from_vec(vec![1.0, 1.0, 1.0], &[3]),
    );
    assert_eq!(d.to_vec::<f64>(), vec![1.0, 1.0, 1.0]);
}

#[test]
fn dot_export_lists_every_equation() {
    let g = try_trace_n(|x| vec![teaching(x)], &scalars()).unwrap();
    let dot = g.to_dot();
    assert!(dot.starts_with("digraph"));
    assert_eq!(dot.matches("[label=\"%").count(), g.eqns().len());
}

#[test]
fn wrong_input_shape_is_a_clear_error() {
    let g = trace(|x: &Tensor| x.sin(), &Aval::new(&[3], DType::F64)).unwrap();
    let e = g.eval(&[Tensor::zeros(&[4], DType::F64)]).unwrap_err();
    assert!(
        e.to_string().contains("f64[3]") && e.to_string().contains("f64[4]"),
        "{e}"
    );
}

#[test]
fn an_output_that_feeds_another_output_is_listed_before_it() {
    // d/dx0 of sin(sin(x1) + x0) is c = cos(…); d/dx1 = c * cos(x1) uses it: the first output
    // is an ancestor of the second.
    let f = |a: &[Tensor]| (a[1].sin() + &a[0]).sin();
    let g = try_trace_n(|a| grad_n(f)(a), &scalars()).unwrap();
    let xs = [Tensor::scalar(0.3), Tensor::scalar(-1.2)];
    let staged = g.eval(&xs).unwrap();
    let eager = grad_n(f)(&xs);
    for (a, b) in staged.iter().zip(&eager) {
        assert_eq!(a.item::<f64>(), b.item::<f64>());
    }
}

#[test]
fn function_primitives_trace_and_replay_with_their_rules() {
    use cotangent::{checkpoint, custom_vjp, grad, vmap_n};
    // Forward: x²; custom reverse rule: 100 · g (deliberately not the true derivative).
    let odd = custom_vjp(
        |xs: &[Tensor]| xs[0].square(),
        |_, _, g: &Tensor| vec![g * 100.0],
    );
    let ck = checkpoint(|xs: &[Tensor]| xs[0].sin() * 3.0);
    let f = move |x: &Tensor| odd(&[ck(&[x.clone()])]).sum();
    let g = trace(&f, &Aval::new(&[2], DType::F64)).unwrap();
    let text = g.to_string();
    assert!(
        text.contains("custom_vjp") && text.contains("checkpoint"),
        "{text}"
    );
    let x = Tensor::from_vec(vec![0.2, -0.7], &[2]);
    let staged = g.eval(&[x.clone()]).unwrap().remove(0);
    assert_eq!(staged.item::<f64>(), f(&x).item::<f64>());
    // The gradient of the replayed graph goes through the custom rule: 100 · 3cos(x).
    let d = grad(|x: &Tensor| g.eval(&[x.clone()]).unwrap().remove(0))(&x);
    let want: Vec<f64> = x.to_vec::<f64>().iter().map(|v| 300.0 * v.cos()).collect();
    for (a, b) in d.to_vec::<f64>().iter().zip(&want) {
        assert!((a - b).abs() < 1e-12, "{a} vs {b}");
    }
    // A function primitive whose inputs are all shared under vmap (unbatched equation).
    let shared = Tensor::from_vec(vec![1.0, 2.0], &[2]);
    let ck2 = checkpoint(|xs: &[Tensor]| xs[0].exp());
    let m = vmap_n(
        move |a: &[Tensor]| vec![&a[0] * &ck2(&[shared.clone()])],
        vec![Some(0)],
        vec![0],
    )(&[Tensor::ones(&[3, 2], DType::F64)]);
    assert_eq!(m[0].to_vec::<f64>()[1], 2f64.exp());
}
