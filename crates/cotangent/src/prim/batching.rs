//! Batching rules shared by the primitives ([`crate::prim::Primitive::batch`], which `vmap`
//! calls): where a per-example axis lands once a batch axis is inserted, the one rule every
//! elementwise primitive uses, and the index arithmetic that lets a gather or scatter with a
//! batched index run as one flat gather or scatter. The rules of the other primitives live with
//! them, in their own files.

use smallvec::smallvec;

use crate::core::bind::bind;
use crate::core::tensor::Inputs;
use crate::core::{DType, Result, Tensor};
use crate::prim::Primitive;

/// `x` with axis `from` moved to position `to` (a view).
pub(crate) fn move_axis(x: &Tensor, from: usize, to: usize) -> Result<Tensor> {
    if from == to {
        return Ok(x.clone());
    }
    let mut perm: Vec<isize> = (0..x.rank() as isize)
        .filter(|&a| a != from as isize)
        .collect();
    perm.insert(to, from as isize);
    x.try_permute(&perm)
}

/// `x` with its batch axis (`dim`, or none: broadcast) at position `to`, of length `size`.
pub(crate) fn batch_at(x: &Tensor, dim: Option<usize>, size: usize, to: usize) -> Result<Tensor> {
    match dim {
        Some(d) => move_axis(x, d, to),
        None => {
            let mut dims = x.dims().to_vec();
            dims.insert(to, 1);
            let mut full = dims.clone();
            full[to] = size;
            x.try_reshape(&dims)?.try_broadcast_to(&full)
        }
    }
}

/// What a batching rule returns: the output and where its batch axis is.
pub(crate) type Batched = Result<Option<(Tensor, Option<usize>)>>;

/// Position of per-example axis `a` in a tensor whose batch axis sits at `b`.
pub(crate) fn shift(a: usize, b: usize) -> usize {
    if a < b {
        a
    } else {
        a + 1
    }
}

/// The batch axis of the first batched operand (a rule is only called when one is batched).
pub(crate) fn first_batched(dims: &[Option<usize>]) -> usize {
    dims.iter()
        .flatten()
        .copied()
        .next()
        .expect("a batching rule is called with at least one batched operand")
}

/// The rule of every elementwise primitive (operands of one shape): all operands get their batch
/// axis at the first batched operand's position (an unbatched one as a broadcast view), and the
/// primitive runs once on the whole batch.
pub(crate) fn elementwise<P: Primitive + Clone>(
    prim: &P,
    args: &[Tensor],
    dims: &[Option<usize>],
    size: usize,
) -> Batched {
    let d = first_batched(dims);
    let inputs: Inputs = args
        .iter()
        .zip(dims)
        .map(|(x, &dim)| batch_at(x, dim, size, d))
        .collect::<Result<_>>()?;
    Ok(Some((bind(prim.clone(), inputs)?, Some(d))))
}

/// The `batch` method of an elementwise primitive, inside its `impl Primitive` block.
macro_rules! elementwise_batch {
    () => {
        fn batch(
            &self,
            args: &[$crate::Tensor],
            dims: &[Option<usize>],
            size: usize,
        ) -> $crate::Result<Option<($crate::Tensor, Option<usize>)>> {
            $crate::prim::batching::elementwise(self, args, dims, size)
        }
    };
}
pub(crate) use elementwise_batch;

/// `x` (batch axis `dim`, or unbatched) as `[size, x.dims[axis], rest…]` flattened to
/// `[size · x.dims[axis], rest…]`: batch first, then the indexed axis, then the other axes in
/// order. Returns the flattened tensor and the per-example length of the indexed axis.
pub(crate) fn fold_batch_into(
    x: &Tensor,
    dim: Option<usize>,
    size: usize,
    axis: usize,
) -> Result<(Tensor, usize)> {
    let front = move_axis(&batch_at(x, dim, size, 0)?, axis + 1, 1)?;
    let mut dims = front.dims().to_vec();
    let n = dims[1];
    dims.splice(0..2, [size * n]);
    Ok((front.try_reshape(&dims)?, n))
}

/// Undo [`fold_batch_into`] for an output whose indexed axis has `n` entries per example: the
/// result has the batch axis at 0 and the indexed axis back at `axis + 1`.
pub(crate) fn unfold_batch(y: &Tensor, size: usize, n: usize, axis: usize) -> Result<Tensor> {
    let mut dims = vec![size, n];
    dims.extend_from_slice(&y.dims()[1..]);
    move_axis(&y.try_reshape(&dims)?, 1, axis + 1)
}

/// A batched index (`[size, n]` after moving its batch axis to the front) turned into one index
/// into an axis that holds the `size` examples' `len` entries one after another: example `b`'s
/// index `i` becomes `b · len + i`. Indices out of `-len..len` are reported by the
/// [`IndexBound`](crate::prim::index_bound::IndexBound) bound first (negative ones wrapped),
/// when they run, so after the shift none can land in another example's range.
pub(crate) fn flat_index(
    op: &'static str,
    idx: &Tensor,
    dim: usize,
    size: usize,
    len: usize,
) -> Result<Tensor> {
    // Checked and wrapped per example when it runs (also when traced): shifted into the
    // flattened operand, an out-of-range index would read a neighbouring example.
    let idx = bind(
        crate::prim::index_bound::IndexBound {
            len,
            op,
            labels: false,
        },
        smallvec![move_axis(idx, dim, 0)?],
    )?;
    let n = idx.dims()[1];
    let offsets = Tensor::try_arange(0.0, size as f64, 1.0, DType::F64)?
        .try_mul(&Tensor::scalar(len as f64))?
        .try_reshape(&[size, 1])?
        .try_broadcast_to(&[size, n])?;
    idx.try_cast(DType::F64)?
        .try_add(&offsets)?
        .try_cast(DType::I64)?
        .try_reshape(&[size * n])
}

/// Apply `prim` to one input.
pub(crate) fn bind1<P: Primitive>(prim: P, x: &Tensor) -> Result<Tensor> {
    bind(prim, smallvec![x.clone()])
}
