//! API misuse probes (issue 17): integer tensors at every differentiation entry point, asking
//! for the gradient of something never tracked, and errors that must name the user's line
//! (this file), not a line inside the library.

use std::panic::{catch_unwind, AssertUnwindSafe};

use cotangent::*;

/// The message of the panic `f` raises.
#[track_caller]
fn panic_message(f: impl FnOnce()) -> String {
    let e = catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    e.downcast_ref::<String>()
        .cloned()
        .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

/// The message names this file (the caller), and says what was wrong.
#[track_caller]
fn at_user_line(msg: &str, what: &str) {
    assert!(
        msg.contains("hostile/misuse.rs"),
        "does not name the caller: {msg}"
    );
    assert!(msg.contains(what), "does not say {what:?}: {msg}");
}

fn ints() -> Tensor {
    Tensor::from_vec(vec![1i64, 2], &[2])
}

#[test]
fn integer_tensors_are_refused_by_every_differentiation_entry_point() {
    let float_only = "only floating-point inputs can be differentiated";
    let e = ints().try_requires_grad().unwrap_err();
    assert_eq!(e.kind, ErrorKind::DType);
    at_user_line(&e.to_string(), float_only);
    at_user_line(&panic_message(|| drop(ints().requires_grad())), float_only);

    let tape = GradientTape::new();
    let e = tape.try_watch(&ints()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::DType);
    at_user_line(&e.to_string(), float_only);

    let f = |xs: &[Tensor]| xs[0].clone();
    let e = try_jvp(f, &[ints()], &[ints()]).map(|_| ()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::DType);
    at_user_line(&e.to_string(), float_only);
    assert!(try_linearize(f, &[ints()]).is_err());
    assert!(try_vjp(f, &[ints()]).is_err());
    assert!(try_value_and_grad_n(|xs: &[Tensor]| xs[0].sum(), &[ints()]).is_err());
    let e = try_jacobian_in(|x: &Tensor| x.clone(), &ints(), None).unwrap_err();
    assert_eq!(e.kind, ErrorKind::DType);

    // The closure-returning transformations name the line that built them.
    let jf = jacfwd(|x: &Tensor| x.clone());
    at_user_line(&panic_message(|| drop(jf(&ints()))), float_only);
    let jr = jacrev(|x: &Tensor| x.clone());
    at_user_line(&panic_message(|| drop(jr(&ints()))), float_only);
    let g = grad(|x: &Tensor| x.sum());
    at_user_line(&panic_message(|| drop(g(&ints()))), float_only);
}

#[test]
fn backward_of_an_untracked_value_is_an_error() {
    let y = Tensor::scalar(2.0).square();
    let e = y.try_backward().map(|_| ()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Usage);
    at_user_line(
        &e.to_string(),
        "does not depend on any tensor that requires grad",
    );
    at_user_line(&panic_message(|| drop(y.backward())), "requires grad");
    // Tracked: fine, and a leaf it does not depend on gets zeros from `wrt`.
    let x = Tensor::scalar(3.0).requires_grad();
    let other = Tensor::scalar(1.0).requires_grad();
    let g = (&x * &x).backward();
    assert_eq!(g.wrt(&x).item::<f64>(), 6.0);
    assert_eq!(g.wrt(&other).item::<f64>(), 0.0);
}

#[test]
fn non_scalar_outputs_are_reported_at_the_users_line() {
    let v = Tensor::from_vec(vec![1.0, 2.0], &[2]);
    let g = grad(|x: &Tensor| x * 2.0);
    at_user_line(&panic_message(|| drop(g(&v))), "must be a float scalar");
    let gn = grad_n(|x: &[Tensor]| &x[0] * 2.0);
    at_user_line(
        &panic_message(|| drop(gn(&[v.clone()]))),
        "must be a float scalar",
    );
    let vg = value_and_grad(|x: &Tensor| x * 2.0);
    at_user_line(&panic_message(|| drop(vg(&v))), "must be a float scalar");
    let h = hessian(|x: &Tensor| x * 2.0);
    at_user_line(&panic_message(|| drop(h(&v))), "must be a float scalar");
    let e = v.try_backward().map(|_| ()).unwrap_err();
    at_user_line(&e.to_string(), "must be a float scalar");
}

#[test]
fn traced_out_of_range_labels_are_errors_at_the_users_line() {
    // Eagerly they were refused; traced (jit, vmap) they gave a zero loss term or row.
    let logits = Tensor::from_vec(vec![0.1, 0.2, 0.3, 0.4, 0.5, 0.6], &[2, 3]);
    let bad = Tensor::from_vec(vec![2i64, 5], &[2]);
    let ce = jit::Jit::new(|xs: &[Tensor]| vec![xs[0].cross_entropy(&xs[1])]);
    let err = ce.try_call(&[logits.clone(), bad.clone()]).unwrap_err();
    at_user_line(&err.to_string(), "label 5 is out of range for 3 classes");
    let oh = jit::Jit::new(|xs: &[Tensor]| vec![xs[0].one_hot(3, DType::F64)]);
    let err = oh.try_call(std::slice::from_ref(&bad)).unwrap_err();
    at_user_line(&err.to_string(), "one_hot: label 5");
    let negative = Tensor::from_vec(vec![-1i64, 0], &[2]);
    let err = try_vmap_call(
        |xs| vec![xs[0].reshape(&[1, 3]).cross_entropy(&xs[1].reshape(&[1]))],
        &[logits.clone(), negative],
        &[Some(0), Some(0)],
        &[0],
    )
    .unwrap_err();
    at_user_line(&err.to_string(), "label -1 is out of range");
    // In range, the compiled loss equals the eager one.
    let good = Tensor::from_vec(vec![2i64, 0], &[2]);
    let want = logits.cross_entropy(&good).item::<f64>();
    let got = ce.call(&[logits, good])[0].item::<f64>();
    assert_eq!(got, want);
}
