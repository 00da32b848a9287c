//! Without the `faer` feature (the `cotangent` command builds without it, to compile
//! faster), Cholesky, triangular solves, `eigh`, `qr` and `svd` are unavailable: they report an error naming the
//! feature instead of computing. The triangular solves inside LU (`solve`, `inv`, `det`'s derivative) use plain substitution loops.

use super::linalg::LinalgFloat;
use crate::core::{Error, Result, Value};

fn unavailable(op: &'static str) -> Error {
    Error::usage(
        op,
        "this build of cotangent has no `faer` feature (enable it: it is on by default)",
    )
}

/// Unavailable without the `faer` feature.
// `T` keeps the signature of the faer build, whose callers name it.
#[allow(clippy::extra_unused_type_parameters)]
pub fn cholesky<T: LinalgFloat>(_a: &Value) -> Result<Value> {
    Err(unavailable("cholesky"))
}

/// Unavailable without the `faer` feature.
// `T` keeps the signature of the faer build, whose callers name it.
#[allow(clippy::extra_unused_type_parameters)]
pub fn triangular_solve<T: LinalgFloat>(
    _a: &Value,
    _b: &Value,
    _lower: bool,
    _transpose: bool,
) -> Result<Value> {
    Err(unavailable("triangular_solve"))
}

/// Unavailable without the `faer` feature.
// `T` keeps the signature of the faer build, whose callers name it.
#[allow(clippy::extra_unused_type_parameters)]
pub fn eigh<T: LinalgFloat>(_a: &Value) -> Result<Value> {
    Err(unavailable("eigh"))
}

/// Unavailable without the `faer` feature.
// `T` keeps the signature of the faer build, whose callers name it.
#[allow(clippy::extra_unused_type_parameters)]
pub fn qr<T: LinalgFloat>(_a: &Value) -> Result<Value> {
    Err(unavailable("qr"))
}

/// Unavailable without the `faer` feature.
// `T` keeps the signature of the faer build, whose callers name it.
#[allow(clippy::extra_unused_type_parameters)]
pub fn svd<T: LinalgFloat>(_a: &Value) -> Result<Value> {
    Err(unavailable("svd"))
}

/// `x ← L⁻¹ x` for `x: [n, k]`, `L` the unit lower triangle of the row-major `f: [n, n]`,
/// by forward substitution.
pub fn solve_unit_lower<T: LinalgFloat>(f: &[T], x: &mut [T], n: usize, k: usize) {
    for i in 0..n {
        for j in 0..i {
            let l = f[i * n + j];
            for c in 0..k {
                let v = x[j * k + c];
                x[i * k + c] -= l * v;
            }
        }
    }
}

/// `x ← U⁻¹ x` for `x: [n, k]`, `U` the upper triangle (with diagonal) of `f: [n, n]`, by
/// back substitution.
pub fn solve_upper<T: LinalgFloat>(f: &[T], x: &mut [T], n: usize, k: usize) {
    for i in (0..n).rev() {
        for j in i + 1..n {
            let u = f[i * n + j];
            for c in 0..k {
                let v = x[j * k + c];
                x[i * k + c] -= u * v;
            }
        }
        for c in 0..k {
            x[i * k + c] /= f[i * n + i];
        }
    }
}

#[cfg(all(test, feature = "faer"))]
mod tests {
    #[test]
    fn substitutions_agree_with_faer() {
        let n = 5;
        let k = 3;
        let f: Vec<f64> = (0..n * n)
            .map(|i| ((i * 7919) % 13) as f64 / 4.0 + if i % (n + 1) == 0 { 3.0 } else { 0.0 })
            .collect();
        let x0: Vec<f64> = (0..n * k).map(|i| (i as f64).sin()).collect();
        let (mut a, mut b) = (x0.clone(), x0.clone());
        super::solve_unit_lower(&f, &mut a, n, k);
        super::super::linalg_faer::solve_unit_lower(&f, &mut b, n, k);
        super::solve_upper(&f, &mut a, n, k);
        super::super::linalg_faer::solve_upper(&f, &mut b, n, k);
        for (p, q) in a.iter().zip(&b) {
            assert!((p - q).abs() < 1e-12 * (1.0 + q.abs()), "{p} vs {q}");
        }
        assert!(a.iter().zip(&x0).any(|(p, q)| (p - q).abs() > 1e-3));
        assert!(super::cholesky::<f64>(&crate::core::Value::from_vec(
            vec![1.0],
            [1, 1].as_slice().into()
        ))
        .is_err());
        let e = super::eigh::<f64>(&crate::core::Value::from_vec(
            vec![1.0],
            [1, 1].as_slice().into(),
        ))
        .unwrap_err()
        .to_string();
        assert!(e.contains("eigh") && e.contains("faer"), "{e}");
        let e = super::qr::<f64>(&crate::core::Value::from_vec(
            vec![1.0],
            [1, 1].as_slice().into(),
        ))
        .unwrap_err()
        .to_string();
        assert!(e.contains("qr") && e.contains("faer"), "{e}");
        let e = super::svd::<f64>(&crate::core::Value::from_vec(
            vec![1.0],
            [1, 1].as_slice().into(),
        ))
        .unwrap_err()
        .to_string();
        assert!(e.contains("svd") && e.contains("faer"), "{e}");
    }
}
