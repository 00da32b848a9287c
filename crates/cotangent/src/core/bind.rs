//! `bind`: the one entry point through which every primitive is applied. It checks shapes and
//! dtypes, runs the kernel, and keeps the edges to the inputs only when an active level tracks
//! one of them.

use std::panic::Location;

use smallvec::SmallVec;

use super::error::Result;
use super::level::active;
use super::storage::Value;
use super::tensor::{Inputs, Node, Origin, Tensor};
use crate::prim::{AvalRef, Primitive};

/// Apply `prim` to `inputs`, recording the edge when needed.
#[track_caller]
pub(crate) fn bind<P: Primitive>(prim: P, inputs: Inputs) -> Result<Tensor> {
    let location = Location::caller();
    {
        let avals: SmallVec<[AvalRef<'_>; 3]> = inputs.iter().map(|t| t.aval()).collect();
        prim.abstract_eval(&avals).map_err(|e| e.at(location))?;
    }
    let levels = inputs.iter().fold(0, |acc, t| acc | t.levels()) & active();
    let (value, origin) = if levels == 0 {
        let values: SmallVec<[Value; 2]> = inputs.into_iter().map(Tensor::into_value).collect();
        (prim.eval(values).map_err(|e| e.at(location))?, None)
    } else {
        let values: SmallVec<[Value; 2]> = inputs.iter().map(|t| t.value().clone()).collect();
        let value = prim.eval(values).map_err(|e| e.at(location))?;
        (
            value,
            Some(Origin {
                prim: Box::new(prim),
                inputs,
            }),
        )
    };
    Ok(Tensor::new_node(Node {
        value,
        levels,
        origin,
        location,
    }))
}

/// Record an already computed `value` as the output of `prim` applied to `inputs` (for
/// primitives that carry a user function, whose output shape is known only by running it).
#[track_caller]
pub(crate) fn bind_computed(prim: Box<dyn Primitive>, inputs: Inputs, value: Value) -> Tensor {
    let location = Location::caller();
    let levels = inputs.iter().fold(0, |acc, t| acc | t.levels()) & active();
    let origin = (levels != 0).then(|| Origin { prim, inputs });
    Tensor::new_node(Node {
        value,
        levels,
        origin,
        location,
    })
}
