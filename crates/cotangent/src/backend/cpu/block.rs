//! The eager runner of elementwise rules: applies a primitive's block function (see
//! [`crate::prim::lowering::Elementwise`]) to values of one shape, block by block, as a fused
//! loop does, so eager and compiled results agree bit for bit. Packed operands are read in place,
//! a broadcast scalar is splatted into one block, any other strided view is packed first; a
//! buffer nobody else holds receives the result in place.

use std::borrow::Cow;

use smallvec::SmallVec;

use crate::core::storage::Buf;
use crate::core::{Element, Value};
use crate::prim::lowering::{BlockFn, OneFn};
use crate::prim::Values;

use super::par::chunked_mut;

/// Elements per call of a block function (as in fused loops).
const BLOCK: usize = 512;

/// One operand as the runner reads it: packed elements, one value everywhere, or (`Own`) the
/// output buffer itself, read just before it is overwritten.
enum Operand<'a, T: Clone> {
    Packed(Cow<'a, [T]>),
    Splat(T),
    Own,
}

impl<'a, T: Element> Operand<'a, T> {
    fn of(v: &'a Value) -> Self {
        if !v.layout.is_contiguous() && v.layout.is_broadcast_scalar() {
            let s = T::slice(&v.storage).expect("block: dtype checked by caller");
            return Operand::Splat(s[v.layout.offset]);
        }
        Operand::Packed(v.elements::<T>())
    }
}

/// Operands of one call (inline up to three).
type Operands<'a, T> = SmallVec<[Operand<'a, T>; 3]>;

/// Run `f` over `out`, the elements from `start` on of the whole output.
fn run<T: Element>(f: BlockFn<T>, out: &mut [T], start: usize, ops: &[Operand<'_, T>]) {
    if let Some(ins) = packed(ops, start, out.len()) {
        // Every operand is read in place: one call, no scratch.
        return f(out, &ins);
    }
    let mut scratch = [[T::default(); BLOCK]; 3];
    for (i, op) in ops.iter().enumerate() {
        if let Operand::Splat(x) = op {
            scratch[i] = [*x; BLOCK];
        }
    }
    let own = ops.iter().position(|op| matches!(op, Operand::Own));
    let mut off = 0;
    while off < out.len() {
        let len = BLOCK.min(out.len() - off);
        let o = &mut out[off..off + len];
        if let Some(i) = own {
            scratch[i][..len].copy_from_slice(o);
        }
        let mut ins: [&[T]; 3] = [&[], &[], &[]];
        for (i, op) in ops.iter().enumerate() {
            ins[i] = match op {
                Operand::Packed(s) => &s[start + off..start + off + len],
                Operand::Splat(_) | Operand::Own => &scratch[i][..len],
            };
        }
        f(o, &ins[..ops.len()]);
        off += len;
    }
}

/// The operands' slices at `start..start + len` if every one is packed.
fn packed<'a, T: Element>(
    ops: &'a [Operand<'_, T>],
    start: usize,
    len: usize,
) -> Option<SmallVec<[&'a [T]; 3]>> {
    ops.iter()
        .map(|op| match op {
            Operand::Packed(s) => Some(&s[start..start + len]),
            _ => None,
        })
        .collect()
}

/// Below this many elements an output is built inline (as the other kernels do).
const SMALL: usize = 64;

/// `f` over `inputs` (one shape, one dtype `T`) into a new buffer (`one`, the same formula at
/// one element, for a one-element output).
pub fn apply<T: Element>(f: BlockFn<T>, one: OneFn<T>, inputs: &[&Value]) -> Value {
    let shape = inputs[0].shape().clone();
    let n = shape.numel();
    if n == 1 {
        return Value::from_buf(smallvec::smallvec![at_one(one, inputs)], shape);
    }
    let ops: Operands<'_, T> = inputs.iter().map(|v| Operand::of(v)).collect();
    if n <= SMALL {
        let mut out: Buf<T> = Buf::from_elem(T::default(), n);
        run(f, &mut out, 0, &ops);
        return Value::from_buf(out, shape);
    }
    let mut out = crate::core::pool::filled(n, T::default());
    chunked_mut(&mut out, |s, c| run(f, c, s, &ops));
    Value::from_vec(out, shape)
}

/// `one` at each operand's single element, wherever its view puts it.
fn at_one<T: Element>(one: OneFn<T>, inputs: &[&Value]) -> T {
    let mut args = [T::default(); 3];
    for (a, v) in args.iter_mut().zip(inputs) {
        *a = T::slice(&v.storage).expect("block: dtype checked by caller")[v.layout.offset];
    }
    one(args)
}

/// Like [`apply`], writing into the first operand that owns its packed buffer alone.
pub fn apply_owned<T: Element>(f: BlockFn<T>, one: OneFn<T>, mut inputs: Values) -> Value {
    let Some(k) = (0..inputs.len()).find(|&i| inputs[i].unique_slice_mut::<T>().is_some()) else {
        let refs: SmallVec<[&Value; 3]> = inputs.iter().collect();
        return apply(f, one, &refs);
    };
    let mut dst = inputs.remove(k);
    let mut ops: Operands<'_, T> = inputs.iter().map(|v| Operand::of(v)).collect();
    ops.insert(k, Operand::Own);
    let slice = dst.unique_slice_mut::<T>().expect("checked above");
    chunked_mut(slice, |s, c| run(f, c, s, &ops));
    dst
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::Shape;

    fn sub(out: &mut [f64], ins: &[&[f64]]) {
        for ((o, &a), &b) in out.iter_mut().zip(ins[0]).zip(ins[1]) {
            *o = a - b;
        }
    }

    fn sub1(a: [f64; 3]) -> f64 {
        a[0] - a[1]
    }

    #[test]
    fn one_element_runs_the_one_element_formula() {
        let a = Value::from_vec(vec![5.0], Shape::from(&[1][..]));
        let b = Value::from_vec(vec![2.0], Shape::from(&[1][..]));
        assert_eq!(apply(sub, sub1, &[&a, &b]).to_vec::<f64>(), vec![3.0]);
    }

    #[test]
    fn in_place_keeps_operand_order() {
        let n = 1500;
        let a: Vec<f64> = (0..n).map(|i| i as f64).collect();
        let b = vec![1.0; n];
        let shape = Shape::from(&[n][..]);
        let va = Value::from_vec(a.clone(), shape.clone());
        let vb = Value::from_vec(b.clone(), shape.clone());
        let keep_a = va.clone();
        // `a` is shared, so `b`'s buffer (operand 1) is overwritten: the result is still a − b.
        let out = apply_owned(sub, sub1, [va, vb].into_iter().collect());
        let want: Vec<f64> = a.iter().map(|x| x - 1.0).collect();
        assert_eq!(out.to_vec::<f64>(), want);
        assert_eq!(keep_a.to_vec::<f64>(), a);
        let fresh = apply(sub, sub1, &[&keep_a, &Value::from_vec(b, shape)]);
        assert_eq!(fresh.to_vec::<f64>(), want);
    }
}
