//! The buffer plan: which planned buffer each fused loop's output is written to, and when each
//! intermediate value is released. Buffers are reused within a run once the value in them is
//! dead (same dtype and size) and no view of it (a slice, reshape, broadcast) is read any more,
//! and kept across runs by the executor's arena, so steady-state runs of fused loops allocate
//! nothing.

use super::fuse::Step;
use super::kernel::KOutput;
use crate::core::DType;
use crate::ir::{Graph, Var};

/// A compiled program with its buffer plan.
#[derive(Clone, Debug)]
pub(crate) struct Plan {
    pub steps: Vec<Step>,
    /// After step `i`, the equation results to release.
    pub drops: Vec<Vec<u32>>,
    /// How many planned buffers there are.
    pub nbufs: usize,
}

fn step_reads(g: &Graph, s: &Step) -> Vec<Var> {
    match s {
        Step::Prim(k) => g.eqns[*k as usize].inputs.to_vec(),
        Step::Kernel(k) => k
            .inputs
            .iter()
            .flat_map(|i| match &i.pieces {
                // Read through its parts; the value itself is never made.
                Some(p) => p.parts.iter().filter_map(|&(v, _)| v).collect(),
                None => vec![i.var],
            })
            .chain(k.first.map(|r| r.var))
            .collect(),
    }
}

fn step_writes(s: &Step) -> Vec<Var> {
    match s {
        Step::Prim(k) => vec![Var::Eqn(*k)],
        Step::Kernel(k) => k.outputs.iter().map(|o| o.var).collect(),
    }
}

/// Plan the buffers of `steps` (a program for `g`).
pub(crate) fn plan(g: &Graph, mut steps: Vec<Step>) -> Plan {
    let ne = g.eqns.len();
    let never = usize::MAX;
    // Step of the last read of each equation's value (`never` for outputs).
    let mut last = vec![0usize; ne];
    for (i, s) in steps.iter().enumerate() {
        for v in step_writes(s) {
            if let Var::Eqn(j) = v {
                last[j as usize] = last[j as usize].max(i);
            }
        }
        for v in step_reads(g, s) {
            if let Var::Eqn(j) = v {
                last[j as usize] = last[j as usize].max(i);
            }
        }
    }
    for &v in &g.outputs {
        if let Var::Eqn(j) = v {
            last[j as usize] = never;
        }
    }
    // A view (a reshape, slice, broadcast, transpose) shares its operand's buffer: the operand
    // stays alive as long as the view is read, or a later loop would be planned into a buffer
    // still in use (and, finding it shared, have to allocate a new one on every run). In
    // reverse order, so a view of a view passes its last read on.
    for s in steps.iter().rev() {
        if let Step::Prim(k) = s {
            let e = &g.eqns[*k as usize];
            if e.prim.is_view() {
                for &v in &e.inputs {
                    if let Var::Eqn(j) = v {
                        last[j as usize] = last[j as usize].max(last[*k as usize]);
                    }
                }
            }
        }
    }
    let mut drops: Vec<Vec<u32>> = vec![Vec::new(); steps.len()];
    for j in 0..ne {
        if last[j] != never
            && steps
                .iter()
                .any(|s| step_writes(s).contains(&Var::Eqn(j as u32)))
        {
            drops[last[j]].push(j as u32);
        }
    }
    // Buffers: a free list per (dtype, size), filled as values die.
    let mut free: Vec<(DType, usize, u32)> = Vec::new();
    // Each value's buffer and the elements it holds (fewer than the value's for a broadcast
    // written once per row).
    let mut buf_of: Vec<Option<(u32, usize)>> = vec![None; ne];
    let mut nbufs = 0u32;
    for (i, s) in steps.iter_mut().enumerate() {
        if let Step::Kernel(k) = s {
            for o in &mut k.outputs {
                let KOutput { dtype, numel, .. } = *o;
                let b = match free.iter().position(|&(d, n, _)| d == dtype && n == numel) {
                    Some(p) => free.swap_remove(p).2,
                    None => {
                        nbufs += 1;
                        nbufs - 1
                    }
                };
                o.buf = b;
                if let Var::Eqn(j) = o.var {
                    buf_of[j as usize] = Some((b, numel));
                }
            }
        }
        for &j in &drops[i] {
            let j = j as usize;
            if let Some((b, numel)) = buf_of[j] {
                free.push((g.eqns[j].aval.dtype, numel, b));
            }
        }
    }
    Plan {
        steps,
        drops,
        nbufs: nbufs as usize,
    }
}
