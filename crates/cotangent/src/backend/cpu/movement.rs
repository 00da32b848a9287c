//! Data-movement kernels that build new buffers: pad (with interior padding) and concatenate.

use crate::core::layout::for_each_offsets;
use crate::core::pool;
use crate::core::shape::{Dims, Shape};
use crate::core::{Element, Value};

/// Pad each axis with `lo` elements before, `hi` after and `interior` between neighbours, filled
/// with `fill`.
pub fn pad<T: Element>(
    v: &Value,
    lo: &[usize],
    hi: &[usize],
    interior: &[usize],
    fill: T,
) -> Value {
    let shape = v.shape();
    let out_shape: Shape = Shape(
        (0..shape.rank())
            .map(|d| {
                let n = shape[d];
                lo[d] + hi[d] + n + n.saturating_sub(1) * interior[d]
            })
            .collect(),
    );
    let mut out = pool::filled(out_shape.numel(), fill);
    let out_strides = out_shape.contiguous_strides();
    let dst_strides: Dims = (0..shape.rank())
        .map(|d| out_strides[d] * (interior[d] + 1))
        .collect();
    let start: usize = (0..shape.rank()).map(|d| lo[d] * out_strides[d]).sum();
    let src = T::slice(&v.storage).expect("pad: dtype checked by caller");
    let l = &v.layout;
    for_each_offsets(
        shape,
        [&l.strides, &dst_strides],
        [l.offset, start],
        |[s, d]| {
            out[d] = src[s];
        },
    );
    Value::from_vec(out, out_shape)
}

/// Concatenate along `axis` (all other dims equal).
pub fn concat<T: Element>(vs: &[&Value], axis: usize) -> Value {
    let mut dims: Dims = Dims::from_slice(vs[0].shape());
    dims[axis] = vs.iter().map(|v| v.shape()[axis]).sum();
    let out_shape = Shape(dims);
    let mut out = pool::filled(out_shape.numel(), T::default());
    let out_strides = out_shape.contiguous_strides();
    let mut at = 0usize;
    for v in vs {
        let src = T::slice(&v.storage).expect("concat: dtype checked by caller");
        let l = &v.layout;
        for_each_offsets(
            &l.shape,
            [&l.strides, &out_strides],
            [l.offset, at * out_strides[axis]],
            |[s, d]| out[d] = src[s],
        );
        at += v.shape()[axis];
    }
    Value::from_vec(out, out_shape)
}
