//! `qr`, the reduced QR factorization of tall, square and (a composite) wide matrices: `A = Q R`, `QᵀQ = I`, `R` upper
//! triangular with a non-negative diagonal, on random batches in f64 and f32 and on a closed
//! form; derivatives against finite differences at orders 1 and 2 (losses of `Q`, of `R` and
//! of both); jit and vmap of a gradient against eager; shape and dtype errors, NaN input and
//! empty input. (The table, `tests/table.rs`, also runs its rows.)

use cotangent::testing::check_grads;
use cotangent::*;

fn max_abs_diff(a: &Tensor, b: &Tensor) -> f64 {
    (a - b).abs().max().item::<f64>()
}

/// Checks `A = Q R`, `QᵀQ = I`, `R` upper with a non-negative diagonal; returns the
/// reconstruction and orthonormality errors.
fn check_factors(a: &Tensor, q: &Tensor, r: &Tensor) -> (f64, f64) {
    let n = q.dims()[q.rank() - 1];
    let a64 = a.cast(DType::F64);
    let (q, r) = (q.cast(DType::F64), r.cast(DType::F64));
    let rec = max_abs_diff(&q.matmul(&r), &a64);
    let orth = max_abs_diff(&q.transpose(-1, -2).matmul(&q), &Tensor::eye(n, DType::F64));
    let below = r.tril(-1).abs().max().item::<f64>();
    assert_eq!(below, 0.0, "R is not upper triangular: {r}");
    let diag = r.diagonal(0).min().item::<f64>();
    assert!(diag >= 0.0, "negative diagonal in {r}");
    (rec, orth)
}

#[test]
fn closed_form() {
    // Columns (3, 4, 0) and (1, 2, 2): R = [[5, 11/5], [0, ...]].
    let a = Tensor::from_vec(vec![3.0, 1.0, 4.0, 2.0, 0.0, 2.0], &[3, 2]);
    let (q, r) = a.qr();
    let rv = r.to_vec::<f64>();
    assert!(
        (rv[0] - 5.0).abs() < 1e-14 && (rv[1] - 2.2).abs() < 1e-14,
        "{r}"
    );
    // r22 = ‖(1, 2, 2) − 2.2 (0.6, 0.8, 0)‖ = ‖(−0.32, 0.24, 2)‖.
    let r22 = (0.32f64 * 0.32 + 0.24 * 0.24 + 4.0).sqrt();
    assert!((rv[3] - r22).abs() < 1e-14 && rv[2] == 0.0, "{r}");
    let qv = q.to_vec::<f64>();
    assert!((qv[0] - 0.6).abs() < 1e-14 && (qv[2] - 0.8).abs() < 1e-14 && qv[4].abs() < 1e-14);
    // A negative first column: the sign convention flips it back.
    let (q2, r2) = (-&a).qr();
    assert!(r2.diagonal(0).min().item::<f64>() > 0.0);
    assert!(max_abs_diff(&q2, &-&q) < 1e-14 && max_abs_diff(&r2, &r) < 1e-14);
    // Square and 1×1.
    let (q, r) = Tensor::from_vec(vec![-2.0], &[1, 1]).qr();
    assert_eq!(
        (q.to_vec::<f64>(), r.to_vec::<f64>()),
        (vec![-1.0], vec![2.0])
    );
}

#[test]
fn reconstruction_orthonormality_and_signs() {
    for (m, n) in [(7, 4), (5, 5), (6, 1)] {
        let a = Tensor::randn(&[2, 3, m, n], 11, DType::F64);
        let (q, r) = a.qr();
        assert_eq!((q.dims(), r.dims()), (&[2, 3, m, n][..], &[2, 3, n, n][..]));
        let (rec, orth) = check_factors(&a, &q, &r);
        eprintln!("f64 {m}x{n} batch: reconstruction {rec:.1e}, orthonormality {orth:.1e}");
        assert!(rec < 1e-13 && orth < 1e-13, "{rec} {orth}");
        // Each matrix as in a loop.
        let (q1, r1) = a.narrow(0, 1, 1).narrow(1, 2, 1).reshape(&[m, n]).qr();
        assert_eq!(
            q1.to_vec::<f64>(),
            q.narrow(0, 1, 1).narrow(1, 2, 1).flatten().to_vec::<f64>()
        );
        assert_eq!(
            r1.to_vec::<f64>(),
            r.narrow(0, 1, 1).narrow(1, 2, 1).flatten().to_vec::<f64>()
        );
        let a32 = a.cast(DType::F32);
        let (q, r) = a32.qr();
        assert_eq!((q.dtype(), r.dtype()), (DType::F32, DType::F32));
        let (rec, orth) = check_factors(&a32, &q, &r);
        eprintln!("f32 {m}x{n} batch: reconstruction {rec:.1e}, orthonormality {orth:.1e}");
        assert!(rec < 1e-5 && orth < 1e-5, "{rec} {orth}");
    }
}

#[test]
fn derivatives_against_finite_differences() {
    let a = Tensor::randn(&[5, 3], 5, DType::F64);
    let b = Tensor::randn(&[5, 3], 6, DType::F64);
    let c = Tensor::randn(&[3, 3], 7, DType::F64);
    // A loss of Q.
    let bb = b.clone();
    check_grads(
        move |x: &[Tensor]| (x[0].qr().0 * &bb).sum(),
        &[a.clone()],
        2,
    )
    .unwrap();
    // A loss of R.
    let cc = c.clone();
    check_grads(
        move |x: &[Tensor]| (x[0].qr().1 * &cc).sin().sum(),
        &[a.clone()],
        2,
    )
    .unwrap();
    // Both, nonlinearly, with a second differentiable input.
    check_grads(
        |x: &[Tensor]| {
            let (q, r) = x[0].qr();
            (q.matmul(&r.exp()) * &x[1]).sum() + q.square().narrow(1, 0, 1).sum()
        },
        &[a.clone(), b.clone()],
        2,
    )
    .unwrap();
    // Square and batched.
    let ab = Tensor::randn(&[2, 4, 4], 8, DType::F64);
    check_grads(
        |x: &[Tensor]| {
            let (q, r) = x[0].qr();
            q.sin().sum() + r.square().sum()
        },
        &[ab],
        2,
    )
    .unwrap();
}

#[test]
fn jit_and_vmap_of_a_gradient_match_eager() {
    let a = Tensor::randn(&[3, 6, 4], 31, DType::F64);
    let loss = |x: &Tensor| {
        let (q, r) = x.qr();
        q.narrow(-1, 0, 2).exp().sum() + r.diagonal(0).log().sum()
    };
    let eager = grad(loss)(&a);
    let j = jit(move |x: &Tensor| grad(loss)(x));
    let err = max_abs_diff(&j(&a), &eager);
    assert!(err < 1e-12, "{err}");
    let each: Vec<Tensor> = (0..3)
        .map(|i| grad(loss)(&a.narrow(0, i, 1).squeeze(0)))
        .collect();
    let batched = vmap(move |x: &Tensor| grad(loss)(x), 0, 0)(&a);
    let err = max_abs_diff(&batched, &Tensor::stack(&each, 0));
    assert!(err < 1e-12, "{err}");
    // d log|det A| / dA = A⁻ᵀ for square A: Σ log diag(R) = log|det A|.
    let sq = Tensor::randn(&[4, 4], 3, DType::F64);
    let g = grad(|x: &Tensor| x.qr().1.diagonal(0).log().sum())(&sq);
    let err = max_abs_diff(&g, &sq.inv().t());
    eprintln!("gradient of Σ log diag(R) against A⁻ᵀ: {err:.1e}");
    assert!(err < 1e-10, "{err}");
}

#[test]
fn errors_nan_and_empty() {
    let e = Tensor::zeros(&[3], DType::F64).try_qr().unwrap_err();
    assert!(e.to_string().contains("qr"));
    let e = Tensor::from_vec(vec![1i64, 0, 0, 1], &[2, 2])
        .try_qr()
        .unwrap_err();
    assert!(e.to_string().contains("qr"));
    let bad = Tensor::from_vec(vec![1.0, f64::NAN, 0.0, 1.0], &[2, 2]);
    let (q, r) = bad.qr();
    assert!(q
        .to_vec::<f64>()
        .iter()
        .chain(&r.to_vec::<f64>())
        .all(|x| x.is_nan()));
    let (q, r) = Tensor::zeros(&[2, 3, 0], DType::F64).qr();
    assert_eq!((q.dims(), r.dims()), (&[2, 3, 0][..], &[2, 0, 0][..]));
    let (q, r) = Tensor::zeros(&[2, 0, 3], DType::F64).qr();
    assert_eq!((q.dims(), r.dims()), (&[2, 0, 0][..], &[2, 0, 3][..]));
}

/// Wide matrices (`m < n`, a composite around the square case): `Q: [m, m]`, `R: [m, n]`
/// upper trapezoidal with a non-negative diagonal, `A = Q R`, in f64 and f32; R's trailing
/// block is `Qᵀ A[:, m:]`; derivatives at orders 1 and 2; jit and vmap of a gradient.
#[test]
fn wide() {
    for (m, n) in [(3, 5), (1, 4), (2, 7)] {
        let a = Tensor::randn(&[2, m, n], 71, DType::F64);
        let (q, r) = a.qr();
        assert_eq!((q.dims(), r.dims()), (&[2, m, m][..], &[2, m, n][..]));
        let (rec, orth) = check_factors(&a, &q, &r);
        eprintln!("wide f64 {m}x{n}: reconstruction {rec:.1e}, orthonormality {orth:.1e}");
        assert!(rec < 1e-13 && orth < 1e-13, "{rec} {orth}");
        let a32 = a.cast(DType::F32);
        let (q, r) = a32.qr();
        assert_eq!(q.dtype(), DType::F32);
        let (rec, orth) = check_factors(&a32, &q, &r);
        eprintln!("wide f32 {m}x{n}: reconstruction {rec:.1e}, orthonormality {orth:.1e}");
        assert!(rec < 1e-5 && orth < 1e-5, "{rec} {orth}");
    }
    // The same Q as Householder QR of the leading square block.
    let a = Tensor::randn(&[3, 5], 72, DType::F64);
    let (q, r) = a.qr();
    let (q1, r1) = a.narrow(1, 0, 3).qr();
    assert!(max_abs_diff(&q, &q1) < 1e-15 && max_abs_diff(&r.narrow(1, 0, 3), &r1) < 1e-15);
    let c = Tensor::randn(&[3, 5], 73, DType::F64);
    check_grads(
        move |x: &[Tensor]| {
            let (q, r) = x[0].qr();
            q.sin().sum() + (r * &c).sum()
        },
        &[a.clone()],
        2,
    )
    .unwrap();
    let ab = Tensor::randn(&[3, 2, 4], 74, DType::F64);
    let loss = |x: &Tensor| {
        let (q, r) = x.qr();
        q.exp().sum() + r.square().sum()
    };
    let eager = grad(loss)(&ab);
    let j = jit(move |x: &Tensor| grad(loss)(x));
    assert!(max_abs_diff(&j(&ab), &eager) < 1e-12);
    let each: Vec<Tensor> = (0..3)
        .map(|i| grad(loss)(&ab.narrow(0, i, 1).squeeze(0)))
        .collect();
    let batched = vmap(move |x: &Tensor| grad(loss)(x), 0, 0)(&ab);
    assert!(max_abs_diff(&batched, &Tensor::stack(&each, 0)) < 1e-12);
}
