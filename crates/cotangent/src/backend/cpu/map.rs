//! Unary elementwise kernels.

use crate::core::layout::for_each_offsets;
use crate::core::storage::Buf;
use crate::core::{Element, Value};

use super::par::{chunked_mut, map_slice};

/// `f` applied to every element, writing in place when `v` owns its buffer alone.
pub fn map_same<T: Element>(mut v: Value, f: impl Fn(T) -> T + Sync + Send) -> Value {
    if let Some(s) = v.unique_slice_mut::<T>() {
        chunked_mut(s, |_, c| c.iter_mut().for_each(|x| *x = f(*x)));
        return v;
    }
    map(&v, f)
}

/// `f` applied to every element, into a new buffer.
pub fn map<T: Element, U: Element>(v: &Value, f: impl Fn(T) -> U + Sync + Send) -> Value {
    let shape = v.shape().clone();
    let n = shape.numel();
    let out: Buf<U> = match v.contiguous_slice::<T>() {
        Some(src) => map_slice(src, |&x| f(x)),
        None => {
            let src = T::slice(&v.storage).expect("map: dtype checked by caller");
            let mut out = crate::core::pool::take_buf(n);
            let l = &v.layout;
            for_each_offsets(&l.shape, [&l.strides], [l.offset], |[o]| {
                out.push(f(src[o]))
            });
            out
        }
    };
    Value::from_buf(out, shape)
}
