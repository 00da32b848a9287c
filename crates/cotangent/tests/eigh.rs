//! `eigh`, the symmetric eigendecomposition: values against closed forms (`[[2, 1], [1, 2]]`,
//! the second-difference matrix, a diagonal matrix), `A = V diag(λ) Vᵀ` and `VᵀV = I` on
//! random batches in f64 and f32, ascending order, the sign convention, symmetrization of a
//! non-symmetric input; derivatives against finite differences at orders 1 and 2 (eigenvalue
//! losses and sign-invariant eigenvector losses); the convention at repeated eigenvalues (the
//! gradient of `Σ λ²`, `Σ λ`, `Σ λ³` and `Σ log λ` at the identity and at a rotated
//! `diag(1, 1, 2)` is finite and equal to its closed form); jit and vmap of a gradient against
//! eager; shape and dtype errors. (The table, `tests/table.rs`, also runs its rows.)

use cotangent::testing::check_grads;
use cotangent::*;

fn max_abs_diff(a: &Tensor, b: &Tensor) -> f64 {
    (a - b).abs().max().item::<f64>()
}

/// A random symmetric `[.., n, n]` f64 batch.
fn random_sym(dims: &[usize], seed: u64) -> Tensor {
    let x = Tensor::randn(dims, seed, DType::F64);
    (&x + &x.transpose(-1, -2)) * 0.5
}

/// `V diag(λ) Vᵀ`.
fn reconstruct(w: &Tensor, v: &Tensor) -> Tensor {
    (v * &w.unsqueeze(-2)).matmul(&v.transpose(-1, -2))
}

/// A fixed orthogonal `[3, 3]` matrix: a rotation about z (cos 0.6, sin 0.8) after one about x
/// (cos 0.28, sin 0.96), exact in decimals.
fn rotation() -> Tensor {
    let (c, s) = (0.6f64, 0.8f64);
    let rz = Tensor::from_vec(vec![c, -s, 0.0, s, c, 0.0, 0.0, 0.0, 1.0], &[3, 3]);
    let (c2, s2) = (0.28f64, 0.96f64);
    let rx = Tensor::from_vec(vec![1.0, 0.0, 0.0, 0.0, c2, -s2, 0.0, s2, c2], &[3, 3]);
    rz.matmul(&rx)
}

#[test]
fn closed_forms() {
    let a = Tensor::from_vec(vec![2.0, 1.0, 1.0, 2.0], &[2, 2]);
    let (w, v) = a.eigh();
    assert!(max_abs_diff(&w, &Tensor::from_vec(vec![1.0, 3.0], &[2])) < 1e-14);
    let h = 0.5f64.sqrt();
    let vv = v.to_vec::<f64>();
    assert!(vv.iter().all(|x| (x.abs() - h).abs() < 1e-14), "{vv:?}");
    // The 3×3 second-difference matrix: λ_k = 2 − 2 cos(kπ/4), v_k ∝ sin(j k π/4).
    let t = Tensor::from_vec(
        vec![2.0, -1.0, 0.0, -1.0, 2.0, -1.0, 0.0, -1.0, 2.0],
        &[3, 3],
    );
    let (w, v) = t.eigh();
    let r2 = 2f64.sqrt();
    let want_w = Tensor::from_vec(vec![2.0 - r2, 2.0, 2.0 + r2], &[3]);
    assert!(max_abs_diff(&w, &want_w) < 1e-14, "{w}");
    // Columns 0 and 2 have a unique largest component: (1, √2, 1)/2 and −(1, −√2, 1)/2.
    let v = v.to_vec::<f64>();
    let col = |c: usize| [v[c], v[3 + c], v[6 + c]];
    for (got, want) in [
        (col(0), [0.5, r2 / 2.0, 0.5]),
        (col(2), [-0.5, r2 / 2.0, -0.5]),
    ] {
        assert!(
            got.iter().zip(want).all(|(x, y)| (x - y).abs() < 1e-14),
            "{got:?}"
        );
    }
    let mid = col(1);
    assert!((mid[0].abs() - r2 / 2.0).abs() < 1e-14 && mid[1].abs() < 1e-14);
    assert!((mid[0] + mid[2]).abs() < 1e-14);
    // Diagonal: sorted, unit vectors with +1 signs.
    let d = Tensor::from_vec(vec![3.0, 0.0, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0, 2.0], &[3, 3]);
    let (w, v) = d.eigh();
    assert!(max_abs_diff(&w, &Tensor::from_vec(vec![-1.0, 2.0, 3.0], &[3])) < 1e-15);
    let want_v = vec![0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0];
    assert!(
        max_abs_diff(&v, &Tensor::from_vec(want_v, &[3, 3])) < 1e-15,
        "{v}"
    );
    // 1×1.
    let (w, v) = Tensor::from_vec(vec![-4.0], &[1, 1]).eigh();
    assert_eq!(
        (w.to_vec::<f64>(), v.to_vec::<f64>()),
        (vec![-4.0], vec![1.0])
    );
}

#[test]
fn reconstruction_orthonormality_order_and_signs() {
    let n = 6;
    let a = random_sym(&[2, 3, n, n], 11);
    let (w, v) = a.eigh();
    assert_eq!((w.dims(), v.dims()), (&[2, 3, n][..], &[2, 3, n, n][..]));
    let rec = max_abs_diff(&reconstruct(&w, &v), &a);
    let orth = max_abs_diff(&v.transpose(-1, -2).matmul(&v), &Tensor::eye(n, DType::F64));
    eprintln!("f64 6x6 batch: reconstruction {rec:.1e}, orthonormality {orth:.1e}");
    assert!(rec < 1e-13 && orth < 1e-13, "{rec} {orth}");
    let wv = w.to_vec::<f64>();
    assert!(
        wv.chunks(n).all(|c| c.windows(2).all(|p| p[0] <= p[1])),
        "{wv:?}"
    );
    // Each column's largest-magnitude component is positive.
    let vv = v.to_vec::<f64>();
    for m in vv.chunks(n * n) {
        for c in 0..n {
            let col: Vec<f64> = (0..n).map(|r| m[r * n + c]).collect();
            let big = col
                .iter()
                .fold(0.0f64, |b, &x| if x.abs() > b.abs() { x } else { b });
            assert!(big > 0.0, "{col:?}");
        }
    }
    // Each matrix as in a loop: the batch is only a batch.
    let (w1, v1) = a.narrow(0, 1, 1).narrow(1, 2, 1).reshape(&[n, n]).eigh();
    assert_eq!(
        w1.to_vec::<f64>(),
        w.narrow(0, 1, 1).narrow(1, 2, 1).flatten().to_vec::<f64>()
    );
    assert_eq!(
        v1.to_vec::<f64>(),
        v.narrow(0, 1, 1).narrow(1, 2, 1).flatten().to_vec::<f64>()
    );
    // f32.
    let a32 = a.cast(DType::F32);
    let (w, v) = a32.eigh();
    assert_eq!((w.dtype(), v.dtype()), (DType::F32, DType::F32));
    let rec = max_abs_diff(&reconstruct(&w, &v).cast(DType::F64), &a);
    let orth = (v.transpose(-1, -2).matmul(&v) - Tensor::eye(n, DType::F32))
        .abs()
        .max()
        .item::<f32>();
    eprintln!("f32 6x6 batch: reconstruction {rec:.1e}, orthonormality {orth:.1e}");
    assert!(rec < 1e-5 && orth < 1e-5, "{rec} {orth}");
}

#[test]
fn non_symmetric_input_is_symmetrized() {
    let x = Tensor::randn(&[4, 4], 3, DType::F64);
    let (w, v) = x.eigh();
    let (ws, vs) = ((&x + &x.t()) * 0.5).eigh();
    assert!(max_abs_diff(&w, &ws) < 1e-15 && max_abs_diff(&v, &vs) < 1e-15);
    // The gradient is symmetric.
    let g = grad(|a: &Tensor| a.eigh().0.narrow(0, 3, 1).sum())(&x);
    assert!(max_abs_diff(&g, &g.t()) < 1e-15);
}

#[test]
fn derivatives_against_finite_differences() {
    let a = random_sym(&[4, 4], 5) + Tensor::eye(4, DType::F64) * 0.1;
    let b = Tensor::randn(&[4, 4], 6, DType::F64);
    let weights = Tensor::from_vec(vec![0.3, -1.0, 0.7, 2.0], &[4]);
    // Eigenvalues, weighted (not symmetric in them: eigh's order matters).
    let wl = weights.clone();
    check_grads(
        move |x: &[Tensor]| (x[0].eigh().0 * &wl).sum(),
        &[a.clone()],
        2,
    )
    .unwrap();
    // Σ_k c_k v_kᵀ B v_k and Σ c_k (v_k ⊗ v_k) ∘ B: independent of the eigenvectors' signs.
    let wl = weights.clone();
    check_grads(
        move |x: &[Tensor]| {
            let (_, v) = x[0].eigh();
            ((&v * &x[1].matmul(&v)).sum_axes(&[0], false) * &wl).sum()
        },
        &[a.clone(), b.clone()],
        2,
    )
    .unwrap();
    // Eigenvalues and eigenvectors together: Σ_ij λ_j v_ij² B_ij.
    check_grads(
        |x: &[Tensor]| {
            let (w, v) = x[0].eigh();
            (w.unsqueeze(0) * v.square() * &x[1]).sum()
        },
        &[a.clone(), b.clone()],
        2,
    )
    .unwrap();
    // Batched, the whole decomposition through a sign-invariant function.
    let ab = random_sym(&[2, 3, 3], 8);
    check_grads(
        |x: &[Tensor]| {
            let (w, v) = x[0].eigh();
            (reconstruct(&w.sin(), &v) * &x[0]).sum()
        },
        &[ab],
        2,
    )
    .unwrap();
}

type Loss = fn(&Tensor) -> Tensor;

#[test]
fn repeated_eigenvalues_give_finite_right_gradients() {
    let q = rotation();
    assert!(max_abs_diff(&q.t().matmul(&q), &Tensor::eye(3, DType::F64)) < 1e-15);
    let d = Tensor::from_vec(vec![1.0, 1.0, 2.0], &[3]);
    let rotated = reconstruct(&d, &q); // eigenvalues 1, 1, 2
    for (name, a) in [
        ("identity", Tensor::eye(3, DType::F64)),
        ("rotated diag(1, 1, 2)", rotated),
    ] {
        let (w, _) = a.eigh();
        eprintln!("{name}: eigenvalues {:?}", w.to_vec::<f64>());
        let a2 = a.matmul(&a);
        let cases: [(&str, Loss, Tensor); 4] = [
            ("Σ λ", |x| x.eigh().0.sum(), Tensor::eye(3, DType::F64)),
            ("Σ λ²", |x| x.eigh().0.square().sum(), &a * 2.0),
            ("Σ λ³", |x| x.eigh().0.powf(3.0).sum(), &a2 * 3.0),
            ("Σ log λ", |x| x.eigh().0.log().sum(), a.inv()),
        ];
        for (what, f, want) in cases {
            let g = grad(f)(&a);
            let err = max_abs_diff(&g, &want);
            eprintln!("  {what}: gradient error {err:.1e}");
            assert!(err < 1e-12, "{name}, {what}: {g} vs {want}");
            // Forward mode agrees along a symmetric direction.
            let dir = random_sym(&[3, 3], 21);
            let (_, t) = jvp(|x: &[Tensor]| f(&x[0]), &[a.clone()], &[dir.clone()]);
            let want_t = (&want * &dir).sum().item::<f64>();
            assert!(
                (t.item::<f64>() - want_t).abs() < 1e-12,
                "{name}, {what} (jvp)"
            );
        }
        // Eigenvector derivatives stay finite (their value inside the repeated eigenspace is a
        // convention, not a derivative).
        let g = grad(|x: &Tensor| x.eigh().1.square().sum() + x.eigh().1.sum())(&a);
        assert!(g.to_vec::<f64>().iter().all(|x| x.is_finite()), "{g}");
    }
    // f32 at the identity.
    let g = grad(|x: &Tensor| x.eigh().0.square().sum())(&Tensor::eye(4, DType::F32));
    let want = Tensor::eye(4, DType::F32) * 2.0;
    assert!((g - want).abs().max().item::<f32>() < 1e-6);
}

#[test]
fn jit_and_vmap_of_a_gradient_match_eager() {
    let a = random_sym(&[3, 5, 5], 31);
    let loss = |x: &Tensor| {
        let (w, v) = x.eigh();
        (reconstruct(&w.exp(), &v) * x).sum() + w.narrow(-1, 0, 1).sum()
    };
    let eager = grad(loss)(&a);
    let j = jit(move |x: &Tensor| grad(loss)(x));
    assert!(max_abs_diff(&j(&a), &eager) < 1e-12);
    let each: Vec<Tensor> = (0..3)
        .map(|i| grad(loss)(&a.narrow(0, i, 1).squeeze(0)))
        .collect();
    let batched = vmap(move |x: &Tensor| grad(loss)(x), 0, 0)(&a);
    assert!(max_abs_diff(&batched, &Tensor::stack(&each, 0)) < 1e-12);
}

#[test]
fn errors_name_the_op_and_shape() {
    let e = Tensor::zeros(&[2, 3], DType::F64).try_eigh().unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("eigh") && msg.contains("[2, 3]"), "{msg}");
    let e = Tensor::zeros(&[3], DType::F64).try_eigh().unwrap_err();
    assert!(e.to_string().contains("eigh"));
    let e = Tensor::from_vec(vec![1i64, 0, 0, 1], &[2, 2])
        .try_eigh()
        .unwrap_err();
    assert!(e.to_string().contains("eigh"));
    // Non-finite input: NaNs, not a panic or an error.
    let bad = Tensor::from_vec(vec![1.0, f64::NAN, f64::NAN, 1.0], &[2, 2]);
    let (w, v) = bad.eigh();
    assert!(w
        .to_vec::<f64>()
        .iter()
        .chain(&v.to_vec::<f64>())
        .all(|x| x.is_nan()));
    // Empty.
    let (w, v) = Tensor::zeros(&[2, 0, 0], DType::F64).eigh();
    assert_eq!((w.dims(), v.dims()), (&[2, 0][..], &[2, 0, 0][..]));
}
