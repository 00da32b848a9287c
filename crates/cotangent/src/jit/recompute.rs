//! Recomputing cheap values instead of storing them. A fused loop writes every value that a
//! later step reads, and the later loop reads it back: for a value that is one addition,
//! subtraction, multiplication or negation of what the later loop reads anyway (a GELU's
//! scaled pre-activation, `s = y · c`, stored by the forward loop and read by the backward
//! loop beside `y` itself), that is a buffer written and read for one arithmetic instruction.
//! Here each such reader gets a copy of the equation, placed just before its first use, so the
//! next fusion computes the value inside the reading loop and the producing loop no longer
//! writes it (as XLA duplicates cheap producers into their consumers' fusions).
//!
//! Only values all of whose readers outside their own loop can recompute them are copied (else
//! the buffer stays, and the copy would only add work); the copy computes the same operation on
//! the same operands, so results are bit for bit those of the stored value.

use rustc_hash::FxHashMap;

use super::elementwise::classify;
use super::fuse::{readers, resolve, Step};
use crate::ir::{Graph, Var};
use crate::prim::lowering::Lowering;

/// The elementwise rules cheap enough to compute again in another loop.
const CHEAP: [&str; 4] = ["add", "sub", "mul", "neg"];

/// `g` with the cheap values of the fused `steps` copied into the loops that read them, or
/// `None` when there are none.
pub(super) fn recompute_cheap(g: &Graph, steps: &[Step]) -> Option<Graph> {
    let mut loop_of: Vec<Option<usize>> = vec![None; g.eqns.len()];
    for (s, step) in steps.iter().enumerate() {
        if let Step::Kernel(k) = step {
            for &m in &k.members {
                loop_of[m as usize] = Some(s);
            }
        }
    }
    let outputs: Vec<bool> = {
        let mut o = vec![false; g.eqns.len()];
        for &v in &g.outputs {
            if let Var::Eqn(j) = v {
                o[j as usize] = true;
            }
        }
        o
    };
    let readers = readers(g, steps);
    // (value, reading loop) → the copy's index in the new graph (set while rebuilding).
    let mut copies: FxHashMap<(u32, usize), u32> = FxHashMap::default();
    for (j, e) in g.eqns.iter().enumerate() {
        if loop_of[j].is_none() || outputs[j] || readers[j].is_empty() {
            continue;
        }
        let Some((rule, t)) = classify(g, e) else {
            continue;
        };
        if !CHEAP.contains(&rule.name) {
            continue;
        }
        let numel = e.aval.shape.numel();
        // An operand the reading loop can read: a stored value (not one kept inside `j`'s own
        // loop), and a full-size one only in place of `j` itself.
        let stored = |v: Var| match v {
            Var::Eqn(i) => loop_of[i as usize] != loop_of[j] || !readers[i as usize].is_empty(),
            _ => true,
        };
        let recomputable = |s: usize| {
            let Step::Kernel(k) = &steps[s] else {
                return false;
            };
            let mut full = 0;
            let fits = e.inputs.iter().all(|&v| {
                let (r, scalar) = resolve(g, v);
                if scalar || g.aval(r).shape.numel() == 1 {
                    return true;
                }
                if k.inputs.iter().any(|i| i.var == v && i.pieces.is_none()) {
                    return true;
                }
                if !small_broadcast(g, v) {
                    full += 1;
                }
                stored(v)
            });
            fits && full <= 1
                && k.row.is_none()
                && k.first.is_none()
                && k.dtype == t
                && k.n == numel
        };
        if readers[j].iter().all(|&s| recomputable(s)) {
            for &s in &readers[j] {
                copies.insert((j as u32, s), u32::MAX);
            }
        }
    }
    if copies.is_empty() {
        return None;
    }
    Some(rebuild(g, &loop_of, &mut copies))
}

/// Whether `v` is a broadcast of a value at most an eighth its size (a bias along rows): a
/// loop reads it in place, at little cost beside a full-size operand.
fn small_broadcast(g: &Graph, v: Var) -> bool {
    let Var::Eqn(i) = v else { return false };
    let e = &g.eqns[i as usize];
    matches!(e.prim.lowering(), Lowering::Broadcast { .. })
        && g.aval(e.inputs[0]).shape.numel() * 8 <= e.aval.shape.numel()
}

/// `g` with a copy of value `j` placed before the first equation of loop `s` that reads it,
/// for each `(j, s)` in `copies`, and that loop's equations reading the copy (a copy reads the
/// copies made for its loop of its own operands).
fn rebuild(
    g: &Graph,
    loop_of: &[Option<usize>],
    copies: &mut FxHashMap<(u32, usize), u32>,
) -> Graph {
    let mut re = Rebuild {
        g,
        copies,
        index: Vec::with_capacity(g.eqns.len()),
        eqns: Vec::with_capacity(g.eqns.len()),
    };
    for (m, e) in g.eqns.iter().enumerate() {
        let inputs = e
            .inputs
            .iter()
            .map(|&v| match loop_of[m] {
                Some(s) => re.read_in(v, s),
                None => re.map(v),
            })
            .collect();
        let mut e = e.clone();
        e.inputs = inputs;
        re.index.push(re.eqns.len() as u32);
        re.eqns.push(e);
    }
    let outputs = g.outputs.iter().map(|&v| re.map(v)).collect();
    Graph {
        inputs: g.inputs.clone(),
        consts: g.consts.clone(),
        outputs,
        eqns: re.eqns,
    }
}

/// The new graph as it is built: the old equations' new indices, and the copies made so far
/// (`u32::MAX` for one not made yet).
struct Rebuild<'a> {
    g: &'a Graph,
    copies: &'a mut FxHashMap<(u32, usize), u32>,
    index: Vec<u32>,
    eqns: Vec<crate::ir::Eqn>,
}

impl Rebuild<'_> {
    /// An old variable in the new graph.
    fn map(&self, v: Var) -> Var {
        match v {
            Var::Eqn(i) => Var::Eqn(self.index[i as usize]),
            v => v,
        }
    }

    /// Old variable `v` as read inside loop `s`: its copy for that loop (made here, at its
    /// first read) when it has one.
    fn read_in(&mut self, v: Var, s: usize) -> Var {
        let Var::Eqn(j) = v else { return v };
        match self.copies.get(&(j, s)).copied() {
            None => self.map(v),
            Some(u32::MAX) => {
                let mut c = self.g.eqns[j as usize].clone();
                c.inputs = c.inputs.iter().map(|&u| self.read_in(u, s)).collect();
                let at = self.eqns.len() as u32;
                self.eqns.push(c);
                self.copies.insert((j, s), at);
                Var::Eqn(at)
            }
            Some(at) => Var::Eqn(at),
        }
    }
}
