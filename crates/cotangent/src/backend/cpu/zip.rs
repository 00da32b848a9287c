//! Binary and ternary elementwise kernels over operands of one shape (broadcast operands arrive
//! as stride-0 views).

use crate::core::layout::for_each_offsets;
use crate::core::storage::Buf;
use crate::core::{Element, Value};

use super::par::{chunked_mut, map_slice, zip_slices};

/// `f(a, b)` elementwise, writing into `a`'s or `b`'s buffer when one owns it alone.
pub fn zip_same<T: Element>(
    mut a: Value,
    mut b: Value,
    f: impl Fn(T, T) -> T + Sync + Send,
) -> Value {
    if let Some(dst) = a.unique_slice_mut::<T>() {
        if let Some(src) = b.contiguous_slice::<T>() {
            chunked_mut(dst, |s, c| {
                for (x, &y) in c.iter_mut().zip(&src[s..]) {
                    *x = f(*x, y);
                }
            });
            return a;
        }
        if b.layout.is_broadcast_scalar() {
            let y = T::slice(&b.storage).expect("dtype checked by caller")[b.layout.offset];
            chunked_mut(dst, |_, c| c.iter_mut().for_each(|x| *x = f(*x, y)));
            return a;
        }
    }
    if let Some(dst) = b.unique_slice_mut::<T>() {
        if let Some(src) = a.contiguous_slice::<T>() {
            chunked_mut(dst, |s, c| {
                for (y, &x) in c.iter_mut().zip(&src[s..]) {
                    *y = f(x, *y);
                }
            });
            return b;
        }
        if a.layout.is_broadcast_scalar() {
            let x = T::slice(&a.storage).expect("dtype checked by caller")[a.layout.offset];
            chunked_mut(dst, |_, c| c.iter_mut().for_each(|y| *y = f(x, *y)));
            return b;
        }
    }
    zip(&a, &b, f)
}

/// `f(a, b)` elementwise into a new buffer.
pub fn zip<T: Element, U: Element>(
    a: &Value,
    b: &Value,
    f: impl Fn(T, T) -> U + Sync + Send,
) -> Value {
    let shape = a.shape().clone();
    let sa = T::slice(&a.storage).expect("zip: dtype checked by caller");
    let sb = T::slice(&b.storage).expect("zip: dtype checked by caller");
    let out: Buf<U> = match (a.contiguous_slice::<T>(), b.contiguous_slice::<T>()) {
        (Some(xa), Some(xb)) => zip_slices(xa, xb, |&x, &y| f(x, y)),
        (Some(xa), None) if b.layout.is_broadcast_scalar() => {
            let y = sb[b.layout.offset];
            map_slice(xa, |&x| f(x, y))
        }
        (None, Some(xb)) if a.layout.is_broadcast_scalar() => {
            let x = sa[a.layout.offset];
            map_slice(xb, |&y| f(x, y))
        }
        _ => {
            let (la, lb) = (&a.layout, &b.layout);
            let mut out = crate::core::pool::take_buf(shape.numel());
            for_each_offsets(
                &shape,
                [&la.strides, &lb.strides],
                [la.offset, lb.offset],
                |[p, q]| out.push(f(sa[p], sb[q])),
            );
            out
        }
    };
    Value::from_buf(out, shape)
}

/// One operand of a fast elementwise loop: packed elements or one value broadcast everywhere.
#[derive(Clone, Copy)]
enum Operand<'a, T> {
    Packed(&'a [T]),
    Splat(T),
}

impl<'a, T: Element> Operand<'a, T> {
    fn of(v: &'a Value) -> Option<Self> {
        if let Some(s) = v.contiguous_slice::<T>() {
            return Some(Operand::Packed(s));
        }
        if v.layout.is_broadcast_scalar() {
            return Some(Operand::Splat(T::slice(&v.storage)?[v.layout.offset]));
        }
        None
    }

    #[inline(always)]
    fn get(&self, i: usize) -> T {
        match *self {
            Operand::Packed(s) => s[i],
            Operand::Splat(x) => x,
        }
    }
}

/// `if c { a } else { b }`: the one formula of `select`, eager and fused.
#[inline(always)]
pub fn pick<T>(c: bool, a: T, b: T) -> T {
    if c {
        a
    } else {
        b
    }
}

/// `cond ? a : b` elementwise (all three of one shape).
pub fn select<T: Element>(cond: &Value, a: &Value, b: &Value) -> Value {
    let shape = a.shape().clone();
    let n = shape.numel();
    if let (Some(c), Some(x), Some(y)) = (
        cond.contiguous_slice::<bool>(),
        Operand::<T>::of(a),
        Operand::<T>::of(b),
    ) {
        let out: Buf<T> = if n > 64 {
            let mut v = crate::core::pool::take(n);
            v.extend(
                c.iter()
                    .enumerate()
                    .map(|(i, &c)| pick(c, x.get(i), y.get(i))),
            );
            Buf::from_vec(v)
        } else {
            c.iter()
                .enumerate()
                .map(|(i, &c)| pick(c, x.get(i), y.get(i)))
                .collect()
        };
        return Value::from_buf(out, shape);
    }
    let sc = bool::slice(&cond.storage).expect("select: condition must be bool");
    let sa = T::slice(&a.storage).expect("select: dtype checked by caller");
    let sb = T::slice(&b.storage).expect("select: dtype checked by caller");
    let mut out = crate::core::pool::take_buf(n);
    let (lc, la, lb) = (&cond.layout, &a.layout, &b.layout);
    for_each_offsets(
        &shape,
        [&lc.strides, &la.strides, &lb.strides],
        [lc.offset, la.offset, lb.offset],
        |[c, p, q]| out.push(pick(sc[c], sa[p], sb[q])),
    );
    Value::from_buf(out, shape)
}
