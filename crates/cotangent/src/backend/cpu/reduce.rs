//! Reductions over a set of axes (the reduced axes are removed from the output shape).

use rayon::prelude::*;

use crate::core::shape::{Dims, Shape};
use crate::core::{Real, Value};

use super::par::PAR_THRESHOLD;

/// How a reduction combines elements.
pub trait Reducer<T: Real>: Sync + Send {
    /// The identity (0 for sum, -inf for max).
    fn init(&self) -> T;
    /// Fold one element into an accumulator.
    fn fold(&self, acc: T, x: T) -> T;
}

/// Summation.
pub struct SumR;
impl<T: Real> Reducer<T> for SumR {
    fn init(&self) -> T {
        T::zero()
    }
    #[inline(always)]
    fn fold(&self, acc: T, x: T) -> T {
        acc + x
    }
}

/// Maximum, propagating NaN.
pub struct MaxR;
impl<T: Real> Reducer<T> for MaxR {
    fn init(&self) -> T {
        T::neg_infinity()
    }
    #[inline(always)]
    fn fold(&self, acc: T, x: T) -> T {
        if x > acc || x.is_nan() {
            x
        } else {
            acc
        }
    }
}

/// Reduce `v` over the sorted, distinct `axes`.
pub fn reduce<T: Real>(v: &Value, axes: &[usize], r: impl Reducer<T>) -> Value {
    let shape = v.shape();
    let out_shape: Shape = Shape(
        (0..shape.rank())
            .filter(|d| !axes.contains(d))
            .map(|d| shape[d])
            .collect(),
    );
    // Bring the reduced axes to a contiguous block (or to the end) and view as (outer, r, inner).
    let block = axes.windows(2).all(|w| w[1] == w[0] + 1);
    let (data, outer, red, inner) = if block && v.layout.is_contiguous() {
        let (a, b) = (
            axes.first().copied().unwrap_or(0),
            axes.last().map_or(0, |l| l + 1),
        );
        let outer: usize = shape[..a].iter().product();
        let red: usize = shape[a..b].iter().product();
        let inner: usize = shape[b..].iter().product();
        (v.elements::<T>(), outer, red, inner)
    } else {
        let mut perm: Dims = (0..shape.rank()).filter(|d| !axes.contains(d)).collect();
        perm.extend(axes.iter().copied());
        let moved = v.with_layout(v.layout.permute(&perm));
        let red: usize = axes.iter().map(|&a| shape[a]).product();
        let data = std::borrow::Cow::Owned(moved.to_vec::<T>());
        (data, out_shape.numel(), red, 1)
    };
    let mut out = vec![r.init(); outer * inner];
    let row = |o: usize, dst: &mut [T]| {
        let base = o * red * inner;
        if inner == 1 {
            dst[0] = fold_slice(&r, &data[base..base + red]);
        } else {
            for j in 0..red {
                let src = &data[base + j * inner..base + (j + 1) * inner];
                for (d, &x) in dst.iter_mut().zip(src) {
                    *d = r.fold(*d, x);
                }
            }
        }
    };
    let total = outer * red * inner;
    if total >= PAR_THRESHOLD && outer >= 2 && inner > 0 {
        out.par_chunks_mut(inner)
            .enumerate()
            .for_each(|(o, dst)| row(o, dst));
    } else if total >= PAR_THRESHOLD && outer == 1 && inner == 1 {
        let parts: Vec<T> = data
            .par_chunks(1 << 14)
            .map(|c| fold_slice(&r, c))
            .collect();
        out[0] = parts.into_iter().fold(r.init(), |a, x| r.fold(a, x));
    } else if inner > 0 {
        for (o, dst) in out.chunks_mut(inner).enumerate() {
            row(o, dst);
        }
    }
    Value::from_vec(out, out_shape)
}

/// Fold a contiguous slice with eight independent accumulators (vectorizes, and keeps f32 sums
/// more accurate than one running total).
fn fold_slice<T: Real>(r: &impl Reducer<T>, s: &[T]) -> T {
    let mut acc = [r.init(); 8];
    let chunks = s.chunks_exact(8);
    let rest = chunks.remainder();
    for c in chunks {
        for k in 0..8 {
            acc[k] = r.fold(acc[k], c[k]);
        }
    }
    let mut total = r.init();
    for a in acc {
        total = r.fold(total, a);
    }
    for &x in rest {
        total = r.fold(total, x);
    }
    total
}
