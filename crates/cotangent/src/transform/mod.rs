//! Transformations: walks over the recorded graph that apply each primitive's rules.
//! Reverse mode (`backward`, `grad`, `value_and_grad`, `vjp`, the gradient tape), forward mode
//! (`jvp`, `linearize`), and their compositions (`jacfwd`, `jacrev`, `jacobian`, `hessian`,
//! `hvp`).
//!
//! Each transformation takes a fresh recording level (see `core::level`), makes tracked aliases
//! of its inputs, runs the user's function, walks the recorded graph with its own level switched
//! off, and returns results detached from its level. Nesting therefore differentiates each level
//! with respect to its own inputs only.

pub(crate) mod backward;
pub mod checkpoint;
pub mod custom;
pub(crate) mod forward;
pub(crate) mod function;
pub mod grad;
pub(crate) mod graph;
pub mod jacobian;
pub mod jvp;
pub mod stats;
pub mod tape;
pub mod vmap;

use std::sync::Arc;

use smallvec::smallvec;

use crate::core::level::{active, forward};
use crate::core::tensor::{Node, Origin};
use crate::core::Tensor;
use crate::prim::identity::Identity;

/// A fresh alias of `x` tracked at `bit`, connected to `x` when an active outer level records
/// it, and carrying `x`'s tangents at the active forward levels (and `tangent` at `bit`, for a
/// forward level).
pub(crate) fn alias(x: &Tensor, bit: u64) -> Tensor {
    alias_with_tangent(x, bit, None)
}

/// [`alias`] with a tangent at `bit` (the input of a `jvp`).
pub(crate) fn alias_with_tangent(x: &Tensor, bit: u64, tangent: Option<Tensor>) -> Tensor {
    let outer = x.levels() & active();
    let recording = outer & !forward();
    let mut tangents = x.live_tangents();
    tangents.extend(tangent.map(|t| (bit, t)));
    Tensor::new_node(Node {
        value: x.value().clone(),
        levels: outer | bit,
        epoch: crate::core::level::epoch(),
        origin: (recording != 0).then(|| Origin {
            prim: Arc::new(Identity),
            inputs: smallvec![x.clone()],
        }),
        location: x.location(),
        tangents: (!tangents.is_empty()).then(|| Box::new(tangents)),
    })
}

/// `y` as the transformation at `bit` hands it back: detached when no other active level
/// tracks it, so that what the transformation recorded can be freed.
pub(crate) fn exit(y: Tensor, bit: u64) -> Tensor {
    if y.levels() & !bit & active() == 0 {
        if Arc::strong_count(&y.0) == 1 && y.origin().is_none() && y.levels() == 0 {
            return y;
        }
        return Tensor::from_value(y.value().clone(), y.location());
    }
    y
}
