//! Running one big fused loop on several threads: the loop's elements are cut into a fixed
//! number of whole-block chunks (the cut depends only on the loop's length, never on how many
//! threads there are), the range of chunks is halved with `rayon::join` down to single chunks
//! (so the outputs are cut in place, with no list of chunks), each chunk runs on a rayon worker
//! with that worker's own registers (kept between runs), and a
//! full reduction folded into the loop keeps one partial result per chunk, combined afterwards
//! in chunk order. A reduction over rows (softmax's and layer norm's sums and maxima) is cut
//! into chunks of whole rows, each folding its rows into its own part of the output exactly as
//! one pass would. Elementwise outputs are therefore bit-identical to a one-thread run, and a
//! reduced output is the same whatever the thread count or timing (its summation order, chunk
//! by chunk, differs from a single pass over all elements only in rounding).

use std::any::Any;
use std::cell::RefCell;

use smallvec::SmallVec;

use super::kernel::{Bound, Kernel, BLOCK};
use super::strided::Strided;
use crate::backend::cpu::par::PAR_THRESHOLD;
use crate::core::pool;
use crate::prim::lowering::BlockFloat;

/// Elements per chunk: a whole number of blocks.
pub(crate) const CHUNK: usize = 32 * BLOCK;

/// Elements per chunk of `k`: [`CHUNK`], or for a reduction over rows (`[outer, red, inner]`
/// with `outer > 1`) a whole number of rows, at least one, so that each chunk folds its own
/// rows into its own slice of the output, in the same order as one pass would.
fn chunk_len(k: &Kernel) -> usize {
    if let Some(r) = k.row {
        return r * (CHUNK / r).max(1);
    }
    match k.reduce {
        Some(r) if r.red != k.n => {
            let span = (r.red * r.inner).max(1);
            span * (CHUNK / span).max(1)
        }
        _ => CHUNK,
    }
}

/// Whether `k` is run split into chunks: long enough to pay for the threads, and (for a
/// reduction over rows) holding at least two chunks of whole rows. A full reduction keeps one
/// partial result per chunk.
pub(crate) fn splits(k: &Kernel) -> bool {
    k.n >= PAR_THRESHOLD && k.n.div_ceil(chunk_len(k)) >= 2
}

thread_local! {
    /// Each worker's register scratch, kept between runs (a loop's chunk needs a few blocks).
    static REGS32: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
    static REGS64: RefCell<Vec<f64>> = const { RefCell::new(Vec::new()) };
}

/// Run `f` with this thread's register scratch for `T` (a fresh one if it is in use).
fn with_worker_regs<T: BlockFloat>(f: impl FnOnce(&mut Vec<T>)) {
    fn on<U: 'static, T: 'static>(
        key: &'static std::thread::LocalKey<RefCell<Vec<U>>>,
        f: impl FnOnce(&mut Vec<T>),
    ) -> Option<impl FnOnce(&mut Vec<T>)> {
        let mut f = Some(f);
        let _ = key.try_with(|r| {
            if let Ok(mut r) = r.try_borrow_mut() {
                if let Some(regs) = (&mut *r as &mut dyn Any).downcast_mut::<Vec<T>>() {
                    (f.take().expect("called once"))(regs);
                }
            }
        });
        f
    }
    let Some(f) = on(&REGS32, f) else { return };
    let Some(f) = on(&REGS64, f) else { return };
    f(&mut Vec::new());
}

/// What every chunk of one split loop shares: the loop, its inputs and how its outputs are cut.
struct Shared<'k, 'a, T> {
    k: &'k Kernel,
    /// The loop's inputs, as in [`Bound`]: packed, strided, bool and scalar.
    tin: &'k [&'a [T]],
    views: &'k [Option<Strided<'a, T>>],
    bin: &'k [&'a [bool]],
    scalars: &'k [T],
    /// Output index → position in `tout` or `bout`.
    slot: &'k [usize],
    /// Elements per chunk of the loop.
    cl: usize,
    /// Elements per chunk of each float and bool output.
    t_unit: SmallVec<[usize; 8]>,
    b_unit: SmallVec<[usize; 8]>,
}

/// Run `k` (for which [`splits`] holds) over chunks on the rayon pool.
pub(crate) fn exec_split<T: BlockFloat>(k: &Kernel, io: &mut Bound<'_, T>) {
    let n = k.n;
    let cl = chunk_len(k);
    let chunks = n.div_ceil(cl);
    // A full reduction folds into one partial per chunk; a row reduction into the chunk's rows.
    let full = k.reduce.is_some_and(|r| r.red == n);
    let red_slot = k.reduce.map(|r| io.slot[r.out as usize]);
    let red_rows = k
        .reduce
        .map_or(0, |r| cl / (r.red * r.inner).max(1) * r.inner);
    let mut partials = pool::filled(if full { chunks } else { 0 }, T::zero());
    // Outputs with one element per row of a row loop are cut by rows.
    let per_row = k.row.map_or(cl, |r| cl / r);
    // Each output's elements per chunk, in `tout` / `bout` order.
    let unit = |bool_out: bool, p: usize, row: bool| {
        if row {
            per_row
        } else if !bool_out && Some(p) == red_slot {
            // A full reduction's partials: one per chunk; a row reduction's rows.
            if full {
                1
            } else {
                red_rows.max(1)
            }
        } else {
            cl
        }
    };
    let units = |bool_out: bool| -> SmallVec<[usize; 8]> {
        k.outputs
            .iter()
            .filter(|o| (o.dtype == crate::core::DType::Bool) == bool_out)
            .enumerate()
            .map(|(p, o)| unit(bool_out, p, o.row))
            .collect()
    };
    let (t_unit, b_unit) = (units(false), units(true));
    {
        let mut part = Some(&mut partials[..]);
        let tout: SmallVec<[&mut [T]; 8]> = io
            .tout
            .iter_mut()
            .enumerate()
            .map(|(p, s)| match part.take() {
                Some(q) if Some(p) == red_slot && full => q,
                q => {
                    part = q;
                    &mut **s
                }
            })
            .collect();
        let bout: SmallVec<[&mut [bool]; 8]> = io.bout.iter_mut().map(|s| &mut **s).collect();
        let shared = Shared {
            k,
            tin: &io.tin,
            views: &io.views,
            bin: &io.bin,
            scalars: &io.scalars,
            slot: &io.slot,
            cl,
            t_unit,
            b_unit,
        };
        run_chunks(&shared, 0, chunks, tout, bout);
    }
    if let (Some(r), Some(p), true) = (k.reduce, red_slot, full) {
        io.tout[p][0] = if r.max {
            partials.iter().fold(T::neg_infinity(), |a, &x| {
                super::kernel::combine(true, a, x)
            })
        } else {
            let mut sum = super::kernel::Cascade::default();
            partials.iter().for_each(|&x| sum.push(x));
            sum.total()
        };
    }
    pool::give(partials);
}

/// Run chunks `first..first + count`, whose outputs are `tout` and `bout`, halving the range
/// with `rayon::join` (so the outputs are cut without a list per chunk).
fn run_chunks<'s, 'a: 's, T: BlockFloat>(
    sh: &Shared<'_, 'a, T>,
    first: usize,
    count: usize,
    mut tout: SmallVec<[&'s mut [T]; 8]>,
    mut bout: SmallVec<[&'s mut [bool]; 8]>,
) {
    if count > 1 {
        let half = count / 2;
        let (rt, rb) = (
            cut(&mut tout, &sh.t_unit, half),
            cut(&mut bout, &sh.b_unit, half),
        );
        rayon::join(
            || run_chunks(sh, first, half, tout, bout),
            || run_chunks(sh, first + half, count - half, rt, rb),
        );
        return;
    }
    let Shared {
        tin,
        views,
        bin,
        scalars,
        slot,
        ..
    } = sh;
    let start = first * sh.cl;
    let len = sh.cl.min(sh.k.n - start);
    // Scalar inputs have empty slices: they stay empty.
    let mut sub: Bound<'s, T> = Bound {
        tin: tin.iter().map(|&s| chunk_of(s, start, len)).collect(),
        bin: bin.iter().map(|&s| chunk_of(s, start, len)).collect(),
        views: views
            .iter()
            .map(|v| v.as_ref().map(|v| v.from(start)))
            .collect(),
        scalars: SmallVec::from_slice(scalars),
        tout,
        bout,
        slot: SmallVec::from_slice(slot),
    };
    with_worker_regs(|regs| sh.k.exec_range(&mut sub, regs, len));
}

/// Elements `start..start + len` of an input (a scalar input's empty slice stays empty).
fn chunk_of<U>(s: &[U], start: usize, len: usize) -> &[U] {
    if s.is_empty() {
        s
    } else {
        &s[start..start + len]
    }
}

/// Cut each output at `half` chunks (of its own length `units[i]`): `outs` keeps the first
/// part, the rest is returned.
fn cut<'s, U>(
    outs: &mut SmallVec<[&'s mut [U]; 8]>,
    units: &[usize],
    half: usize,
) -> SmallVec<[&'s mut [U]; 8]> {
    outs.iter_mut()
        .zip(units)
        .map(|(s, &u)| {
            let whole = std::mem::take(s);
            let (a, b) = whole.split_at_mut((half * u).min(whole.len()));
            *s = a;
            b
        })
        .collect()
}
