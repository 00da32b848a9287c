//! The 16-bit floats are stored in 16 bits and computed in f32, as PyTorch and XLA do on CPU.
//! A primitive's kernel is written for f32 and f64 only: when an input or the promised output
//! is `f16` or `bf16`, [`eval`] widens the half inputs to f32 (exactly), runs the kernel, and
//! rounds its f32 result once to the promised dtype. So every sum and matmul over half values
//! accumulates in f32, and each primitive's half result is its f32 result correctly rounded.
//! Primitives that only move or convert elements (views, `cast`) take half values themselves
//! ([`Primitive::native_half`]).

use half::slice::HalfFloatSliceExt;
use half::{bf16, f16};
use smallvec::SmallVec;

use super::alloc;
use super::dtype::{DType, Element};
use super::error::Result;
use super::layout::Layout;
use super::primitive::Primitive;
use super::storage::{Buf, Storage, Value};

/// Whether `prim` must be run through [`eval`]'s widening for these input and output dtypes.
pub(crate) fn widens<P: Primitive + ?Sized>(
    prim: &P,
    mut inputs: impl Iterator<Item = DType>,
    out: DType,
) -> bool {
    (out.is_half() || inputs.any(DType::is_half)) && !prim.native_half()
}

/// Run `prim`'s kernel on `inputs`, through f32 when a 16-bit float is involved (see the module
/// docs); `out` is the dtype its shape rule promised.
pub(crate) fn eval<P: Primitive + ?Sized>(
    prim: &P,
    inputs: &[&Value],
    out: DType,
) -> Result<Value> {
    if !widens(prim, inputs.iter().map(|v| v.dtype()), out) {
        return prim.eval(inputs);
    }
    let wide = inputs
        .iter()
        .map(|v| widen(prim.name(), v))
        .collect::<Result<SmallVec<[Value; 3]>>>()?;
    let refs: SmallVec<[&Value; 3]> = wide.iter().collect();
    let v = prim.eval(&refs)?;
    narrow(prim.name(), &v, out)
}

/// `v` in f32 when it holds f16 or bf16 elements (exact), itself otherwise.
pub(crate) fn widen(op: &'static str, v: &Value) -> Result<Value> {
    match &*v.storage {
        Storage::F16(b) => convert(op, v, b, |s: &[f16], d: &mut [f32]| {
            s.convert_to_f32_slice(d)
        }),
        Storage::BF16(b) => convert(op, v, b, |s: &[bf16], d: &mut [f32]| {
            s.convert_to_f32_slice(d)
        }),
        _ => Ok(v.clone()),
    }
}

/// The f32 value `v` rounded to nearest-even in `to` when that is a 16-bit float; `v` itself
/// otherwise.
pub(crate) fn narrow(op: &'static str, v: &Value, to: DType) -> Result<Value> {
    let Storage::F32(b) = &*v.storage else {
        return Ok(v.clone());
    };
    match to {
        DType::F16 => convert(op, v, b, |s: &[f32], d: &mut [f16]| {
            d.convert_from_f32_slice(s)
        }),
        DType::BF16 => convert(op, v, b, |s: &[f32], d: &mut [bf16]| {
            d.convert_from_f32_slice(s)
        }),
        _ => Ok(v.clone()),
    }
}

/// Convert the elements `v` sees in `src` with `f`. A buffer no larger than the value (packed,
/// or the small buffer of a broadcast view) is converted whole and keeps its layout; the
/// elements of a view into a larger buffer are gathered first.
fn convert<S: Element, D: Element>(
    op: &'static str,
    v: &Value,
    src: &[S],
    f: impl Fn(&[S], &mut [D]),
) -> Result<Value> {
    let n = v.shape().numel();
    let whole = src.len() <= n;
    let len = if whole { src.len() } else { n };
    alloc::ensure(op, alloc::bytes_of(len, size_of::<D>()))?;
    let mut out = vec![D::default(); len];
    let layout = if whole {
        f(src, &mut out);
        v.layout.clone()
    } else {
        f(&v.elements::<S>(), &mut out);
        Layout::contiguous(v.shape().clone())
    };
    Ok(Value {
        storage: super::pool::shell(D::wrap(Buf::from_vec(out))),
        layout,
    })
}
