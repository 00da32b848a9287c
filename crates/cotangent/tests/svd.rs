//! `svd`, the thin singular value decomposition, and what is built on it (`pinv`, `lstsq`,
//! the spectral and nuclear matrix norms): reconstruction and orthonormality on random
//! batches (tall, square, wide) in f64 and f32; closed forms and NumPy reference values;
//! derivatives against finite differences at orders 1 and 2; jit and vmap of a gradient
//! against eager; the gradient of the nuclear norm against `U Vᵀ`; a rank-deficient matrix
//! (the Moore–Penrose conditions of its pseudo-inverse, gradients of functions of the singular
//! values); `lstsq` against the normal equations; errors, NaN and empty input. (The table,
//! `tests/table.rs`, also runs rows of `svd`.)

use cotangent::testing::check_grads;
use cotangent::*;

fn max_abs_diff(a: &Tensor, b: &Tensor) -> f64 {
    (a.cast(DType::F64) - b.cast(DType::F64))
        .abs()
        .max()
        .item::<f64>()
}

fn t64(v: &[f64], shape: &[usize]) -> Tensor {
    Tensor::from_vec(v.to_vec(), shape)
}

/// `U diag(s) Vᵀ`.
fn rebuild(u: &Tensor, s: &Tensor, vt: &Tensor) -> Tensor {
    (u * &s.unsqueeze(-2)).matmul(vt)
}

/// Checks the factor shapes, `s` descending and non-negative, the sign convention (the
/// largest-magnitude entry of each column of `U` positive); returns the reconstruction and
/// orthonormality errors (in f64).
fn check_factors(a: &Tensor, u: &Tensor, s: &Tensor, vt: &Tensor) -> (f64, f64) {
    let d = a.dims();
    let (m, n) = (d[d.len() - 2], d[d.len() - 1]);
    let k = m.min(n);
    let batch = &d[..d.len() - 2];
    let with = |tail: &[usize]| [batch, tail].concat();
    assert_eq!(u.dims(), &with(&[m, k])[..]);
    assert_eq!(s.dims(), &with(&[k])[..]);
    assert_eq!(vt.dims(), &with(&[k, n])[..]);
    let (u, s, vt) = (u.cast(DType::F64), s.cast(DType::F64), vt.cast(DType::F64));
    let sv = s.to_vec::<f64>();
    for c in sv.chunks(k) {
        assert!(c.windows(2).all(|w| w[0] >= w[1]) && c[k - 1] >= 0.0, "{s}");
    }
    let uv = u.to_vec::<f64>();
    for mat in uv.chunks(m * k) {
        for c in 0..k {
            let col: Vec<f64> = (0..m).map(|r| mat[r * k + c]).collect();
            let big = col.iter().cloned().fold(0.0f64, |x, y| x.max(y.abs()));
            let pos = col.iter().cloned().fold(f64::MIN, f64::max);
            assert!(pos >= big * (1.0 - 1e-5), "sign convention: column {col:?}");
        }
    }
    let rec = max_abs_diff(&rebuild(&u, &s, &vt), a);
    let eye = Tensor::eye(k, DType::F64);
    let orth_u = max_abs_diff(&u.transpose(-1, -2).matmul(&u), &eye);
    let orth_v = max_abs_diff(&vt.matmul(&vt.transpose(-1, -2)), &eye);
    (rec, orth_u.max(orth_v))
}

#[test]
fn closed_forms() {
    // [[3, 0], [4, 5]]: AᵀA = [[25, 20], [20, 25]], s² = 45 and 5.
    let a = t64(&[3.0, 0.0, 4.0, 5.0], &[2, 2]);
    let (u, s, vt) = a.svd();
    let sv = s.to_vec::<f64>();
    assert!((sv[0] - 45f64.sqrt()).abs() < 1e-14 && (sv[1] - 5f64.sqrt()).abs() < 1e-14);
    // U = [[1, 3], [3, −1]]/√10 and V = [[1, 1], [1, −1]]/√2 (with the sign convention:
    // the largest-magnitude entry of each column of U positive).
    let r10 = 10f64.sqrt();
    let r2 = 2f64.sqrt();
    let want_u = t64(&[1.0 / r10, 3.0 / r10, 3.0 / r10, -1.0 / r10], &[2, 2]);
    let want_vt = t64(&[1.0 / r2, 1.0 / r2, 1.0 / r2, -1.0 / r2], &[2, 2]);
    assert!(max_abs_diff(&u, &want_u) < 1e-14, "{u}");
    assert!(max_abs_diff(&vt, &want_vt) < 1e-14, "{vt}");
    // −A: the same U (the convention fixes it), V negated.
    let (u2, s2, vt2) = (-&a).svd();
    assert!(max_abs_diff(&u2, &u) < 1e-14 && max_abs_diff(&s2, &s) < 1e-14);
    assert!(max_abs_diff(&vt2, &-&vt) < 1e-14);
    // A diagonal matrix with a negative entry: s = |d| sorted.
    let (_, s, _) = t64(&[1.0, 0.0, 0.0, 0.0, -3.0, 0.0, 0.0, 0.0, 2.0], &[3, 3]).svd();
    assert!(
        max_abs_diff(&s, &t64(&[3.0, 2.0, 1.0], &[3])) < 1e-14,
        "{s}"
    );
    // Rank one, x yᵀ: s = (‖x‖‖y‖, 0, 0), u₁ = x/‖x‖, v₁ = y/‖y‖.
    let x = t64(&[1.0, 2.0, 2.0, 4.0], &[4, 1]);
    let y = t64(&[2.0, -1.0, 2.0], &[1, 3]);
    let (u, s, vt) = x.matmul(&y).svd();
    let sv = s.to_vec::<f64>();
    assert!((sv[0] - 15.0).abs() < 1e-13 && sv[1].abs() < 1e-13 && sv[2].abs() < 1e-13);
    assert!(max_abs_diff(&u.narrow(1, 0, 1), &(&x / 5.0)) < 1e-14);
    assert!(max_abs_diff(&vt.narrow(0, 0, 1), &(&y / 3.0)) < 1e-14);
    // 1×1 and a zero matrix.
    let (u, s, vt) = t64(&[-2.0], &[1, 1]).svd();
    assert_eq!(
        (u.to_vec::<f64>(), s.to_vec::<f64>(), vt.to_vec::<f64>()),
        (vec![1.0], vec![2.0], vec![-1.0])
    );
    let (u, s, vt) = Tensor::zeros(&[3, 2], DType::F64).svd();
    assert_eq!(s.to_vec::<f64>(), vec![0.0, 0.0]);
    let (rec, orth) = check_factors(&Tensor::zeros(&[3, 2], DType::F64), &u, &s, &vt);
    assert!(rec == 0.0 && orth < 1e-15);
}

/// Singular values from NumPy (`tests/reference/svd_reference.py`).
#[test]
fn numpy_reference() {
    let a = Tensor::from_vec(
        (0..12)
            .map(|i| ((i * i) % 7) as f64 - 2.5 + 0.1 * i as f64)
            .collect(),
        &[4, 3],
    );
    let want = [
        4.158_203_547_550_616,
        2.641_871_239_630_018_6,
        1.337_856_348_922_865_4,
    ];
    let (_, s, _) = a.svd();
    let err = max_abs_diff(&s, &t64(&want, &[3]));
    assert!(err < 1e-12, "{s} vs {want:?}");
    let (_, s, _) = a.t().svd();
    assert!(max_abs_diff(&s, &t64(&want, &[3])) < 1e-12);
    let want_pinv = [
        -0.116_111_111_111_111_14,
        0.053_888_888_888_888_83,
        0.190_555_555_555_555_56,
        0.371_666_666_666_666_7,
    ];
    let p = a.pinv(None);
    let err = max_abs_diff(&p.narrow(0, 0, 1).flatten(), &t64(&want_pinv, &[4]));
    assert!(err < 1e-12, "{p}");
}

#[test]
fn reconstruction_orthonormality_and_signs() {
    for (m, n) in [(7, 4), (5, 5), (3, 6), (6, 1), (1, 4)] {
        let a = Tensor::randn(&[2, 3, m, n], 11, DType::F64);
        let (u, s, vt) = a.svd();
        let (rec, orth) = check_factors(&a, &u, &s, &vt);
        eprintln!("f64 {m}x{n} batch: reconstruction {rec:.1e}, orthonormality {orth:.1e}");
        assert!(rec < 1e-13 && orth < 1e-13, "{rec} {orth}");
        // Each matrix as in a loop, bit for bit.
        let one = a.narrow(0, 1, 1).narrow(1, 2, 1).reshape(&[m, n]);
        let (u1, s1, vt1) = one.svd();
        let pick = |t: &Tensor| t.narrow(0, 1, 1).narrow(1, 2, 1).flatten().to_vec::<f64>();
        assert_eq!(u1.to_vec::<f64>(), pick(&u));
        assert_eq!(s1.to_vec::<f64>(), pick(&s));
        assert_eq!(vt1.to_vec::<f64>(), pick(&vt));
        let a32 = a.cast(DType::F32);
        let (u, s, vt) = a32.svd();
        assert_eq!(
            (u.dtype(), s.dtype(), vt.dtype()),
            (DType::F32, DType::F32, DType::F32)
        );
        let (rec, orth) = check_factors(&a32, &u, &s, &vt);
        eprintln!("f32 {m}x{n} batch: reconstruction {rec:.1e}, orthonormality {orth:.1e}");
        assert!(rec < 1e-5 && orth < 1e-5, "{rec} {orth}");
        // f32 singular values close to the f64 ones.
        let (_, s64, _) = a.svd();
        assert!(max_abs_diff(&s, &s64) < 1e-5);
    }
}

#[test]
fn derivatives_against_finite_differences() {
    for (m, n, seed) in [(5, 3, 1), (3, 5, 2), (4, 4, 3)] {
        let a = Tensor::randn(&[m, n], seed, DType::F64);
        let k = m.min(n);
        let bu = Tensor::randn(&[m, k], seed + 10, DType::F64);
        let bv = Tensor::randn(&[k, n], seed + 20, DType::F64);
        // The singular values.
        check_grads(|x: &[Tensor]| x[0].svd().1.exp().sum(), &[a.clone()], 2)
            .unwrap_or_else(|e| panic!("{m}x{n} s: {e}"));
        // A loss of U, of Vᵀ, and of all three nonlinearly.
        let b = bu.clone();
        check_grads(
            move |x: &[Tensor]| (x[0].svd().0 * &b).sum(),
            &[a.clone()],
            2,
        )
        .unwrap_or_else(|e| panic!("{m}x{n} U: {e}"));
        let b = bv.clone();
        check_grads(
            move |x: &[Tensor]| (x[0].svd().2 * &b).sin().sum(),
            &[a.clone()],
            2,
        )
        .unwrap_or_else(|e| panic!("{m}x{n} Vt: {e}"));
        check_grads(
            |x: &[Tensor]| {
                let (u, s, vt) = x[0].svd();
                (u.narrow(1, 0, 1).exp().sum() + vt.narrow(0, 0, 1).square().sum()) * s.sum()
                    + (&x[1] * &rebuild(&u, &s.sqrt(), &vt)).sum()
            },
            &[a.clone(), Tensor::randn(&[m, n], seed + 30, DType::F64)],
            2,
        )
        .unwrap_or_else(|e| panic!("{m}x{n} all: {e}"));
    }
    // Batched.
    let ab = Tensor::randn(&[2, 4, 3], 8, DType::F64);
    check_grads(
        |x: &[Tensor]| {
            let (u, s, vt) = x[0].svd();
            u.sin().sum() + s.square().sum() + vt.cos().sum()
        },
        &[ab],
        2,
    )
    .unwrap();
}

#[test]
fn f32_gradients_follow_f64() {
    let a = Tensor::randn(&[2, 5, 3], 21, DType::F64);
    let loss = |x: &Tensor| {
        let (u, s, vt) = x.svd();
        u.narrow(-1, 0, 1).sum() * s.sum() + vt.sin().sum()
    };
    let g64 = grad(loss)(&a);
    let g32 = grad(loss)(&a.cast(DType::F32));
    assert_eq!(g32.dtype(), DType::F32);
    let err = max_abs_diff(&g32, &g64);
    eprintln!("f32 gradient against f64: {err:.1e}");
    assert!(err < 1e-4, "{err}");
}

#[test]
fn jit_and_vmap_of_a_gradient_match_eager() {
    for (m, n) in [(6, 4), (3, 5)] {
        let a = Tensor::randn(&[3, m, n], 31, DType::F64);
        let loss = |x: &Tensor| {
            let (u, s, vt) = x.svd();
            u.narrow(-1, 0, 2).exp().sum() + s.log().sum() + vt.narrow(-2, 1, 1).sin().sum()
        };
        let eager = grad(loss)(&a);
        let j = jit(move |x: &Tensor| grad(loss)(x));
        let err = max_abs_diff(&j(&a), &eager);
        assert!(err < 1e-12, "jit {m}x{n}: {err}");
        let each: Vec<Tensor> = (0..3)
            .map(|i| grad(loss)(&a.narrow(0, i, 1).squeeze(0)))
            .collect();
        let batched = vmap(move |x: &Tensor| grad(loss)(x), 0, 0)(&a);
        let err = max_abs_diff(&batched, &Tensor::stack(&each, 0));
        assert!(err < 1e-12, "vmap {m}x{n}: {err}");
        // And the factorization itself.
        let jf = jit(|x: &Tensor| {
            let (u, s, vt) = x.svd();
            rebuild(&u, &s, &vt)
        });
        assert!(max_abs_diff(&jf(&a), &a) < 1e-13);
    }
}

#[test]
fn norms_and_their_gradients() {
    let a = Tensor::randn(&[2, 5, 3], 41, DType::F64);
    let (u, s, vt) = a.svd();
    let nuc = a.matrix_norm(MatrixNorm::Nuclear, false);
    assert!(max_abs_diff(&nuc, &s.sum_axes(&[-1], false)) < 1e-14);
    let two = a.matrix_norm(MatrixNorm::Spectral, true);
    assert_eq!(two.dims(), &[2, 1, 1]);
    assert!(max_abs_diff(&two.flatten(), &s.narrow(-1, 0, 1).flatten()) < 1e-14);
    // d‖A‖_* / dA = U Vᵀ.
    let g = grad(|x: &Tensor| x.matrix_norm(MatrixNorm::Nuclear, false).sum())(&a);
    let err = max_abs_diff(&g, &u.matmul(&vt));
    eprintln!("gradient of the nuclear norm against U Vᵀ: {err:.1e}");
    assert!(err < 1e-12, "{err}");
    // d‖A‖₂ / dA = u₁ v₁ᵀ.
    let g = grad(|x: &Tensor| x.matrix_norm(MatrixNorm::Spectral, false).sum())(&a);
    let want = u.narrow(-1, 0, 1).matmul(&vt.narrow(-2, 0, 1));
    assert!(max_abs_diff(&g, &want) < 1e-12);
    // The spectral norm is the largest ‖A x‖ over unit x (power iteration).
    let m0 = a.narrow(0, 0, 1).squeeze(0);
    let mut x = Tensor::ones(&[3], DType::F64);
    for _ in 0..200 {
        let y = m0.t().matmul(&m0.matmul(&x));
        x = &y / y.norm().item::<f64>();
    }
    let power = m0.matmul(&x).norm().item::<f64>();
    assert!((power - two.flatten().to_vec::<f64>()[0]).abs() < 1e-10);
    for ord in [MatrixNorm::Spectral, MatrixNorm::Nuclear] {
        check_grads(
            move |x: &[Tensor]| x[0].matrix_norm(ord, false).square().sum(),
            &[a.clone()],
            2,
        )
        .unwrap_or_else(|e| panic!("{ord:?}: {e}"));
    }
    // f32, wide, and an empty matrix (norm 0).
    let w = a.transpose(-1, -2).cast(DType::F32);
    let nuc32 = w.matrix_norm(MatrixNorm::Nuclear, false);
    assert_eq!(nuc32.dtype(), DType::F32);
    assert!(max_abs_diff(&nuc32, &nuc) < 1e-5);
    let e = Tensor::zeros(&[2, 0, 3], DType::F64).matrix_norm(MatrixNorm::Spectral, false);
    assert_eq!(e.to_vec::<f64>(), vec![0.0, 0.0]);
}

/// A `[4, 3]` matrix of rank 2, `B C` with `B: [4, 2]`, `C: [2, 3]`.
fn rank_two() -> Tensor {
    let b = t64(&[1.0, 2.0, 0.0, 1.0, 3.0, -1.0, 2.0, 2.0], &[4, 2]);
    let c = t64(&[1.0, 0.0, 2.0, -1.0, 1.0, 1.0], &[2, 3]);
    b.matmul(&c)
}

#[test]
fn rank_deficient() {
    let a = rank_two();
    let (u, s, vt) = a.svd();
    let sv = s.to_vec::<f64>();
    eprintln!("rank-2 singular values: {sv:?}");
    assert!(sv[1] > 1.0 && sv[2] < 1e-14, "{sv:?}");
    let (rec, orth) = check_factors(&a, &u, &s, &vt);
    assert!(rec < 1e-13 && orth < 1e-13, "{rec} {orth}");
    // Functions of the singular values alone: Σ s² = ‖A‖²_F, gradient 2A, exact at rank 2 and
    // at the repeated singular values of the identity (and of a zero block).
    for x in [
        a.clone(),
        Tensor::eye(3, DType::F64),
        Tensor::zeros(&[2, 3], DType::F64),
    ] {
        let g = grad(|t: &Tensor| t.svd().1.square().sum())(&x);
        assert!(max_abs_diff(&g, &(&x * 2.0)) < 1e-12, "{g}");
    }
    // The nuclear norm at the identity: gradient U Vᵀ = I (repeated singular values).
    let g =
        grad(|t: &Tensor| t.matrix_norm(MatrixNorm::Nuclear, false))(&Tensor::eye(3, DType::F64));
    assert!(max_abs_diff(&g, &Tensor::eye(3, DType::F64)) < 1e-12);
    // Masked, not NaN: a loss of U at a rank-deficient matrix has a finite gradient.
    let g = grad(|t: &Tensor| t.svd().0.sum())(&a);
    assert!(g.to_vec::<f64>().iter().all(|x| x.is_finite()), "{g}");
    // Pseudo-inverse: the four Moore–Penrose conditions.
    let p = a.pinv(None);
    assert_eq!(p.dims(), &[3, 4]);
    let ap = a.matmul(&p);
    let pa = p.matmul(&a);
    let conds = [
        max_abs_diff(&ap.matmul(&a), &a),
        max_abs_diff(&pa.matmul(&p), &p),
        max_abs_diff(&ap, &ap.t()),
        max_abs_diff(&pa, &pa.t()),
    ];
    eprintln!("Moore–Penrose conditions at rank 2: {conds:?}");
    assert!(conds.iter().all(|&c| c < 1e-12), "{conds:?}");
    // Its derivative along a perturbation that keeps the rank, A(t) = (B + tD)(C + tE),
    // against central differences.
    let b = t64(&[1.0, 2.0, 0.0, 1.0, 3.0, -1.0, 2.0, 2.0], &[4, 2]);
    let c = t64(&[1.0, 0.0, 2.0, -1.0, 1.0, 1.0], &[2, 3]);
    let d = Tensor::randn(&[4, 2], 3, DType::F64);
    let e = Tensor::randn(&[2, 3], 4, DType::F64);
    let at = |t: f64| (&b + &(&d * t)).matmul(&(&c + &(&e * t)));
    let h = 1e-5;
    let fd = (at(h).pinv(None) - at(-h).pinv(None)) / (2.0 * h);
    let da = d.matmul(&c) + b.matmul(&e);
    let (_, tangent) = jvp(|x: &[Tensor]| x[0].pinv(None), &[a.clone()], &[da]);
    let err = max_abs_diff(&tangent, &fd);
    eprintln!("pinv JVP along a rank-preserving direction vs central differences: {err:.1e}");
    assert!(err < 1e-7, "{err}");
    // lstsq of a rank-deficient system: the minimum-norm solution A⁺ b, orthogonal to null(A).
    let rhs = t64(&[1.0, -2.0, 0.5, 3.0], &[4]);
    let x = a.lstsq(&rhs, None);
    assert!(max_abs_diff(&x, &p.matmul(&rhs)) < 1e-13);
    let null = vt.narrow(0, 2, 1).flatten();
    assert!((&x * &null).sum().item::<f64>().abs() < 1e-13);
}

#[test]
fn pinv_full_rank_and_its_derivatives() {
    for (m, n) in [(5, 3), (3, 5), (4, 4)] {
        let a = Tensor::randn(&[2, m, n], 51, DType::F64);
        let p = a.pinv(None);
        assert_eq!(p.dims(), &[2, n, m]);
        let at = a.transpose(-1, -2);
        let want = if m >= n {
            at.matmul(&a).inv().matmul(&at)
        } else {
            at.matmul(&a.matmul(&at).inv())
        };
        let err = max_abs_diff(&p, &want);
        assert!(err < 1e-12, "{m}x{n}: {err}");
        check_grads(|x: &[Tensor]| x[0].pinv(None).sin().sum(), &[a.clone()], 2)
            .unwrap_or_else(|e| panic!("{m}x{n}: {e}"));
    }
    // f32, and an explicit rtol that drops the smaller singular value.
    let a = t64(&[3.0, 0.0, 4.0, 5.0], &[2, 2]);
    let p32 = a.cast(DType::F32).pinv(None);
    assert_eq!(p32.dtype(), DType::F32);
    assert!(max_abs_diff(&p32, &a.inv()) < 1e-6);
    let (u, s, vt) = a.svd();
    let rank1 = (u.narrow(1, 0, 1) / s.to_vec::<f64>()[0]).matmul(&vt.narrow(0, 0, 1));
    assert!(max_abs_diff(&a.pinv(Some(0.5)), &rank1.t()) < 1e-14);
}

#[test]
fn lstsq_against_the_normal_equations() {
    let a = Tensor::randn(&[3, 7, 4], 61, DType::F64);
    let b = Tensor::randn(&[3, 7, 2], 62, DType::F64);
    let x = a.lstsq(&b, None);
    assert_eq!(x.dims(), &[3, 4, 2]);
    let at = a.transpose(-1, -2);
    let normal = at.matmul(&a).solve(&at.matmul(&b));
    let err = max_abs_diff(&x, &normal);
    eprintln!("lstsq against the normal equations: {err:.1e}");
    assert!(err < 1e-12, "{err}");
    // The residual is orthogonal to the columns of A.
    let r = a.matmul(&x) - &b;
    assert!(at.matmul(&r).abs().max().item::<f64>() < 1e-12);
    // A vector right-hand side, broadcast batch dims (one A, three B).
    let v = Tensor::randn(&[7], 63, DType::F64);
    let a0 = a.narrow(0, 0, 1).squeeze(0);
    let xv = a0.lstsq(&v, None);
    assert_eq!(xv.dims(), &[4]);
    let want = a0.t().matmul(&a0).solve(&a0.t().matmul(&v));
    assert!(max_abs_diff(&xv, &want) < 1e-12);
    let xb = a0.lstsq(&b, None);
    assert_eq!(xb.dims(), &[3, 4, 2]);
    assert!(
        max_abs_diff(
            &xb.narrow(0, 1, 1).squeeze(0),
            &a0.lstsq(&b.narrow(0, 1, 1).squeeze(0), None)
        ) < 1e-14
    );
    // Derivatives in both arguments; jit and vmap.
    check_grads(
        |x: &[Tensor]| x[0].lstsq(&x[1], None).exp().sum(),
        &[a0.clone(), Tensor::randn(&[7, 2], 64, DType::F64)],
        2,
    )
    .unwrap();
    let wide = Tensor::randn(&[3, 5], 65, DType::F64);
    check_grads(
        |x: &[Tensor]| x[0].lstsq(&x[1], None).sin().sum(),
        &[wide, Tensor::randn(&[3], 66, DType::F64)],
        2,
    )
    .unwrap();
    let jf = jit_n(|x: &[Tensor]| vec![x[0].lstsq(&x[1], None)]);
    assert!(max_abs_diff(&jf(&[a.clone(), b.clone()])[0], &x) < 1e-13);
    let vf = vmap_n(
        |x: &[Tensor]| vec![x[0].lstsq(&x[1], None)],
        vec![Some(0), Some(0)],
        vec![0],
    );
    assert!(max_abs_diff(&vf(&[a.clone(), b.clone()])[0], &x) < 1e-13);
}

#[test]
fn errors_nan_and_empty() {
    let e = Tensor::zeros(&[3], DType::F64)
        .try_svd()
        .unwrap_err()
        .to_string();
    assert!(e.contains("svd") && e.contains("[3]"), "{e}");
    let e = Tensor::from_vec(vec![1i64, 0, 0, 1], &[2, 2])
        .try_svd()
        .unwrap_err()
        .to_string();
    assert!(e.contains("svd"), "{e}");
    let e = Tensor::zeros(&[3], DType::F64)
        .try_pinv(None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("pinv") && e.contains("[3]"), "{e}");
    let a = Tensor::zeros(&[4, 3], DType::F64);
    let e = a
        .try_lstsq(&Tensor::zeros(&[3], DType::F64), None)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("lstsq") && e.contains("[4, 3]") && e.contains("[3]"),
        "{e}"
    );
    let e = a
        .try_lstsq(&Tensor::zeros(&[4], DType::F32), None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("lstsq") && e.contains("f32"), "{e}");
    // The caller's line, not the library's.
    let e = Tensor::zeros(&[3], DType::F64)
        .try_svd()
        .unwrap_err()
        .to_string();
    assert!(e.contains("tests/svd.rs"), "{e}");
    // NaN input: NaN factors, no panic.
    let bad = t64(&[1.0, f64::NAN, 0.0, 1.0], &[2, 2]);
    let (u, s, vt) = bad.svd();
    for t in [u, s, vt] {
        assert!(t.to_vec::<f64>().iter().all(|x| x.is_nan()));
    }
    // Empty.
    let (u, s, vt) = Tensor::zeros(&[2, 3, 0], DType::F64).svd();
    assert_eq!(
        (u.dims(), s.dims(), vt.dims()),
        (&[2, 3, 0][..], &[2, 0][..], &[2, 0, 0][..])
    );
    assert_eq!(
        Tensor::zeros(&[0, 4], DType::F64).pinv(None).dims(),
        &[4, 0]
    );
    // The zero matrix: pinv and lstsq give zeros (JAX's lstsq divides by zero here).
    let z = Tensor::zeros(&[3, 2], DType::F64);
    assert_eq!(z.pinv(None).to_vec::<f64>(), vec![0.0; 6]);
    assert_eq!(
        z.lstsq(&Tensor::ones(&[3], DType::F64), None)
            .to_vec::<f64>(),
        vec![0.0; 2]
    );
}
