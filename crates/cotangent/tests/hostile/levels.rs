//! Level bookkeeping probes (issue 17): a level's bit is reused once the level ends, and
//! tensors that outlive it (an argument of an inner `grad`, a tensor a dropped tape watched, a
//! tracer leaked out of `jit`) must not be taken for members of the next level with that bit.

use std::cell::RefCell;

use cotangent::*;

/// `jacfwd` over one argument of a two-argument `grad_n`: every off-diagonal Hessian block
/// computed that way used to fail ("carries the trace but was not computed from its inputs").
/// f(x, y) = Σ sin(xᵢ yᵢ): ∂²f/∂x² = diag(-y² sin(xy)), ∂²f/∂y∂x = diag(cos(xy) - xy sin(xy)).
#[test]
fn jacobian_over_one_argument_of_a_multi_argument_grad() {
    let (xv, yv): ([f64; 2], [f64; 2]) = ([0.5, 0.25], [0.3, 0.4]);
    let x = Tensor::from_vec(xv.to_vec(), &[2]);
    let y = Tensor::from_vec(yv.to_vec(), &[2]);
    let f = |v: &[Tensor]| (&v[0] * &v[1]).sin().sum();
    let gx = |x: &Tensor, y: &Tensor| grad_n(f)(&[x.clone(), y.clone()])[0].clone();
    let dxx = jacfwd(|x: &Tensor| gx(x, &y))(&x).to_vec::<f64>();
    let dxy = jacfwd(|y: &Tensor| gx(&x, y))(&y).to_vec::<f64>();
    let dxx_rev = jacrev(|x: &Tensor| gx(x, &y))(&x).to_vec::<f64>();
    for i in 0..2 {
        let (a, b) = (xv[i], yv[i]);
        let want_xx = -b * b * (a * b).sin();
        let want_xy = (a * b).cos() - a * b * (a * b).sin();
        for (got, want) in [
            (dxx[3 * i], want_xx),
            (dxy[3 * i], want_xy),
            (dxx_rev[3 * i], want_xx),
        ] {
            assert!((got - want).abs() < 1e-15, "got {got}, want {want}");
        }
        assert_eq!(dxx[1 + i], 0.0, "off-diagonal entries are zero");
    }
    // JAX float64 for the first block: [[-0.01344943, 0], [0, -0.01597335]].
    assert!((dxx[0] + 0.01344943).abs() < 1e-8 && (dxx[3] + 0.01597335).abs() < 1e-8);
}

#[test]
fn a_tensor_watched_by_a_dropped_tape_is_not_watched_by_the_next() {
    let first = GradientTape::new();
    let x = first.watch(&Tensor::scalar(3.0));
    drop(first);
    let second = GradientTape::persistent();
    let y = &x * &x;
    assert!(!y.is_tracked(), "nothing live tracks x");
    assert_eq!(second.gradient(&y, &[&x])[0].item::<f64>(), 0.0);
    // What the second tape does watch still works.
    let z = second.watch(&Tensor::scalar(2.0));
    let w = &z * &z;
    let t = GradientTape::new();
    drop(t);
    assert_eq!(second.gradient(&w, &[&z])[0].item::<f64>(), 4.0);
}

#[test]
fn a_tracer_that_escapes_jit_is_an_error_at_first_use() {
    let leak: RefCell<Option<Tensor>> = RefCell::new(None);
    let f = jit(|x: &Tensor| {
        let y = x.sin();
        *leak.borrow_mut() = Some(y.clone());
        y * 2.0
    });
    let out = f(&Tensor::scalar(1.0));
    assert!((out.item::<f64>() - 2.0 * 1f64.sin()).abs() < 1e-15);
    let escaped = leak.borrow().clone().unwrap();
    let e = escaped.try_exp().unwrap_err();
    assert_eq!(e.kind, ErrorKind::Tracing);
    let msg = e.to_string();
    assert!(msg.contains("escaped its trace"), "{msg}");
    assert!(
        msg.contains("hostile/levels.rs"),
        "names where it was made: {msg}"
    );
    assert!(escaped.try_add(&Tensor::scalar(1.0)).is_err());
}
