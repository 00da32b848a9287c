//! Differentiable linear algebra as free functions, `cotangent::linalg::solve(&a, &b)`, as in
//! `jnp.linalg`: each is the [`Tensor`] method of the same name (whose `try_` form returns a
//! [`crate::Result`]), batched over leading dims, f32 and f64, derivable to any order.
//!
//! ```
//! use cotangent::{linalg, Tensor};
//! let a = Tensor::from_vec(vec![4.0, 2.0, 2.0, 3.0], &[2, 2]);
//! let b = Tensor::from_vec(vec![1.0, 2.0], &[2]);
//! let x = linalg::solve(&a, &b);
//! let y = linalg::cho_solve(&linalg::cholesky(&a), &b);
//! assert!(x.to_vec::<f64>().iter().zip(y.to_vec::<f64>()).all(|(p, q)| (p - q).abs() < 1e-12));
//! assert!((linalg::det(&a).item::<f64>() - 8.0).abs() < 1e-12);
//! ```

use crate::Tensor;

/// Lower Cholesky factor; see [`Tensor::try_cholesky`].
#[track_caller]
pub fn cholesky(a: &Tensor) -> Tensor {
    a.cholesky()
}

/// `op(A)⁻¹ B` for triangular `A`; see [`Tensor::try_triangular_solve`].
#[track_caller]
pub fn triangular_solve(a: &Tensor, b: &Tensor, lower: bool, transpose: bool) -> Tensor {
    a.triangular_solve(b, lower, transpose)
}

/// `A⁻¹ B` given the lower Cholesky factor of `A`; see [`Tensor::try_cho_solve`].
#[track_caller]
pub fn cho_solve(l: &Tensor, b: &Tensor) -> Tensor {
    l.cho_solve(b)
}

/// `A⁻¹ B` by LU with partial pivoting; see [`Tensor::try_solve`].
#[track_caller]
pub fn solve(a: &Tensor, b: &Tensor) -> Tensor {
    a.solve(b)
}

/// Matrix inverse; see [`Tensor::try_inv`].
#[track_caller]
pub fn inv(a: &Tensor) -> Tensor {
    a.inv()
}

/// Determinant; see [`Tensor::try_det`].
#[track_caller]
pub fn det(a: &Tensor) -> Tensor {
    a.det()
}

/// Sign and `log|det|`; see [`Tensor::try_slogdet`].
#[track_caller]
pub fn slogdet(a: &Tensor) -> (Tensor, Tensor) {
    a.slogdet()
}

/// Eigenvalues (ascending) and eigenvectors (columns) of a symmetric matrix; see
/// [`Tensor::try_eigh`].
#[track_caller]
pub fn eigh(a: &Tensor) -> (Tensor, Tensor) {
    a.eigh()
}

/// Reduced QR factorization (tall, square or wide), `R` with a non-negative diagonal; see
/// [`Tensor::try_qr`].
#[track_caller]
pub fn qr(a: &Tensor) -> (Tensor, Tensor) {
    a.qr()
}

/// Matrix exponential (scaling and squaring, Padé 13); see [`Tensor::try_matrix_exp`].
#[track_caller]
pub fn matrix_exp(a: &Tensor) -> Tensor {
    a.matrix_exp()
}

/// Thin singular value decomposition `(U, s, Vᵀ)`, `s` descending; see [`Tensor::try_svd`].
///
/// ```
/// use cotangent::{linalg, Tensor};
/// let (_, s, _) = linalg::svd(&Tensor::from_vec(vec![3.0, 0.0, 4.0, 5.0], &[2, 2]));
/// assert!((s.to_vec::<f64>()[1] - 5f64.sqrt()).abs() < 1e-12);
/// ```
#[track_caller]
pub fn svd(a: &Tensor) -> (Tensor, Tensor, Tensor) {
    a.svd()
}

/// Moore–Penrose pseudo-inverse (`rtol` defaults to `10 · max(m, n) · ε`); see
/// [`Tensor::try_pinv`].
///
/// ```
/// use cotangent::{linalg, Tensor};
/// let p = linalg::pinv(&Tensor::from_vec(vec![2.0, 0.0], &[1, 2]), None);
/// assert_eq!(p.dims(), &[2, 1]);
/// assert!((p.to_vec::<f64>()[0] - 0.5).abs() < 1e-12);
/// ```
#[track_caller]
pub fn pinv(a: &Tensor, rtol: Option<f64>) -> Tensor {
    a.pinv(rtol)
}

/// Minimum-norm least-squares solution of `A x ≈ B` (`rcond` defaults to `max(m, n) · ε`);
/// see [`Tensor::try_lstsq`].
///
/// ```
/// use cotangent::{linalg, Tensor};
/// let a = Tensor::from_vec(vec![1.0, 1.0, 1.0], &[3, 1]);
/// let x = linalg::lstsq(&a, &Tensor::from_vec(vec![1.0, 2.0, 6.0], &[3]), None);
/// assert!((x.to_vec::<f64>()[0] - 3.0).abs() < 1e-12); // the mean
/// ```
#[track_caller]
pub fn lstsq(a: &Tensor, b: &Tensor, rcond: Option<f64>) -> Tensor {
    a.lstsq(b, rcond)
}
