//! Forward mode pushes tangents as the primal runs. These check the nestings against known
//! values: jvp of jvp, jvp of grad and grad of jvp, jvp inside vmap and jit, closures over outer
//! tangents (no perturbation confusion), and rule errors coming out of `try_jvp`.

use cotangent::*;

fn close(a: f64, b: f64) {
    assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{a} vs {b}");
}

fn d(f: impl Fn(&Tensor) -> Tensor) -> impl Fn(&Tensor) -> Tensor {
    move |x: &Tensor| {
        jvp(
            |xs: &[Tensor]| f(&xs[0]),
            std::slice::from_ref(x),
            &[x.ones_like()],
        )
        .1
    }
}

#[test]
fn jvp_of_jvp_is_the_second_derivative() {
    // f = x³·sin(x): f'' = 6x·sin x + 6x²·cos x − x³·sin x.
    let f = |x: &Tensor| x * x * x * x.sin();
    let x = 0.8f64;
    let want = 6.0 * x * x.sin() + 6.0 * x * x * x.cos() - x.powi(3) * x.sin();
    close(d(d(f))(&Tensor::scalar(x)).item::<f64>(), want);
    // Third order: exp's derivatives are all exp.
    close(
        d(d(d(|x: &Tensor| x.exp())))(&Tensor::scalar(0.3)).item::<f64>(),
        0.3f64.exp(),
    );
}

#[test]
fn a_rule_that_uses_its_output_nests() {
    // exp's and tanh's rules use the output: d²/dx² exp(2x) = 4·exp(2x), tanh'' = −2 tanh·sech².
    close(
        d(d(|x: &Tensor| (x * 2.0).exp()))(&Tensor::scalar(0.4)).item::<f64>(),
        4.0 * 0.8f64.exp(),
    );
    let t = 0.6f64.tanh();
    close(
        d(d(|x: &Tensor| x.tanh()))(&Tensor::scalar(0.6)).item::<f64>(),
        -2.0 * t * (1.0 - t * t),
    );
    // Mixed with reverse mode on both sides.
    close(
        grad(|x: &Tensor| d(|x: &Tensor| x.tanh())(x))(&Tensor::scalar(0.6)).item::<f64>(),
        -2.0 * t * (1.0 - t * t),
    );
    close(
        d(grad(|x: &Tensor| x.tanh()))(&Tensor::scalar(0.6)).item::<f64>(),
        -2.0 * t * (1.0 - t * t),
    );
}

#[test]
fn hvp_by_forward_over_reverse_matches_the_hessian() {
    let f = |x: &Tensor| (x.sin() * x.sum()).sum();
    let x = Tensor::from_vec(vec![0.3, -0.7, 1.1], &[3]);
    let v = Tensor::from_vec(vec![1.0, 2.0, -0.5], &[3]);
    let (_, hv) = jvp(|xs: &[Tensor]| grad(f)(&xs[0]), &[x.clone()], &[v.clone()]);
    let want = hessian(f)(&x).matmul(&v);
    for (a, b) in hv.to_vec::<f64>().iter().zip(want.to_vec::<f64>()) {
        close(*a, b);
    }
}

#[test]
fn no_perturbation_confusion_in_forward_mode() {
    // d/dx [x · d/dy (x + y)] at any x is 1 (not 2): the inner jvp differentiates y only.
    let got = d(|x: &Tensor| {
        let inner = jvp(
            |ys: &[Tensor]| x + &ys[0],
            &[Tensor::scalar(5.0)],
            &[Tensor::scalar(1.0)],
        )
        .1;
        x * &inner
    })(&Tensor::scalar(3.0));
    close(got.item::<f64>(), 1.0);
    // And with the closure over x inside the inner function: d/dx [d/dy (x·y)] = 1.
    let got = d(|x: &Tensor| {
        jvp(
            |ys: &[Tensor]| x * &ys[0],
            &[Tensor::scalar(5.0)],
            &[Tensor::scalar(1.0)],
        )
        .1
    })(&Tensor::scalar(3.0));
    close(got.item::<f64>(), 1.0);
}

#[test]
fn jvp_composes_with_vmap_and_jit() {
    let f = |x: &Tensor| x.sin() * x;
    let xs = Tensor::from_vec(vec![0.1, 0.5, 0.9, 1.3], &[4]);
    let want: Vec<f64> = xs
        .to_vec::<f64>()
        .iter()
        .map(|x| x.cos() * x + x.sin())
        .collect();
    let batched = vmap(d(f), 0, 0)(&xs);
    let jitted = jit(d(f))(&xs);
    let inside = d(|x: &Tensor| jit(f)(x))(&xs);
    for got in [batched, jitted, inside] {
        for (a, b) in got.to_vec::<f64>().iter().zip(&want) {
            close(*a, *b);
        }
    }
}

#[test]
fn jvp_through_control_flow_and_custom_rules() {
    // scan: y ← y·x three times from 1 gives x³; the derivative is 3x².
    let f = |x: &Tensor| {
        let x = x.clone();
        scan(
            move |c: &[Tensor], _: &[Tensor]| (vec![&c[0] * &x], vec![]),
            &[Tensor::scalar(1.0)],
            &[Tensor::zeros(&[3], DType::F64)],
        )
        .0
        .remove(0)
    };
    close(d(f)(&Tensor::scalar(1.5)).item::<f64>(), 3.0 * 1.5 * 1.5);
    // checkpoint is transparent to forward mode.
    let g = checkpoint(|xs: &[Tensor]| xs[0].exp() * &xs[0]);
    close(
        d(|x: &Tensor| g(std::slice::from_ref(x)))(&Tensor::scalar(0.5)).item::<f64>(),
        0.5f64.exp() * 1.5,
    );
}

#[test]
fn rule_errors_come_out_of_try_jvp() {
    set_debug_nans(true);
    let err = try_jvp(
        |xs: &[Tensor]| xs[0].sqrt() + 1.0,
        &[Tensor::scalar(0.0)],
        &[Tensor::scalar(1.0)],
    );
    set_debug_nans(false);
    let msg = err.unwrap_err().to_string();
    assert!(msg.contains("the jvp of `sqrt` produced inf"), "{msg}");
    // The level's error does not leak into the next jvp.
    let (_, t) = jvp(
        |xs: &[Tensor]| xs[0].sqrt(),
        &[Tensor::scalar(4.0)],
        &[Tensor::scalar(1.0)],
    );
    close(t.item::<f64>(), 0.25);
}
