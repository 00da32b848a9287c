//! `matrix_exp` (scaling and squaring with the degree-13 Padé approximant): closed forms (a
//! diagonal matrix, a nilpotent one, a rotation generator at small and large angles),
//! `exp(A) exp(−A) = I`, commuting sums, batches and f32; the traced schedule (jit, vmap)
//! against eager; derivatives against finite differences at orders 1 and 2 and the
//! closed-form derivative of a diagonal input; shape errors.

use cotangent::testing::check_grads;
use cotangent::*;

fn max_abs_diff(a: &Tensor, b: &Tensor) -> f64 {
    (a - b).abs().max().item::<f64>()
}

fn rot_gen(t: f64) -> Tensor {
    Tensor::from_vec(vec![0.0, -t, t, 0.0], &[2, 2])
}

fn rotation(t: f64) -> Tensor {
    Tensor::from_vec(vec![t.cos(), -t.sin(), t.sin(), t.cos()], &[2, 2])
}

#[test]
fn closed_forms() {
    let d = Tensor::from_vec(vec![1.5, 0.0, 0.0, 0.0, -2.0, 0.0, 0.0, 0.0, 0.0], &[3, 3]);
    let want = Tensor::from_vec(
        vec![
            1.5f64.exp(),
            0.0,
            0.0,
            0.0,
            (-2.0f64).exp(),
            0.0,
            0.0,
            0.0,
            1.0,
        ],
        &[3, 3],
    );
    let err = max_abs_diff(&d.matrix_exp(), &want);
    eprintln!("diag: {err:.1e}");
    assert!(err < 1e-14, "{err}");
    // Large diagonal (several squarings): relative error.
    let big = Tensor::from_vec(vec![20.0, 0.0, 0.0, -3.0], &[2, 2]);
    let e = big.matrix_exp().to_vec::<f64>();
    let rel = (e[0] / 20f64.exp() - 1.0).abs();
    eprintln!("diag(20, -3): relative error {rel:.1e}");
    assert!(rel < 1e-13 && (e[3] / (-3f64).exp() - 1.0).abs() < 1e-12 && e[1] == 0.0);
    let nil = Tensor::from_vec(vec![0.0, 1.0, 0.0, 0.0], &[2, 2]);
    let err = max_abs_diff(
        &nil.matrix_exp(),
        &Tensor::from_vec(vec![1.0, 1.0, 0.0, 1.0], &[2, 2]),
    );
    assert!(err < 1e-15, "{err}");
    for t in [0.3, 2.0, 40.0] {
        let err = max_abs_diff(&rot_gen(t).matrix_exp(), &rotation(t));
        eprintln!("rotation by {t}: {err:.1e}");
        assert!(err < 1e-12, "{t}: {err}");
    }
    let z = Tensor::zeros(&[3, 3], DType::F64).matrix_exp();
    assert_eq!(
        z.to_vec::<f64>(),
        Tensor::eye(3, DType::F64).to_vec::<f64>()
    );
}

#[test]
fn inverse_batches_and_f32() {
    let a = Tensor::randn(&[2, 3, 4, 4], 3, DType::F64) * 1.5;
    let e = a.matrix_exp();
    let prod = e.matmul(&(-&a).matrix_exp());
    let err = max_abs_diff(&prod, &Tensor::eye(4, DType::F64));
    eprintln!("exp(A) exp(-A) - I, f64 batch: {err:.1e}");
    assert!(err < 1e-11, "{err}");
    // A batch is its matrices (up to the shared scaling).
    let one = a
        .narrow(0, 1, 1)
        .narrow(1, 2, 1)
        .reshape(&[4, 4])
        .matrix_exp();
    let err = max_abs_diff(&one, &e.narrow(0, 1, 1).narrow(1, 2, 1).reshape(&[4, 4]));
    assert!(err < 1e-12, "{err}");
    // exp(A + B) = exp(A) exp(B) when A and B commute (B a polynomial in A).
    let a0 = Tensor::randn(&[3, 3], 9, DType::F64);
    let b0 = a0.matmul(&a0) * 0.3 - &a0 * 0.5;
    let lhs = (&a0 + &b0).matrix_exp();
    let rhs = a0.matrix_exp().matmul(&b0.matrix_exp());
    let err = max_abs_diff(&lhs, &rhs) / rhs.abs().max().item::<f64>();
    eprintln!("exp(A+B) vs exp(A)exp(B), commuting: {err:.1e}");
    assert!(err < 1e-12, "{err}");
    let a32 = a.cast(DType::F32);
    let e32 = a32.matrix_exp();
    assert_eq!(e32.dtype(), DType::F32);
    let err = max_abs_diff(&e32.cast(DType::F64), &e) / e.abs().max().item::<f64>();
    eprintln!("f32 vs f64: relative {err:.1e}");
    assert!(err < 1e-5, "{err}");
}

#[test]
fn traced_schedule_matches_eager() {
    let a = Tensor::randn(&[3, 4, 4], 5, DType::F64);
    // Scales 0.1 .. 100: no squaring up to many.
    let scale = Tensor::from_vec(vec![0.1, 3.0, 100.0], &[3, 1, 1]);
    let a = &a * &scale;
    let each: Vec<Tensor> = (0..3)
        .map(|i| a.narrow(0, i, 1).squeeze(0).matrix_exp())
        .collect();
    let jitted = jit(|x: &Tensor| x.matrix_exp())(&a);
    let mapped = vmap(|x: &Tensor| x.matrix_exp(), 0, 0)(&a);
    for (i, want) in each.iter().enumerate() {
        let scale = want.abs().max().item::<f64>();
        for (how, got) in [("jit", &jitted), ("vmap", &mapped)] {
            let got = got.narrow(0, i, 1).squeeze(0);
            let rel = max_abs_diff(&got, want) / scale;
            eprintln!("{how} vs eager, matrix {i}: relative {rel:.1e}");
            assert!(rel < 1e-12, "{how} {i}: {rel}");
        }
    }
    // A gradient through jit agrees, and stays finite where the unused squarings would
    // overflow.
    let loss = |x: &Tensor| x.matrix_exp().sum();
    let g = grad(loss)(&a);
    let gj = jit(move |x: &Tensor| grad(loss)(x))(&a);
    let rel = max_abs_diff(&gj, &g) / g.abs().max().item::<f64>();
    assert!(rel < 1e-11, "{rel}");
    let hot = Tensor::from_vec(vec![50.0, 1.0, 0.0, 50.0], &[2, 2]);
    let gh = jit(move |x: &Tensor| grad(loss)(x))(&hot);
    assert!(gh.to_vec::<f64>().iter().all(|v| v.is_finite()), "{gh}");
}

#[test]
fn derivatives() {
    let a = Tensor::randn(&[3, 3], 7, DType::F64) * 0.7;
    let w = Tensor::randn(&[3, 3], 8, DType::F64);
    check_grads(
        move |x: &[Tensor]| (x[0].matrix_exp() * &w).sum(),
        &[a.clone()],
        2,
    )
    .unwrap();
    // Several squarings, batched, and an input used twice.
    let big = Tensor::randn(&[2, 3, 3], 9, DType::F64) * 3.0;
    let norm = big.abs().sum_axes(&[-2], false).max().item::<f64>();
    eprintln!("batched check_grads input: largest 1-norm {norm:.1} (θ₁₃ ≈ 5.37)");
    assert!(norm > 5.37);
    check_grads(|x: &[Tensor]| (x[0].matrix_exp() * &x[0]).sum(), &[big], 1).unwrap();
    // d/dt tr exp(tA) = tr(A exp(tA)); for diagonal A the gradient of Σ exp(A) is diag(e^{a}).
    let d = Tensor::from_vec(vec![0.5, 0.0, 0.0, -1.0], &[2, 2]);
    let g = grad(|x: &Tensor| x.matrix_exp().trace())(&d);
    let want = Tensor::from_vec(vec![0.5f64.exp(), 0.0, 0.0, (-1.0f64).exp()], &[2, 2]);
    let err = max_abs_diff(&g, &want);
    eprintln!("gradient of tr exp at a diagonal matrix: {err:.1e}");
    assert!(err < 1e-14, "{err}");
}

#[test]
fn errors_and_empty() {
    let e = Tensor::zeros(&[2, 3], DType::F64)
        .try_matrix_exp()
        .unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("matrix_exp") && msg.contains("[2, 3]"),
        "{msg}"
    );
    assert!(Tensor::from_vec(vec![1i64], &[1, 1])
        .try_matrix_exp()
        .is_err());
    let z = Tensor::zeros(&[2, 0, 0], DType::F64).matrix_exp();
    assert_eq!(z.dims(), &[2, 0, 0]);
    let nan = Tensor::from_vec(vec![f64::NAN, 0.0, 0.0, 1.0], &[2, 2]).matrix_exp();
    assert!(nan.to_vec::<f64>().iter().any(|v| v.is_nan()));
}
