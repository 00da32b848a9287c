//! Reductions with their consumers: a reduction left as a primitive step (its operand is not a
//! loop it could join: a matmul's result, a loop's output that others read too) whose result
//! only one later fused loop reads becomes that loop's first phase. The loop folds the operand
//! into a scratch block (kept in the arena, as large as the loop) with the reduction's own
//! kernel, so the values are bit for bit those of the primitive, and then runs its elementwise
//! work on it: a bias gradient `sum(dz, axis 0)` and the SGD update of the bias are one step,
//! and so are a loss's sum and its mean.

use super::fuse::{readers, reduction, without, Step};
use super::kernel::FirstReduce;
use crate::ir::{Graph, Var};

/// `steps` with each such reduction moved into the loop that reads it.
pub(crate) fn fold_reductions(g: &Graph, mut steps: Vec<Step>) -> Vec<Step> {
    let readers = readers(g, &steps);
    let mut removed = vec![false; steps.len()];
    for i in 0..steps.len() {
        let Step::Prim(r) = steps[i] else { continue };
        let Some((max, red, inner)) = reduction(g, r as usize) else {
            continue;
        };
        let &[reader] = &readers[r as usize][..] else {
            continue;
        };
        let e = &g.eqns[r as usize];
        let operand = g.aval(e.inputs[0]);
        let returned = g.outputs.contains(&Var::Eqn(r));
        if returned || reader <= i || operand.dtype != e.aval.dtype {
            continue;
        }
        let Step::Kernel(k) = &mut steps[reader] else {
            continue;
        };
        let Some(input) = k.inputs.iter().position(|x| x.var == Var::Eqn(r)) else {
            continue;
        };
        // One input reads it (a loop may read a value both whole and splatted), not per row.
        let reads = k.inputs.iter().filter(|x| x.var == Var::Eqn(r)).count();
        if k.first.is_some() || k.dtype != e.aval.dtype || k.inputs[input].row || reads != 1 {
            continue;
        }
        k.first = Some(FirstReduce {
            var: e.inputs[0],
            max,
            outer: operand.shape.numel() / (red * inner).max(1),
            red,
            inner,
            input: input as u32,
        });
        k.members.insert(0, r);
        removed[i] = true;
    }
    without(steps, &removed)
}
