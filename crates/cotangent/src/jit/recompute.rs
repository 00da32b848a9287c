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
//! the same operands, so results are bit for bit those of the stored value. The copies are kept
//! only when the second fusion writes fewer bytes in no more steps, and they are for running
//! only: `grad`, `jvp` and `vmap` of the program transform the graph without them.

use rustc_hash::{FxHashMap, FxHashSet};

use super::elementwise::classify;
use super::fuse::{fuse, outputs, readers, resolve, Step};
use crate::ir::{Graph, Var};
use crate::prim::lowering::Lowering;

/// The elementwise rules cheap enough to compute again in another loop.
const CHEAP: [&str; 4] = ["add", "sub", "mul", "neg"];

/// `graph` fused, with the cheap values copied into the loops that read them when
/// that fusion writes less: the graph to run, the graph without the copies (`None` when it is
/// the same), and the steps.
pub(super) fn with_copies(graph: Graph) -> (Graph, Option<Graph>, Vec<Step>) {
    let fused = fuse(&graph);
    if let Some(g) = recompute_cheap(&graph, &fused) {
        let refused = fuse(&g);
        if improves(&fused, &refused) {
            return (g, Some(graph), refused);
        }
    }
    (graph, None, fused)
}

/// `g` with the cheap values of the fused `steps` copied into the loops that read them, or
/// `None` when there are none.
fn recompute_cheap(g: &Graph, steps: &[Step]) -> Option<Graph> {
    let mut loop_of: Vec<Option<usize>> = vec![None; g.eqns.len()];
    for (s, step) in steps.iter().enumerate() {
        if let Step::Kernel(k) = step {
            for &m in &k.members {
                loop_of[m as usize] = Some(s);
            }
        }
    }
    let outputs = outputs(g);
    let readers = readers(g, steps);
    // What each loop reads.
    let reads: Vec<FxHashSet<Var>> = steps
        .iter()
        .map(|step| match step {
            Step::Kernel(k) => k.inputs.iter().map(|i| i.var).collect(),
            Step::Prim(_) => FxHashSet::default(),
        })
        .collect();
    // (value, reading loop) → the copy's index in the new graph (`None` until it is made).
    let mut copies: FxHashMap<(u32, usize), Option<u32>> = FxHashMap::default();
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
        // loop), and a full-size one only in place of `j` itself, and read packed.
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
                if reads[s].contains(&v) {
                    return true;
                }
                let (r, scalar) = resolve(g, v);
                if scalar || g.aval(r).shape.numel() == 1 {
                    return stored(r);
                }
                if small_broadcast(g, v) {
                    return stored(v);
                }
                full += 1;
                stored(v) && !strided(g, v)
            });
            fits && full <= 1 && k.row.is_none() && k.dtype == t && k.n == numel
        };
        if readers[j].iter().all(|&s| recomputable(s)) {
            for &s in &readers[j] {
                copies.insert((j as u32, s), None);
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

/// Whether `v` is a strided view of another value (a transpose, a slice, a broadcast): a loop
/// reads it element by element, slower than the packed value it would replace.
fn strided(g: &Graph, v: Var) -> bool {
    let Var::Eqn(i) = v else { return false };
    matches!(
        g.eqns[i as usize].prim.lowering(),
        Lowering::Permute { .. } | Lowering::Slice { .. } | Lowering::Broadcast { .. }
    )
}

/// Whether fusing the graph with the copies (`after`) is better than without (`before`): it
/// writes fewer bytes from its loops and has no more steps (the copies joined the loops that
/// read them rather than splitting one).
fn improves(before: &[Step], after: &[Step]) -> bool {
    let written = |steps: &[Step]| -> usize {
        steps
            .iter()
            .filter_map(|s| match s {
                Step::Kernel(k) => Some(
                    k.outputs
                        .iter()
                        .map(|o| o.numel * o.dtype.size_bytes())
                        .sum::<usize>(),
                ),
                Step::Prim(_) => None,
            })
            .sum()
    };
    after.len() <= before.len() && written(after) < written(before)
}

/// `g` with a copy of value `j` placed before the first equation of loop `s` that reads it,
/// for each `(j, s)` in `copies`, and that loop's equations reading the copy (a copy reads the
/// copies made for its loop of its own operands).
fn rebuild(
    g: &Graph,
    loop_of: &[Option<usize>],
    copies: &mut FxHashMap<(u32, usize), Option<u32>>,
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

/// The new graph as it is built: the old equations' new indices, and the copies made so far.
struct Rebuild<'a> {
    g: &'a Graph,
    copies: &'a mut FxHashMap<(u32, usize), Option<u32>>,
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

    /// Old variable `v` as read inside loop `s`: its copy for that loop when it has one, made
    /// here at its first read (after the copies its operands need, made first; iteratively, so
    /// a long chain of copies does not deepen the stack).
    fn read_in(&mut self, v: Var, s: usize) -> Var {
        let Var::Eqn(j) = v else { return v };
        if !self.copies.contains_key(&(j, s)) {
            return self.map(v);
        }
        let mut todo = vec![j];
        while let Some(&t) = todo.last() {
            if self.copies[&(t, s)].is_some() {
                todo.pop();
                continue;
            }
            let missing: Vec<u32> = self.g.eqns[t as usize]
                .inputs
                .iter()
                .filter_map(|&u| match u {
                    Var::Eqn(i) if self.copies.get(&(i, s)) == Some(&None) => Some(i),
                    _ => None,
                })
                .collect();
            if !missing.is_empty() {
                todo.extend(missing);
                continue;
            }
            let mut c = self.g.eqns[t as usize].clone();
            c.inputs = c
                .inputs
                .iter()
                .map(|&u| match u {
                    Var::Eqn(i) => match self.copies.get(&(i, s)) {
                        Some(&Some(at)) => Var::Eqn(at),
                        _ => self.map(u),
                    },
                    u => u,
                })
                .collect();
            let at = self.eqns.len() as u32;
            self.eqns.push(c);
            self.copies.insert((t, s), Some(at));
            todo.pop();
        }
        Var::Eqn(self.copies[&(j, s)].expect("made just above"))
    }
}

#[cfg(test)]
mod tests {
    use crate::jit::passes::optimize;
    use crate::jit::Jit;
    use crate::{try_value_and_grad_n, DType, Tensor};

    #[test]
    fn transformations_see_the_graph_without_the_copies() {
        // A GELU layer's gradient: its forward loop's pre-activation is copied into the
        // backward loop.
        let step = |a: &[Tensor]| {
            let loss = |p: &[Tensor]| (a[1].matmul(&p[0]) + 0.5).gelu().square().sum();
            let (l, g) = try_value_and_grad_n(loss, &a[..1]).unwrap();
            vec![l, g[0].clone()]
        };
        let args = [
            Tensor::randn(&[16, 64], 1, DType::F64),
            Tensor::randn(&[8, 16], 2, DType::F64),
        ];
        let c = Jit::new(step).compiled(&args).unwrap();
        let optimized = optimize(c.traced()).0;
        assert!(c.source.is_some(), "no copies made:\n{}", c.listing());
        assert_eq!(c.source().eqns.len(), optimized.eqns.len());
        assert!(c.graph.eqns.len() > optimized.eqns.len());
    }
}
