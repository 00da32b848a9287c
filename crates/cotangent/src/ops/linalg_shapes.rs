//! The operand checks of the linear-algebra ops: a batch of square float matrices, and the
//! right-hand side of a solve (a vector `[n]` or a batch of matrices `[..., n, k]`, batch dims
//! broadcast against the matrix's as in `jnp.linalg.solve`). Errors name the op, both shapes
//! and the caller's line.

use std::panic::Location;

use crate::core::shape::broadcast_shapes;
use crate::core::{Error, Result, Tensor};
use crate::prim::linalg_common::square;
use crate::prim::AvalRef;

/// `a`'s shape and dtype, as a shape rule sees them.
fn aval(a: &Tensor) -> AvalRef<'_> {
    AvalRef {
        shape: a.shape(),
        dtype: a.dtype(),
    }
}

/// An error unless `a` is a float `[..., n, n]`.
pub(crate) fn square_matrix(
    op: &'static str,
    a: &Tensor,
    loc: &'static Location<'static>,
) -> Result<usize> {
    square(op, aval(a)).map_err(|e| e.at(loc))
}

/// `a` and `b` of a solve `a x = b`, broadcast to common batch dims, `b` as a matrix
/// `[..., n, k]`; and whether `b` was a vector (the result then drops its last axis again).
pub(crate) fn solve_operands(
    op: &'static str,
    a: &Tensor,
    b: &Tensor,
    loc: &'static Location<'static>,
) -> Result<(Tensor, Tensor, bool)> {
    let mismatch = |why: &str| {
        Error::shape(
            op,
            format!(
                "{why}: got A of shape {} and B of shape {} (need A: [..., n, n] and B: [n] or [..., n, k])",
                a.shape(),
                b.shape()
            ),
        )
        .at(loc)
    };
    let (ra, rb) = (a.rank(), b.rank());
    if ra < 2 || a.dims()[ra - 1] != a.dims()[ra - 2] {
        return Err(mismatch("A is not a square matrix"));
    }
    square_matrix(op, a, loc)?;
    if a.dtype() != b.dtype() {
        return Err(Error::dtype(
            op,
            format!(
                "operands must share a dtype, got {} and {}",
                a.dtype(),
                b.dtype()
            ),
        )
        .at(loc));
    }
    let n = a.dims()[ra - 1];
    let vector = rb == 1;
    let b = if vector {
        b.try_unsqueeze(-1)?
    } else {
        b.clone()
    };
    let rb = b.rank();
    if rb < 2 || b.dims()[rb - 2] != n {
        return Err(mismatch("the rows of B do not match A"));
    }
    let batch = broadcast_shapes(&a.dims()[..ra - 2], &b.dims()[..rb - 2])
        .ok_or_else(|| mismatch("the batch dims do not broadcast"))?;
    let full = |t: &Tensor, r: usize| -> Result<Tensor> {
        let mut dims = batch.dims().to_vec();
        dims.extend_from_slice(&t.dims()[r - 2..]);
        t.try_broadcast_to(&dims)
    };
    Ok((full(a, ra)?, full(&b, rb)?, vector))
}

/// A solve's result with the column axis of a vector right-hand side removed again.
pub(crate) fn unvector(x: Tensor, vector: bool) -> Result<Tensor> {
    if vector {
        x.try_squeeze(-1)
    } else {
        Ok(x)
    }
}
