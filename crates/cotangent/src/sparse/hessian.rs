//! Sparse Hessians: the Hessian of a scalar function is the Jacobian of its gradient, so its
//! pattern is [`jacobian_sparsity`] of the traced gradient (the backward pass's graph, read by
//! the same per-primitive rules), and its values come from one forward-over-reverse
//! Hessian-vector product per column color.
//!
//! Shortcut, named: the coloring is the distance-1 coloring of the columns, valid for any
//! matrix. Star coloring, which uses the Hessian's symmetry to need fewer colors on some
//! patterns (an arrow-head, say), is not implemented.

use super::jacobian::{jacobian_sparsity, Csr, SparseJacobian};
use super::pattern::Pattern;
use crate::core::error::AtCaller;
use crate::core::{Result, Tensor};
use crate::grad;

/// The nonzero pattern of the Hessian of the scalar function `f` at inputs shaped like `x`.
///
/// ```
/// use cotangent::sparse::hessian_sparsity;
/// use cotangent::{DType, Tensor};
/// // A chain: each term couples neighbours, so the Hessian is tridiagonal.
/// let f = |x: &Tensor| (x.narrow(0, 1, 4) - x.narrow(0, 0, 4).square()).square().sum();
/// let p = hessian_sparsity(f, &Tensor::ones(&[5], DType::F64)).unwrap();
/// assert_eq!((p.rows, p.nnz()), (5, 13));
/// ```
#[track_caller]
pub fn hessian_sparsity(f: impl Fn(&Tensor) -> Tensor, x: &Tensor) -> Result<Pattern> {
    jacobian_sparsity(grad(f), x).at_caller()
}

/// The Hessian of the scalar function `f` at `x` as a sparse matrix, by one batched
/// Hessian-vector product per color of its pattern's columns.
///
/// ```
/// use cotangent::sparse::sparse_hessian;
/// use cotangent::Tensor;
/// let x = Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3]);
/// let h = sparse_hessian(|x: &Tensor| (x * x * x).sum(), &x).unwrap();
/// assert_eq!(h.values, vec![6.0, 12.0, 18.0]); // diagonal: 6x
/// ```
#[track_caller]
pub fn sparse_hessian(f: impl Fn(&Tensor) -> Tensor, x: &Tensor) -> Result<Csr> {
    let g = grad(f);
    let plan = SparseJacobian::new(&g, x).at_caller()?;
    plan.eval(&g, x).at_caller()
}
