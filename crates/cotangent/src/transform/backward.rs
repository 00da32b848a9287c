//! The reverse-mode walk: cotangents flow from outputs to inputs through each primitive's VJP
//! rule, summed where paths meet. Rules run with the walking level switched off, so they are
//! recorded only for enclosing levels (which is what makes higher order work).

use rustc_hash::{FxHashMap, FxHashSet};
use smallvec::SmallVec;

use crate::core::debug::{check_rule, debug_nans, first_non_finite, RuleScope};
use crate::core::level::MaskGuard;
use crate::core::multi::{as_tuple, dense_cotangents, output_index, outputs_of};
use crate::core::tensor::NodeId;
use crate::core::{Error, Result, Tensor, Value};
use crate::transform::graph::topo_order;
use crate::transform::stats::count_reverse;

/// Pull `seeds` (one per output) back to the `stops` and to the untracked-origin leaves at `bit`.
/// Returns the cotangents of those terminals, keyed by node id. When `keep_recording` is set the
/// walking level stays on, so the gradients are themselves differentiable at that level.
pub(crate) fn backward(
    outputs: &[Tensor],
    seeds: &[Tensor],
    bit: u64,
    stops: &[Tensor],
    keep_recording: bool,
) -> Result<FxHashMap<NodeId, (Tensor, Tensor)>> {
    count_reverse();
    let stop_ids: FxHashSet<NodeId> = stops.iter().map(Tensor::id).collect();
    let order = topo_order(outputs, bit, &stop_ids);
    let _guard = MaskGuard::without(if keep_recording { 0 } else { bit });
    let mut cot: FxHashMap<NodeId, Tensor> =
        FxHashMap::with_capacity_and_hasher(order.len(), Default::default());
    for (o, s) in outputs.iter().zip(seeds) {
        if o.levels() & bit != 0 {
            accumulate(&mut cot, o, s.clone())?;
        }
    }
    let mut terminals = FxHashMap::with_capacity_and_hasher(stops.len() + 4, Default::default());
    // Cotangents of the outputs of multi-output primitives, gathered at their tuple node.
    let mut gathered: FxHashMap<NodeId, Vec<Option<Tensor>>> = FxHashMap::default();
    for node in order.iter().rev() {
        let terminal = stop_ids.contains(&node.id()) || node.origin().is_none();
        if !terminal {
            let origin = node.origin().expect("non-terminal nodes have an origin");
            if let Some(t) = as_tuple(&*origin.prim) {
                let Some(cts) = gathered.remove(&node.id()) else {
                    continue;
                };
                let gs = dense_cotangents(&t.avals, cts)?;
                let contributions = {
                    let _rule = RuleScope::enter();
                    t.multi
                        .vjp(&origin.inputs, &outputs_of(node), &gs)
                        .map_err(|e| e.at(node.location()))?
                };
                pass_back(&mut cot, node, &gs, contributions, bit)?;
                continue;
            }
        }
        let Some(g) = cot.remove(&node.id()) else {
            continue;
        };
        if terminal {
            terminals.insert(node.id(), (node.clone(), g));
            continue;
        }
        let origin = node.origin().expect("non-terminal nodes have an origin");
        if let Some(k) = output_index(&*origin.prim) {
            let tuple = &origin.inputs[0];
            let n = tuple
                .origin()
                .and_then(|o| as_tuple(&*o.prim))
                .map_or(0, |t| t.avals.len());
            let slots = gathered.entry(tuple.id()).or_insert_with(|| vec![None; n]);
            slots[k] = Some(match slots[k].take() {
                Some(prev) => prev.try_add(&g)?,
                None => g,
            });
            continue;
        }
        let contributions = {
            let _rule = RuleScope::enter();
            let needed: SmallVec<[bool; 3]> = origin
                .inputs
                .iter()
                .map(|i| i.levels() & bit != 0)
                .collect();
            origin
                .prim
                .vjp_needed(&origin.inputs, node, &g, &needed)
                .map_err(|e| e.at(node.location()))?
        };
        pass_back(&mut cot, node, std::slice::from_ref(&g), contributions, bit)?;
    }
    Ok(terminals)
}

/// Check the cotangents a rule returned for `node`'s inputs (`seeds`: the cotangents of its
/// outputs, for `debug_nans`) and add them to those inputs' cotangents.
fn pass_back(
    cot: &mut FxHashMap<NodeId, Tensor>,
    node: &Tensor,
    seeds: &[Tensor],
    contributions: Vec<Option<Tensor>>,
    bit: u64,
) -> Result<()> {
    let origin = node.origin().expect("non-terminal nodes have an origin");
    if contributions.len() != origin.inputs.len() {
        return Err(Error::shape(
            origin.prim.name(),
            format!(
                "its vjp rule returned {} cotangents for {} inputs (one per input, `None` \
                 for zero)",
                contributions.len(),
                origin.inputs.len()
            ),
        )
        .at(node.location()));
    }
    // The rule is to blame only when every cotangent it was given is finite.
    let blame = debug_nans() && seeds.iter().all(|s| first_non_finite(s.value()).is_none());
    if let (true, Some(g)) = (blame, seeds.first()) {
        let primals: Vec<&Value> = origin.inputs.iter().map(Tensor::value).collect();
        for c in contributions.iter().flatten() {
            check_rule(
                "vjp",
                origin.prim.name(),
                &primals,
                g.value(),
                c.value(),
                node.location(),
            )?;
        }
    }
    for (input, c) in origin.inputs.iter().zip(contributions) {
        if let Some(c) = c {
            if input.levels() & bit != 0 {
                if c.shape() != input.shape() || c.dtype() != input.dtype() {
                    return Err(Error::shape(
                        origin.prim.name(),
                        format!(
                            "its vjp rule returned a cotangent of {}{} for an input of {}{}",
                            c.dtype(),
                            c.shape(),
                            input.dtype(),
                            input.shape()
                        ),
                    )
                    .at(node.location()));
                }
                accumulate(cot, input, c)?;
            }
        }
    }
    Ok(())
}

fn accumulate(cot: &mut FxHashMap<NodeId, Tensor>, node: &Tensor, c: Tensor) -> Result<()> {
    if c.shape() != node.shape() {
        return Err(Error::shape(
            "backward",
            format!(
                "a cotangent of shape {} was given for a value of shape {} (from `{}`)",
                c.shape(),
                node.shape(),
                node.op_name().unwrap_or("leaf")
            ),
        ));
    }
    match cot.remove(&node.id()) {
        Some(prev) => cot.insert(node.id(), prev.try_add(&c)?),
        None => cot.insert(node.id(), c),
    };
    Ok(())
}
