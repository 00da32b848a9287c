//! `vmap` of a jitted function, compiled: inside a `vmap`'s per-example trace a call of a
//! compiled program is recorded as one `jit` equation ([`JitCall`]) instead of its graph's
//! equations. Its batching rule traces the program's graph through every primitive's batching
//! rule at the batched shapes (once per batch axes and size, kept with the program), compiles
//! that, and calls it on the whole batch, where it runs fused like any other compiled program
//! (or is recorded, batched again, or replayed, by what the batch is: see `dispatch`). So
//! `vmap(jit(f))` runs as `jit(vmap(f))` does, and under `grad` its gradient is compiled too.

use std::panic::Location;
use std::sync::Arc;

use super::call::{call_outputs, tensors};
use super::compiled::Compiled;
use super::run::execute;
use crate::control::diff::float_cotangents;
use crate::control::diff::{float_tangents, jvp_call, vjp_call};
use crate::core::multi::bind_multi;
use crate::core::{Result, Tensor, Value};
use crate::ir::try_trace_fallible;
use crate::prim::{Aval, AvalRef, MultiPrimitive};
use crate::transform::function::dense;
use crate::transform::vmap::{batch_at, batch_graph};

/// A call of a compiled program, recorded in a `vmap`'s per-example trace. Its outputs are the
/// program's.
#[derive(Debug)]
pub(crate) struct JitCall {
    program: Arc<Compiled>,
    outs: Vec<Aval>,
    location: &'static Location<'static>,
}

/// Record a call of `c` on `xs` (values of a `vmap`'s per-example trace) as one [`JitCall`].
pub(crate) fn bind(
    c: &Arc<Compiled>,
    xs: &[Tensor],
    location: &'static Location<'static>,
) -> Result<Vec<Tensor>> {
    let call = JitCall {
        program: c.clone(),
        outs: c.graph.output_avals(),
        location,
    };
    bind_multi(Arc::new(call), xs.iter().cloned().collect(), location)
}

impl Compiled {
    /// This program's graph batched along `dims` with `size` examples (outputs batched at
    /// axis 0), compiled: made at the first call with these axes and kept.
    fn batched(
        &self,
        args: &[Tensor],
        dims: &[Option<usize>],
        size: usize,
    ) -> Result<Arc<Compiled>> {
        let mut cache = self.batched.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, _, c)) = cache.iter().find(|(d, s, _)| d == dims && *s == size) {
            return Ok(c.clone());
        }
        let avals: Vec<Aval> = args.iter().map(Aval::of).collect();
        let traced = try_trace_fallible(
            |a| {
                batch_graph(self.source(), a, dims, size)?
                    .iter()
                    .map(|(y, d)| batch_at(y, *d, size, 0))
                    .collect()
            },
            &avals,
        )?;
        let c = Arc::new(Compiled::new(traced));
        cache.push((dims.to_vec(), size, c.clone()));
        Ok(c)
    }

    /// How many batched forms of this program `vmap` has compiled (one per batch axes and
    /// size it was mapped with).
    ///
    /// ```
    /// use cotangent::{jit::Jit, vmap, Tensor};
    /// let j = Jit::new(|x: &[Tensor]| vec![(x[0].sin() * 2.0).exp().sum()]);
    /// let row = Tensor::from_vec(vec![0.5f64; 4], &[4]);
    /// let rows = Tensor::from_vec(vec![0.5f64; 12], &[3, 4]);
    /// let y = vmap(|x: &Tensor| j.call(std::slice::from_ref(x)).remove(0), 0, 0)(&rows);
    /// assert_eq!(y.dims(), &[3]);
    /// assert_eq!(j.compiled(&[row]).unwrap().batched_programs(), 1);
    /// ```
    pub fn batched_programs(&self) -> usize {
        self.batched.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

impl MultiPrimitive for JitCall {
    fn name(&self) -> &'static str {
        "jit"
    }

    fn abstract_eval(&self, inputs: &[AvalRef<'_>]) -> Result<Vec<Aval>> {
        call_outputs(&self.program.graph.inputs, inputs, &self.outs)
    }

    fn eval(&self, inputs: &[&Value]) -> Result<Vec<Value>> {
        let xs = tensors(inputs.iter().map(|v| (*v).clone()));
        execute(&self.program, &xs)
    }

    fn jvp(&self, p: &[Tensor], t: &[Option<Tensor>], _: &[Tensor]) -> Result<Vec<Option<Tensor>>> {
        let (_, ts) = jvp_call(self.program.source(), p, &dense(p, t))?;
        Ok(float_tangents(ts))
    }

    fn vjp(&self, p: &[Tensor], _: &[Tensor], cts: &[Tensor]) -> Result<Vec<Option<Tensor>>> {
        let xbar = vjp_call(self.program.source(), p, cts)?;
        Ok(float_cotangents(xbar, p))
    }

    fn batch(
        &self,
        args: &[Tensor],
        dims: &[Option<usize>],
        size: usize,
    ) -> Result<Option<Vec<(Tensor, Option<usize>)>>> {
        let program = self.program.batched(args, dims, size)?;
        let outs = super::dispatch::call(&program, args, self.location)?;
        Ok(Some(outs.into_iter().map(|o| (o, Some(0))).collect()))
    }
}
