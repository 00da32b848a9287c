//! Vector and matrix norms: values by hand, the zero-vector subgradient, gradients against
//! finite differences, batching, and errors.

use cotangent::testing::check_grads;
use cotangent::{grad, vmap, DType, MatrixNorm, Tensor};

fn t(v: Vec<f64>, s: &[usize]) -> Tensor {
    Tensor::from_vec(v, s)
}

#[test]
fn vector_norms_by_hand() {
    let x = t(vec![3.0, -4.0, 0.0, 12.0], &[2, 2]);
    let n = |ord: f64| x.vector_norm(ord, &[], false).item::<f64>();
    assert_eq!(n(2.0), 13.0);
    assert_eq!(n(1.0), 19.0);
    assert_eq!(n(f64::INFINITY), 12.0);
    assert_eq!(n(f64::NEG_INFINITY), 0.0);
    assert_eq!(n(0.0), 3.0);
    assert!((n(3.0) - (27.0f64 + 64.0 + 1728.0).powf(1.0 / 3.0)).abs() < 1e-12);
    assert_eq!(x.norm().item::<f64>(), 13.0);
    let rows = x.vector_norm(2.0, &[1], false).to_vec::<f64>();
    assert_eq!(rows, vec![5.0, 12.0]);
    assert_eq!(x.vector_norm(2.0, &[0], true).dims(), &[1, 2]);
    let f32n = x.cast(DType::F32).norm();
    assert_eq!((f32n.dtype(), f32n.item::<f32>()), (DType::F32, 13.0));
}

#[test]
fn matrix_norms_by_hand() {
    let a = t(vec![1.0, -2.0, 3.0, 4.0, 0.5, -6.0], &[2, 3]);
    // Columns |.| sums: 5, 2.5, 9; rows: 6, 10.5.
    assert_eq!(a.matrix_norm(MatrixNorm::One, false).item::<f64>(), 9.0);
    assert_eq!(a.matrix_norm(MatrixNorm::Inf, false).item::<f64>(), 10.5);
    let fro: f64 = [1.0f64, 4.0, 9.0, 16.0, 0.25, 36.0]
        .iter()
        .sum::<f64>()
        .sqrt();
    assert!((a.matrix_norm(MatrixNorm::Fro, false).item::<f64>() - fro).abs() < 1e-14);
    let batch = Tensor::stack(&[a.clone(), &a * 2.0], 0);
    assert_eq!(
        batch.matrix_norm(MatrixNorm::One, false).to_vec::<f64>(),
        vec![9.0, 18.0]
    );
    assert_eq!(batch.matrix_norm(MatrixNorm::Inf, true).dims(), &[2, 1, 1]);
}

#[test]
fn the_gradient_at_zero_is_zero_and_elsewhere_right() {
    let zero = Tensor::zeros(&[3], DType::F64);
    for ord in [2.0, 3.0, 1.5] {
        let g = grad(|v: &Tensor| v.vector_norm(ord, &[], false))(&zero).to_vec::<f64>();
        assert_eq!(g, vec![0.0; 3], "ord {ord}");
    }
    let g = grad(|v: &Tensor| v.norm())(&t(vec![3.0, 4.0], &[2])).to_vec::<f64>();
    assert!((g[0] - 0.6).abs() < 1e-15 && (g[1] - 0.8).abs() < 1e-15);
    // Second order away from zero, in both modes, against finite differences.
    let x = t(vec![0.7, -1.3, 2.1, 0.4, -0.9, 1.6], &[2, 3]);
    for ord in [2.0, 3.0] {
        check_grads(
            |v: &[Tensor]| v[0].vector_norm(ord, &[1], false).sum(),
            &[x.clone()],
            2,
        )
        .unwrap();
    }
    check_grads(
        |v: &[Tensor]| v[0].matrix_norm(MatrixNorm::Fro, false),
        &[x.clone()],
        2,
    )
    .unwrap();
    check_grads(
        |v: &[Tensor]| v[0].matrix_norm(MatrixNorm::One, false),
        &[x.clone()],
        1,
    )
    .unwrap();
}

#[test]
fn vmap_matches_a_loop() {
    let x = t(vec![3.0, 4.0, 5.0, 12.0], &[2, 2]);
    let v = vmap(|r: &Tensor| r.norm(), 0, 0)(&x).to_vec::<f64>();
    assert_eq!(v, vec![5.0, 13.0]);
}

#[test]
fn bad_arguments_are_errors() {
    let x = t(vec![1.0, 2.0], &[2]);
    assert!(x
        .try_vector_norm(-1.0, &[], false)
        .unwrap_err()
        .to_string()
        .contains("ord"));
    assert!(x.try_vector_norm(f64::NAN, &[], false).is_err());
    let e = x
        .try_matrix_norm(MatrixNorm::Fro, false)
        .unwrap_err()
        .to_string();
    assert!(e.contains("matrix_norm") && e.contains("[2]"), "{e}");
    let e = Tensor::zeros(&[2], DType::I64)
        .try_norm()
        .unwrap_err()
        .to_string();
    assert!(e.contains("floating"), "{e}");
}
