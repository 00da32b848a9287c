//! Rematerialization: `checkpoint(f)` keeps only the inputs of `f` during the forward pass and
//! recomputes `f` when a derivative is needed, trading compute for activation memory. Under
//! `vmap` the block stays one checkpoint, of the mapped function.

use std::fmt;
use std::sync::Arc;

use crate::core::{Result, Tensor, Value};
use crate::prim::{Aval, AvalRef, Primitive};
use crate::transform::custom::{abstract_output, apply_function, dense, run, vmapped, Fun};
use crate::{jvp, vjp};

struct Checkpoint {
    f: Fun,
}

impl fmt::Debug for Checkpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("checkpoint")
    }
}

impl Primitive for Checkpoint {
    fn name(&self) -> &'static str {
        "checkpoint"
    }
    fn abstract_eval(&self, inputs: &[AvalRef<'_>]) -> Result<Aval> {
        abstract_output(&self.f, inputs)
    }
    fn eval(&self, inputs: &[&Value]) -> Result<Value> {
        run(&self.f, inputs)
    }
    fn jvp(&self, p: &[Tensor], t: &[Option<Tensor>], _: &Tensor) -> Result<Option<Tensor>> {
        let f = self.f.clone();
        Ok(Some(jvp(|xs| f(xs), p, &dense(p, t)).1))
    }
    fn vjp(&self, p: &[Tensor], _: &Tensor, g: &Tensor) -> Result<Vec<Option<Tensor>>> {
        let f = self.f.clone();
        let (_, pb) = vjp(|xs| f(xs), p);
        Ok(pb.try_call(g)?.into_iter().map(Some).collect())
    }
    fn batch(
        &self,
        args: &[Tensor],
        dims: &[Option<usize>],
        _: usize,
    ) -> Result<Option<(Tensor, Option<usize>)>> {
        // Still one checkpointed block: it recomputes the mapped function.
        let f = vmapped(&self.f, dims);
        let prim = Checkpoint { f: f.clone() };
        Ok(Some((
            apply_function(Box::new(prim), &f, args, std::panic::Location::caller()),
            Some(0),
        )))
    }
}

/// `f`, recomputed during differentiation instead of storing its intermediates.
///
/// ```
/// use cotangent::{checkpoint, grad, Tensor};
/// let block = checkpoint(|xs: &[Tensor]| xs[0].sin().exp());
/// let g = grad(|x: &Tensor| block(&[x.clone()]))(&Tensor::scalar(0.0));
/// assert!((g.item::<f64>() - 1.0).abs() < 1e-15);
/// ```
#[track_caller]
pub fn checkpoint<F>(f: F) -> impl Fn(&[Tensor]) -> Tensor
where
    F: Fn(&[Tensor]) -> Tensor + Send + Sync + 'static,
{
    checkpoint_at(Arc::new(f), std::panic::Location::caller())
}

/// [`checkpoint`] reporting at `location` (the line that made it).
pub(crate) fn checkpoint_at(
    f: Fun,
    location: &'static std::panic::Location<'static>,
) -> impl Fn(&[Tensor]) -> Tensor {
    move |xs: &[Tensor]| apply_function(Box::new(Checkpoint { f: f.clone() }), &f, xs, location)
}
