//! Running one big fused loop on several threads: the loop's elements are cut into a fixed
//! number of whole-block chunks (the cut depends only on the loop's length, never on how many
//! threads there are), each chunk runs on a rayon worker with registers of its own, and a
//! full reduction folded into the loop keeps one partial result per chunk, combined afterwards
//! in chunk order. A reduction over rows (softmax's and layer norm's sums and maxima) is cut
//! into chunks of whole rows, each folding its rows into its own part of the output exactly as
//! one pass would. Elementwise outputs are therefore bit-identical to a one-thread run, and a
//! reduced output is the same whatever the thread count or timing (its summation order, chunk
//! by chunk, differs from a single pass over all elements only in rounding).

use rayon::prelude::*;
use smallvec::SmallVec;

use super::kernel::{Bound, Kernel, BLOCK};
use crate::backend::cpu::par::PAR_THRESHOLD;
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
    let mut partials = vec![T::zero(); if full { chunks } else { 0 }];
    // Each chunk's output slices, in `tout` / `bout` order.
    let mut touts: Vec<SmallVec<[&mut [T]; 4]>> = (0..chunks).map(|_| SmallVec::new()).collect();
    let mut bouts: Vec<SmallVec<[&mut [bool]; 2]>> = (0..chunks).map(|_| SmallVec::new()).collect();
    let mut parts = partials.chunks_mut(1);
    let mut part_of: Vec<&mut [T]> = (0..chunks).map_while(|_| parts.next()).collect();
    // Outputs with one element per row of a row loop are cut by rows.
    let per_row = k.row.map_or(cl, |r| cl / r);
    // Whether each float (`tout`) and bool (`bout`) output holds one element per row.
    let rows_of = |bool_out: bool| -> SmallVec<[bool; 4]> {
        k.outputs
            .iter()
            .filter(|o| (o.dtype == crate::core::DType::Bool) == bool_out)
            .map(|o| o.row)
            .collect()
    };
    let (t_row, b_row) = (rows_of(false), rows_of(true));
    for (p, out) in io.tout.iter_mut().enumerate() {
        if t_row[p] {
            for (c, s) in out.chunks_mut(per_row).enumerate() {
                touts[c].push(s);
            }
        } else if Some(p) == red_slot && full {
            for (c, t) in touts.iter_mut().enumerate() {
                t.push(std::mem::take(&mut part_of[c]));
            }
        } else if Some(p) == red_slot {
            for (c, s) in out.chunks_mut(red_rows.max(1)).enumerate() {
                touts[c].push(s);
            }
        } else {
            for (c, s) in out.chunks_mut(cl).enumerate() {
                touts[c].push(s);
            }
        }
    }
    for (p, out) in io.bout.iter_mut().enumerate() {
        let len = if b_row[p] { per_row } else { cl };
        for (c, s) in out.chunks_mut(len).enumerate() {
            bouts[c].push(s);
        }
    }
    let (tin, views, bin, scalars, slot) = (&io.tin, &io.views, &io.bin, &io.scalars, &io.slot);
    touts.into_par_iter().zip(bouts).enumerate().for_each_init(
        Vec::new,
        |regs, (c, (tout, bout))| {
            let start = c * cl;
            let len = cl.min(n - start);
            // Scalar inputs have empty slices: they stay empty.
            let mut sub = Bound {
                tin: tin
                    .iter()
                    .map(|s| {
                        if s.is_empty() {
                            *s
                        } else {
                            &s[start..start + len]
                        }
                    })
                    .collect(),
                bin: bin
                    .iter()
                    .map(|s| {
                        if s.is_empty() {
                            *s
                        } else {
                            &s[start..start + len]
                        }
                    })
                    .collect(),
                views: views
                    .iter()
                    .map(|v| v.as_ref().map(|v| v.from(start)))
                    .collect(),
                scalars: scalars.clone(),
                tout,
                bout,
                slot: slot.clone(),
            };
            k.exec_range(&mut sub, regs, len);
        },
    );
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
}
