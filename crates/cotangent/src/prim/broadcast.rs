//! `broadcast_to`: NumPy broadcasting as an explicit, zero-copy view. Its VJP is the one place
//! where broadcasting is undone (cotangents summed over the broadcast axes): elementwise rules
//! never deal with it.

use crate::core::shape::Dims;
use crate::core::{Error, Result, Shape, Tensor, Value};
use crate::prim::batching::{first_batched, Batched};
use crate::prim::{Aval, AvalRef, Primitive};
use crate::prim::batching::move_axis;
use crate::prim::lowering::Lowering;

/// Broadcast to `shape` by NumPy rules (prepend dims, stretch size-1 dims).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BroadcastTo {
    /// The target shape.
    pub shape: Shape,
}

impl BroadcastTo {
    /// The axes of `shape` that broadcasting from `from` created or stretched.
    pub(crate) fn broadcast_axes(from: &[usize], shape: &[usize]) -> Dims {
        let extra = shape.len() - from.len();
        (0..shape.len())
            .filter(|&d| d < extra || (from[d - extra] == 1 && shape[d] != 1))
            .collect()
    }
}

impl Primitive for BroadcastTo {
    crate::prim::typed_params!();
    fn lowering(&self) -> Lowering<'_> {
        Lowering::Broadcast { shape: &self.shape }
    }
    fn is_view(&self) -> bool {
        true
    }
    fn name(&self) -> &'static str {
        "broadcast_to"
    }
    fn params(&self) -> String {
        format!("shape={}", self.shape)
    }
    fn abstract_eval(&self, inputs: &[AvalRef<'_>]) -> Result<Aval> {
        let x = inputs[0];
        let ok = x.shape.rank() <= self.shape.rank()
            && x.shape
                .iter()
                .rev()
                .zip(self.shape.iter().rev())
                .all(|(&a, &b)| a == b || a == 1);
        if !ok {
            return Err(Error::shape(
                "broadcast_to",
                format!("cannot broadcast shape {} to {}", x.shape, self.shape),
            ));
        }
        Ok(Aval {
            shape: self.shape.clone(),
            dtype: x.dtype,
        })
    }
    fn eval(&self, inputs: &[&Value]) -> Result<Value> {
        let v = inputs[0];
        Ok(v.with_layout(v.layout.broadcast_to(&self.shape)))
    }
    fn jvp(&self, _: &[Tensor], t: &[Option<Tensor>], _: &Tensor) -> Result<Option<Tensor>> {
        t[0].as_ref()
            .map(|t| t.try_broadcast_to(&self.shape))
            .transpose()
    }
    fn vjp(&self, p: &[Tensor], _: &Tensor, g: &Tensor) -> Result<Vec<Option<Tensor>>> {
        let axes = Self::broadcast_axes(p[0].shape(), &self.shape);
        Ok(vec![Some(g.sum_dims(&axes)?.try_reshape(p[0].shape())?)])
    }
    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], size: usize) -> Batched {
        // Batch axis first, then the unit axes broadcasting would prepend, made explicit.
        let x = move_axis(&args[0], first_batched(dims), 0)?;
        let extra = self.shape.rank() + 1 - x.rank();
        let mut unit = vec![size];
        unit.extend(std::iter::repeat_n(1, extra));
        unit.extend_from_slice(&x.dims()[1..]);
        let mut full = vec![size];
        full.extend_from_slice(&self.shape);
        Ok(Some((
            x.try_reshape(&unit)?.try_broadcast_to(&full)?,
            Some(0),
        )))
    }
}

/// The primitives this module registers (with example parameters).
pub(crate) fn instances() -> Vec<std::sync::Arc<dyn Primitive>> {
    vec![std::sync::Arc::new(BroadcastTo { shape: Shape::from(&[1][..]) })]
}
