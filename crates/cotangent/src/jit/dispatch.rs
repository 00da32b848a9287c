//! How one call of a compiled program runs, by what its inputs are: untracked concrete inputs
//! run the program; concrete inputs a derivative level tracks run it as one recorded `jit` node
//! (its gradient compiled too, see `call`); inputs of a `vmap`'s per-example trace are recorded
//! as one `jit` equation that the `vmap` batches into a compiled batched program (see `batch`);
//! inputs of any other trace (an enclosing `jit`, `trace`, a loop body) replay the optimized
//! graph into it, so the enclosing compiler fuses across the call.

use std::panic::Location;
use std::sync::Arc;

use super::compiled::Compiled;
use super::run::execute;
use crate::core::level::active;
use crate::core::{debug_nans, Result, Tensor};

/// Run `c` on `xs` (see the module docs).
pub(crate) fn call(
    c: &Arc<Compiled>,
    xs: &[Tensor],
    location: &'static Location<'static>,
) -> Result<Vec<Tensor>> {
    let act = active();
    let outer = xs
        .iter()
        .any(|x| x.value().is_abstract() || x.levels() & act != 0)
        || (c.tracked_consts && c.graph.consts.iter().any(|t| t.levels() & act != 0));
    if outer {
        let concrete = xs.iter().all(|x| !x.value().is_abstract());
        if concrete && !c.tracked_consts {
            let split = c
                .split
                .get_or_init(|| super::call::split(c.source()).ok().map(Arc::new));
            if let Some(split) = split {
                return super::call::record(split, xs, location).map_err(|e| e.at(location));
            }
        }
        if !concrete && !c.tracked_consts && crate::transform::vmap::in_per_example_trace(xs) {
            return super::batch::bind(c, xs, location);
        }
        return c.source().eval(xs).map_err(|e| e.at(location));
    }
    let outs: Vec<Tensor> = match &c.scalar {
        Some(p) => p.run(&c.graph, xs, location),
        None => execute(c, xs)
            .map_err(|e| e.at(location))?
            .into_iter()
            .map(|v| Tensor::from_value(v, location))
            .collect(),
    };
    if debug_nans() && outs.iter().any(non_finite) {
        // Re-run eagerly, checking every primitive, to name the one that produced it.
        c.traced.eval(xs).map_err(|e| e.at(location))?;
    }
    Ok(outs)
}

fn non_finite(t: &Tensor) -> bool {
    t.dtype().is_float() && t.to_f64_vec().iter().any(|x| !x.is_finite())
}
