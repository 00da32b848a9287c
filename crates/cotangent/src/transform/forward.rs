//! The forward-mode walk: tangents flow from inputs to outputs through each primitive's JVP
//! rule, over the graph recorded while the function ran. Rules run with the walking level
//! switched off, so they are recorded only for enclosing levels.

use rustc_hash::{FxHashMap, FxHashSet};

use crate::core::debug::RuleScope;
use crate::core::level::MaskGuard;
use crate::core::tangent::check_tangent;
use crate::core::tensor::NodeId;
use crate::core::{Result, Tensor};
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
    for node in &order {
        if stop_ids.contains(&node.id()) {
            continue;
        }
        let Some(origin) = node.origin() else {
            continue;
        };
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
