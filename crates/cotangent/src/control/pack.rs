//! Packing several tensors into one. A primitive has one output, so a control-flow primitive
//! returns all its results flattened and joined into one vector, in one dtype (the results'
//! common dtype, or f64 when they differ: every dtype converts to f64 and back exactly, for
//! integers up to 2^53). Packing and unpacking use differentiable, batchable tensor ops.

use crate::core::{DType, Result, Tensor};
use crate::prim::Aval;

/// The dtype of the packed vector for values of these types.
pub(crate) fn flat_dtype(avals: &[Aval]) -> DType {
    match avals.first() {
        Some(a) if avals.iter().all(|b| b.dtype == a.dtype) => a.dtype,
        Some(_) => DType::F64,
        None => DType::F64,
    }
}

/// The packed vector's shape and dtype.
pub(crate) fn flat_aval(avals: &[Aval]) -> Aval {
    let n = avals.iter().map(|a| a.shape.numel()).sum::<usize>();
    Aval::new(&[n], flat_dtype(avals))
}

/// `ts` flattened, converted to `dtype` and joined into one vector.
pub(crate) fn pack(ts: &[Tensor], dtype: DType) -> Result<Tensor> {
    let parts = ts
        .iter()
        .map(|t| t.try_reshape(&[t.numel()])?.try_cast(dtype))
        .collect::<Result<Vec<_>>>()?;
    if parts.is_empty() {
        return Tensor::try_zeros(&[0], dtype);
    }
    Tensor::try_concat(&parts, 0)
}

/// The tensors of types `avals` packed in `flat` (the inverse of [`pack`]).
pub(crate) fn unpack(flat: &Tensor, avals: &[Aval]) -> Result<Vec<Tensor>> {
    let mut off = 0;
    avals
        .iter()
        .map(|a| {
            let n = a.shape.numel();
            let t = flat
                .try_narrow(0, off, n)?
                .try_reshape(a.shape.dims())?
                .try_cast(a.dtype)?;
            off += n;
            Ok(t)
        })
        .collect()
}

/// Batched packing: each of `ts` has its batch axis (of length `size`) first; the result is
/// `[size, n]`, row `b` being what [`pack`] gives for example `b`.
pub(crate) fn pack_rows(ts: &[Tensor], size: usize, dtype: DType) -> Result<Tensor> {
    let parts = ts
        .iter()
        .map(|t| {
            let n = t.numel().checked_div(size).unwrap_or(0);
            t.try_reshape(&[size, n])?.try_cast(dtype)
        })
        .collect::<Result<Vec<_>>>()?;
    if parts.is_empty() {
        return Tensor::try_zeros(&[size, 0], dtype);
    }
    Tensor::try_concat(&parts, 1)
}

/// The avals with a batch axis of length `size` in front.
pub(crate) fn batched(avals: &[Aval], size: usize) -> Vec<Aval> {
    avals
        .iter()
        .map(|a| {
            let mut dims = vec![size];
            dims.extend_from_slice(a.shape.dims());
            Aval::new(&dims, a.dtype)
        })
        .collect()
}

/// The avals with a leading axis of `length` (values stacked over the steps of a loop).
pub(crate) fn stacked(avals: &[Aval], length: usize) -> Vec<Aval> {
    batched(avals, length)
}
