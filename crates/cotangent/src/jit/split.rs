//! Running one big fused loop on several threads: the loop's elements are cut into a fixed
//! number of whole-block chunks (the cut depends only on the loop's length, never on how many
//! threads there are), each chunk runs on a rayon worker with registers of its own, and a
//! reduction folded into the loop keeps one partial result per chunk, combined afterwards in
//! chunk order. Elementwise outputs are therefore bit-identical to a one-thread run, and a
//! reduced output is the same whatever the thread count or timing (its summation order, chunk
//! by chunk, differs from a single pass over all elements only in rounding).

use rayon::prelude::*;
use smallvec::SmallVec;

use super::kernel::{Bound, Kernel, BLOCK};
use crate::backend::cpu::par::PAR_THRESHOLD;
use crate::prim::lowering::BlockFloat;

/// Elements per chunk: a whole number of blocks.
pub(crate) const CHUNK: usize = 32 * BLOCK;

/// Whether `k` is run split into chunks: long enough to pay for the threads, and any reduction
/// in it is a full one (to a single element), so its partials are single numbers.
pub(crate) fn splits(k: &Kernel) -> bool {
    k.n >= PAR_THRESHOLD && k.reduce.is_none_or(|r| r.red == k.n)
}

/// Run `k` (for which [`splits`] holds) over chunks on the rayon pool.
pub(crate) fn exec_split<T: BlockFloat>(k: &Kernel, io: &mut Bound<'_, T>) {
    let n = k.n;
    let chunks = n.div_ceil(CHUNK);
    let red_slot = k.reduce.map(|r| io.slot[r.out as usize]);
    let mut partials = vec![T::zero(); chunks];
    // Each chunk's output slices, in `tout` / `bout` order.
    let mut touts: Vec<SmallVec<[&mut [T]; 4]>> = (0..chunks).map(|_| SmallVec::new()).collect();
    let mut bouts: Vec<SmallVec<[&mut [bool]; 2]>> = (0..chunks).map(|_| SmallVec::new()).collect();
    let mut parts = partials.chunks_mut(1);
    let mut part_of: Vec<&mut [T]> = (0..chunks).map(|_| parts.next().unwrap()).collect();
    for (p, out) in io.tout.iter_mut().enumerate() {
        if Some(p) == red_slot {
            for (c, t) in touts.iter_mut().enumerate() {
                t.push(std::mem::take(&mut part_of[c]));
            }
        } else {
            for (c, s) in out.chunks_mut(CHUNK).enumerate() {
                touts[c].push(s);
            }
        }
    }
    for out in io.bout.iter_mut() {
        for (c, s) in out.chunks_mut(CHUNK).enumerate() {
            bouts[c].push(s);
        }
    }
    let (tin, bin, scalars, slot) = (&io.tin, &io.bin, &io.scalars, &io.slot);
    touts.into_par_iter().zip(bouts).enumerate().for_each_init(
        Vec::new,
        |regs, (c, (tout, bout))| {
            let start = c * CHUNK;
            let len = CHUNK.min(n - start);
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
                scalars: scalars.clone(),
                tout,
                bout,
                slot: slot.clone(),
            };
            k.exec_range(&mut sub, regs, len);
        },
    );
    if let (Some(r), Some(p)) = (k.reduce, red_slot) {
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
