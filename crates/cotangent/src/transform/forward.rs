//! The forward-mode walk: tangents flow from inputs to outputs through each primitive's JVP
//! rule, over the graph recorded while the function ran. Rules run with the walking level
//! switched off, so they are recorded only for enclosing levels.

use rustc_hash::{FxHashMap, FxHashSet};

use crate::core::debug::RuleScope;
use crate::core::level::MaskGuard;
use crate::core::multi::{as_tuple, output_index, outputs_of};
use crate::core::tangent::check_tangent;
use crate::core::tensor::NodeId;
use crate::core::{Error, Result, Tensor};
use crate::transform::graph::topo_order;
use crate::transform::stats::count_forward;

/// Push `tangents` (one per input) from `inputs` to `outputs` through the graph tracked at
/// `bit`. `None` is a zero tangent.
pub(crate) fn forward(
    outputs: &[Tensor],
    inputs: &[Tensor],
    tangents: &[Tensor],
    bit: u64,
) -> Result<Vec<Option<Tensor>>> {
    count_forward();
    let stop_ids: FxHashSet<NodeId> = inputs.iter().map(Tensor::id).collect();
    let order = topo_order(outputs, bit, &stop_ids);
    let _guard = MaskGuard::without(bit);
    let mut tan: FxHashMap<NodeId, Tensor> =
        FxHashMap::with_capacity_and_hasher(order.len(), Default::default());
    for (x, t) in inputs.iter().zip(tangents) {
        tan.insert(x.id(), t.clone());
    }
    // The output tangents of each multi-output primitive, by its tuple node.
    let mut spread: FxHashMap<NodeId, Vec<Option<Tensor>>> = FxHashMap::default();
    for node in &order {
        if stop_ids.contains(&node.id()) {
            continue;
        }
        let Some(origin) = node.origin() else {
            continue;
        };
        if let Some(k) = output_index(&*origin.prim) {
            // An output of a multi-output primitive: its tangent came with its tuple's.
            if let Some(t) = spread
                .get(&origin.inputs[0].id())
                .and_then(|ts| ts[k].clone())
            {
                tan.insert(node.id(), t);
            }
            continue;
        }
        let ins: Vec<Option<Tensor>> = origin
            .inputs
            .iter()
            .map(|i| {
                if i.levels() & bit != 0 {
                    tan.get(&i.id()).cloned()
                } else {
                    None
                }
            })
            .collect();
        if ins.iter().all(Option::is_none) {
            continue;
        }
        if let Some(t) = as_tuple(&*origin.prim) {
            let outs = outputs_of(node);
            let ts = {
                let _rule = RuleScope::enter();
                t.multi
                    .jvp(&origin.inputs, &ins, &outs)
                    .map_err(|e| e.at(node.location()))?
            };
            if ts.len() != outs.len() {
                return Err(Error::shape(
                    t.multi.name(),
                    format!(
                        "its jvp rule returned {} tangents for {} outputs",
                        ts.len(),
                        outs.len()
                    ),
                )
                .at(node.location()));
            }
            for (tk, o) in ts.iter().zip(&outs) {
                if let Some(tk) = tk {
                    check_tangent(
                        t.multi.name(),
                        &origin.inputs,
                        &ins,
                        o.value(),
                        tk,
                        node.location(),
                    )?;
                }
            }
            spread.insert(node.id(), ts);
            continue;
        }
        let out = {
            let _rule = RuleScope::enter();
            origin
                .prim
                .jvp(&origin.inputs, &ins, node)
                .map_err(|e| e.at(node.location()))?
        };
        if let Some(t) = out {
            check_tangent(
                origin.prim.name(),
                &origin.inputs,
                &ins,
                node.value(),
                &t,
                node.location(),
            )?;
            tan.insert(node.id(), t);
        }
    }
    Ok(outputs.iter().map(|o| tan.get(&o.id()).cloned()).collect())
}
