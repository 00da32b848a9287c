//! `reduce_max` over a set of axes. The derivative goes to the positions holding the maximum,
//! split evenly among ties (as JAX does).

use crate::backend::cpu::dispatch::dispatch_float;
use crate::backend::cpu::reduce::{reduce, MaxR};
use crate::core::shape::Dims;
use crate::core::{Result, Tensor, Value};
use crate::prim::batching::{bind1, first_batched, shift, Batched};
use crate::prim::sum::{reduce_aval, reduced_shapes};
use crate::prim::{Aval, AvalRef, Primitive};
use crate::prim::lowering::{Lowering, ReduceOp};

/// Maximum over `axes` (sorted, distinct, in range). NaN propagates; an empty reduction is -inf.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReduceMax {
    /// The reduced axes.
    pub axes: Dims,
}

impl ReduceMax {
    /// Where `x` equals its maximum, divided by how many positions tie (broadcast to `x`).
    fn weights(&self, x: &Tensor, out: &Tensor) -> Result<Tensor> {
        let keep = reduced_shapes(x.shape(), &self.axes).1;
        let m = out.try_reshape(&keep)?.try_broadcast_to(x.shape())?;
        let mask = x.try_eq(&m)?.try_cast(x.dtype())?;
        let count = mask
            .sum_dims(&self.axes)?
            .try_reshape(&keep)?
            .try_broadcast_to(x.shape())?;
        mask.try_div(&count)
    }
}

impl Primitive for ReduceMax {
    crate::prim::typed_params!();
    fn lowering(&self) -> Lowering<'_> {
        Lowering::Reduce { op: ReduceOp::Max, axes: &self.axes }
    }
    fn local_dependencies(
        &self,
        _inputs: &[&crate::core::Value],
        _output: &crate::core::Value,
    ) -> Option<crate::prim::lowering::LocalDeps> {
        Some(crate::prim::lowering::LocalDeps::Winners)
    }
    fn name(&self) -> &'static str {
        "reduce_max"
    }
    fn params(&self) -> String {
        format!("axes={:?}", &self.axes[..])
    }
    fn abstract_eval(&self, inputs: &[AvalRef<'_>]) -> Result<Aval> {
        reduce_aval("reduce_max", &self.axes, inputs[0])
    }
    fn eval(&self, inputs: &[&Value]) -> Result<Value> {
        let x = inputs[0];
        Ok(dispatch_float!("reduce_max", x.dtype(), T => reduce::<T>(x, &self.axes, MaxR)))
    }
    fn jvp(&self, p: &[Tensor], t: &[Option<Tensor>], out: &Tensor) -> Result<Option<Tensor>> {
        let Some(t) = &t[0] else { return Ok(None) };
        Ok(Some((t * &self.weights(&p[0], out)?).sum_dims(&self.axes)?))
    }
    fn vjp(&self, p: &[Tensor], out: &Tensor, g: &Tensor) -> Result<Vec<Option<Tensor>>> {
        let keep = reduced_shapes(p[0].shape(), &self.axes).1;
        let gb = g.try_reshape(&keep)?.try_broadcast_to(p[0].shape())?;
        Ok(vec![Some(gb * self.weights(&p[0], out)?)])
    }
    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], _: usize) -> Batched {
        let b = first_batched(dims);
        let axes: Dims = self.axes.iter().map(|&a| shift(a, b)).collect();
        let out = b - self.axes.iter().filter(|&&a| a < b).count();
        Ok(Some((bind1(ReduceMax { axes }, &args[0])?, Some(out))))
    }
}

/// The primitives this module registers (with example parameters).
pub(crate) fn instances() -> Vec<std::sync::Arc<dyn Primitive>> {
    vec![std::sync::Arc::new(ReduceMax { axes: Dims::new() })]
}
