//! Topological order of the recorded graph between a transformation's inputs and outputs.
//! Iterative, so graph depth never reaches the stack.

use rustc_hash::FxHashSet;

use crate::core::tensor::NodeId;
use crate::core::Tensor;

/// Nodes reachable from `outputs` through edges tracked at `bit`, without passing through the
/// `stops` (the transformation's inputs), inputs before the nodes that use them.
pub(crate) fn topo_order(outputs: &[Tensor], bit: u64, stops: &FxHashSet<NodeId>) -> Vec<Tensor> {
    let mut order = Vec::with_capacity(64);
    let mut visited: FxHashSet<NodeId> =
        FxHashSet::with_capacity_and_hasher(64, Default::default());
    let mut stack: Vec<(Tensor, usize)> = Vec::with_capacity(32);
    // One depth-first walk per output, each run to completion: seeding the stack with every
    // output at once would mark an output that is also an ancestor of another as visited before
    // its own inputs, and emit it after its user.
    for o in outputs {
        if o.levels() & bit == 0 || !visited.insert(o.id()) {
            continue;
        }
        stack.push((o.clone(), 0));
        walk(&mut stack, &mut visited, &mut order, bit, stops);
    }
    order
}

/// Run the depth-first walk on `stack` until it is empty, appending finished nodes to `order`.
fn walk(
    stack: &mut Vec<(Tensor, usize)>,
    visited: &mut FxHashSet<NodeId>,
    order: &mut Vec<Tensor>,
    bit: u64,
    stops: &FxHashSet<NodeId>,
) {
    while let Some(top) = stack.len().checked_sub(1) {
        let (node, next) = &mut stack[top];
        let child = match node.origin() {
            Some(origin) if !stops.contains(&node.id()) => origin.inputs.get(*next).cloned(),
            _ => None,
        };
        match child {
            Some(c) => {
                *next += 1;
                if c.levels() & bit != 0 && visited.insert(c.id()) {
                    stack.push((c, 0));
                }
            }
            None => {
                let (done, _) = stack.pop().expect("non-empty");
                order.push(done);
            }
        }
    }
}
