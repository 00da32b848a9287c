//! Shared pieces of the linear-algebra primitives (`cholesky`, `triangular_solve`, `solve`,
//! `slogdet`, `det`, `cofactor`): the square-matrix shape rule, the one batching rule they all
//! use (every batch axis to the front, where the kernels see it as one more leading dim), and
//! the small matrix identities their derivative rules are written with, all with the library's
//! own differentiable ops so that the rules differentiate again.

use crate::core::bind::bind;
use crate::core::tensor::Inputs;
use crate::core::{Error, Result, Tensor};
use crate::prim::batching::{batch_at, Batched};
use crate::prim::cholesky::Cholesky;
use crate::prim::solve::Solve;
use crate::prim::triangular_solve::TriangularSolve;
use crate::prim::{AvalRef, Primitive};

/// `n` when `x` is a float `[..., n, n]` (a batch of square matrices), else an error naming
/// `op` and the shape.
pub(crate) fn square(op: &'static str, x: AvalRef<'_>) -> Result<usize> {
    if !x.dtype.is_float() {
        return Err(Error::dtype(
            op,
            format!("expected a floating-point matrix, got {}", x.dtype),
        ));
    }
    let r = x.shape.rank();
    if r < 2 || x.shape[r - 1] != x.shape[r - 2] {
        return Err(Error::shape(
            op,
            format!(
                "expected a square matrix or a batch of them ([..., n, n]), got shape {}",
                x.shape
            ),
        ));
    }
    Ok(x.shape[r - 1])
}

/// The shape rule of a solve: `a: [..., n, n]` and `b: [..., n, k]` of one float dtype with
/// equal batch dims (the ops broadcast before binding).
pub(crate) fn check_solve(op: &'static str, a: AvalRef<'_>, b: AvalRef<'_>) -> Result<()> {
    let n = square(op, a)?;
    let r = a.shape.rank();
    let ok = b.shape.rank() == r && b.shape[..r - 2] == a.shape[..r - 2] && b.shape[r - 2] == n;
    if a.dtype != b.dtype {
        return Err(Error::dtype(
            op,
            format!(
                "operands must share a dtype, got {} and {}",
                a.dtype, b.dtype
            ),
        ));
    }
    if !ok {
        return Err(Error::shape(
            op,
            format!(
                "shapes {} and {} do not match (need [..., n, n] and [..., n, k])",
                a.shape, b.shape
            ),
        ));
    }
    Ok(())
}

/// The batching rule of every linear-algebra primitive: each operand's batch axis (an unbatched
/// operand broadcast) moved to the front, one application, output batched at axis 0.
pub(crate) fn batch_front<P: Primitive + Clone>(
    prim: &P,
    args: &[Tensor],
    dims: &[Option<usize>],
    size: usize,
) -> Batched {
    let inputs: Inputs = args
        .iter()
        .zip(dims)
        .map(|(x, &d)| batch_at(x, d, size, 0))
        .collect::<Result<_>>()?;
    Ok(Some((bind(prim.clone(), inputs)?, Some(0))))
}

/// `(x + xᵀ) / 2` over the last two axes.
pub(crate) fn sym(x: &Tensor) -> Result<Tensor> {
    x.try_add(&x.mt())?.try_mul(&x.scalar_like(0.5))
}

/// `Φ(x)`: the lower triangle with the diagonal halved.
pub(crate) fn phi(x: &Tensor) -> Result<Tensor> {
    x.try_tril(0)?
        .try_add(&x.try_tril(-1)?)?
        .try_mul(&x.scalar_like(0.5))
}

/// `op(a)⁻¹ b` for triangular `a` (equal batch dims; `op(a) = aᵀ` when `transpose`).
pub(crate) fn tri_solve(a: &Tensor, b: &Tensor, lower: bool, transpose: bool) -> Result<Tensor> {
    let p = TriangularSolve { lower, transpose };
    bind(p, smallvec::smallvec![a.clone(), b.clone()])
}

/// `a⁻¹ b` for general `a` (equal batch dims).
pub(crate) fn lu_solve(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    bind(Solve, smallvec::smallvec![a.clone(), b.clone()])
}

/// The lower Cholesky factor of (the lower triangle of) `a`.
pub(crate) fn chol(a: &Tensor) -> Result<Tensor> {
    bind(Cholesky, smallvec::smallvec![a.clone()])
}

/// `t` (shape `[...]`) as `[..., 1, 1]`, to scale a batch of matrices.
pub(crate) fn per_matrix(t: &Tensor) -> Result<Tensor> {
    t.try_unsqueeze(-1)?.try_unsqueeze(-1)
}

/// The identity matrix of `x`'s size and dtype (`x: [..., n, n]`), broadcasting over batches.
pub(crate) fn eye_of(x: &Tensor) -> Result<Tensor> {
    Tensor::try_eye(x.dims()[x.rank() - 1], x.dtype())
}
