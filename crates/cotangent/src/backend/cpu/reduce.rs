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
    let mut out = crate::core::pool::filled(outer * inner, r.init());
    reduce_into(&data, outer, red, inner, &r, &mut out);
    Value::from_vec(out, out_shape)
}

/// Fold `data`, seen as `[outer, red, inner]`, over `red` into `out` (`[outer, inner]`): what
/// [`reduce`] computes for a contiguous block of axes, bit for bit (fused loops that run a
/// reduction first call it too).
pub(crate) fn reduce_into<T: Real>(
    data: &[T],
    outer: usize,
    red: usize,
    inner: usize,
    r: &impl Reducer<T>,
    out: &mut [T],
) {
    out.fill(r.init());
    let row = |o: usize, dst: &mut [T]| {
        let base = o * red * inner;
        if inner == 1 {
            dst[0] = fold_slice(r, &data[base..base + red]);
        } else {
            // Pairwise over blocks of rows, as `fold_slice` does over elements: a column's error
            // grows with log(red), not with `red` as one running total's does.
            fold_rows(r, &data[base..base + red * inner], inner, dst);
        }
    };
    let total = outer * red * inner;
    if total >= PAR_THRESHOLD && outer >= 2 && inner > 0 {
        out.par_chunks_mut(inner)
            .enumerate()
            .for_each(|(o, dst)| row(o, dst));
    } else if total >= PAR_THRESHOLD && outer == 1 && inner == 1 {
        let parts: Vec<T> = data.par_chunks(1 << 14).map(|c| fold_slice(r, c)).collect();
        out[0] = fold_slice(r, &parts);
    } else if inner > 0 {
        for (o, dst) in out.chunks_mut(inner).enumerate() {
            row(o, dst);
        }
    }
}

/// Elements folded by one block of eight accumulators before blocks are combined pairwise.
const BLOCK: usize = 256;

/// Fold a contiguous slice: blocks of [`BLOCK`] elements with eight independent accumulators
/// (vectorizes), combined by pairwise halving, so an f32 sum's error grows with `log n` rather
/// than `n` (the sum of 10⁷ copies of 0.1 is right to 1e-7, as JAX's and PyTorch's are). The
/// recursion is `log₂(n / BLOCK)` deep.
fn fold_slice<T: Real>(r: &impl Reducer<T>, s: &[T]) -> T {
    if s.len() <= BLOCK {
        return fold_block(r, s);
    }
    // Split at a multiple of BLOCK so the blocks are the same whatever the length.
    let half = s.len().div_ceil(2 * BLOCK) * BLOCK;
    let (a, b) = s.split_at(half.min(s.len()));
    r.fold(fold_slice(r, a), fold_slice(r, b))
}

/// Fold at most a few hundred elements with eight independent accumulators.
fn fold_block<T: Real>(r: &impl Reducer<T>, s: &[T]) -> T {
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

/// Rows folded by one running total before blocks of rows are combined pairwise.
const ROW_BLOCK: usize = 32;

/// Fold the rows of the row-major `[rows, inner]` block `s` into `acc` (which holds the
/// identity): blocks of [`ROW_BLOCK`] rows directly, larger ones by pairwise halving. The recursion
/// is `log₂(rows / BLOCK)` deep; each split allocates one scratch row.
fn fold_rows<T: Real>(r: &impl Reducer<T>, s: &[T], inner: usize, acc: &mut [T]) {
    let rows = s.len() / inner;
    if rows <= ROW_BLOCK {
        for src in s.chunks_exact(inner) {
            for (d, &x) in acc.iter_mut().zip(src) {
                *d = r.fold(*d, x);
            }
        }
        return;
    }
    let half = rows.div_ceil(2 * ROW_BLOCK) * ROW_BLOCK;
    let (a, b) = s.split_at(half.min(rows) * inner);
    fold_rows(r, a, inner, acc);
    let mut part = crate::core::pool::filled(inner, r.init());
    fold_rows(r, b, inner, &mut part);
    for (d, &p) in acc.iter_mut().zip(&part) {
        *d = r.fold(*d, p);
    }
    crate::core::pool::give(part);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f32_sum_of_many_is_accurate() {
        let n = 10_000_000;
        let v = Value::from_vec(vec![0.1f32; n], Shape(smallvec::smallvec![n]));
        let s = reduce::<f32>(&v, &[0], SumR).elements::<f32>()[0] as f64;
        let want = 0.1f32 as f64 * n as f64;
        assert!((s / want - 1.0).abs() < 1e-6, "sum {s}, want {want}");
        // The strided (column) path too: a [n/2, 2] tensor summed over its first axis.
        let v = Value::from_vec(vec![0.1f32; n], Shape(smallvec::smallvec![n / 2, 2]));
        let out = reduce::<f32>(&v, &[0], SumR);
        for &c in out.elements::<f32>().iter() {
            let want = 0.1f32 as f64 * (n / 2) as f64;
            assert!(
                (c as f64 / want - 1.0).abs() < 1e-6,
                "column sum {c}, want {want}"
            );
        }
    }
}
