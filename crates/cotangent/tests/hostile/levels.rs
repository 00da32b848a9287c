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

/// A per-example index out of its example's range, with the indices traced (`jit(vmap(..))`,
/// a replayed graph): an error in the user's terms, never the neighbouring example's data
/// (`[[3], [0]]` on `[[1, 2, 3], [4, 5, 6]]` used to give `[4, 4]`).
#[test]
fn per_example_indices_are_bounded_per_example_under_every_transformation() {
    let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    let gather = |xs: &[Tensor]| vec![xs[0].index_select(0, &xs[1])];
    let batched = vmap_n(gather, vec![Some(0), Some(0)], vec![0]);
    let jitted = Jit::new(move |xs: &[Tensor]| batched(xs));
    let good = Tensor::from_vec(vec![2i64, 0], &[2, 1]);
    assert_eq!(
        jitted.call(&[x.clone(), good]).remove(0).to_vec::<f64>(),
        vec![3.0, 4.0]
    );
    // Negative indices wrap within the example.
    let neg = Tensor::from_vec(vec![-1i64, -3], &[2, 1]);
    assert_eq!(
        jitted.call(&[x.clone(), neg]).remove(0).to_vec::<f64>(),
        vec![3.0, 4.0]
    );
    let bad = Tensor::from_vec(vec![3i64, 0], &[2, 1]);
    let e = jitted.try_call(&[x.clone(), bad.clone()]).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Index);
    assert!(
        e.to_string()
            .contains("index 3 is out of range for a dimension of size 3"),
        "in the user's terms: {e}"
    );
    // Eager vmap, and the gradient under jit: the same error.
    let eager = vmap_n(gather, vec![Some(0), Some(0)], vec![0]);
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        eager(&[x.clone(), bad.clone()])
    }));
    assert!(r.is_err());
    let scatter = Jit::new(|xs: &[Tensor]| {
        let g = vmap_n(
            |a: &[Tensor]| vec![grad(|t: &Tensor| t.index_select(0, &a[1]).sum())(&a[0])],
            vec![Some(0), Some(0)],
            vec![0],
        );
        g(xs)
    });
    let ok = scatter.call(&[x.clone(), Tensor::from_vec(vec![1i64, 2], &[2, 1])]);
    assert_eq!(ok[0].to_vec::<f64>(), vec![0.0, 1.0, 0.0, 0.0, 0.0, 1.0]);
    assert!(scatter.try_call(&[x, bad]).is_err());
}
