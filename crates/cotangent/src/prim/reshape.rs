//! `reshape`: same elements, new shape (a view when the input is contiguous). Linear: both rules
//! reshape the tangent or cotangent.

use crate::core::layout::Layout;
use crate::core::{Error, Result, Shape, Tensor, Value};
use crate::prim::batching::{first_batched, Batched};
use crate::prim::{Aval, AvalRef, Primitive};
use crate::prim::batching::move_axis;
use crate::prim::lowering::Lowering;

/// Reshape to `shape` (same element count).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reshape {
    /// The new shape.
    pub shape: Shape,
}

impl Primitive for Reshape {
    crate::prim::typed_params!();
    fn lowering(&self) -> Lowering<'_> {
        Lowering::Reshape { shape: &self.shape }
    }
    fn is_view(&self) -> bool {
        true
    }
    fn name(&self) -> &'static str {
        "reshape"
    }
    fn params(&self) -> String {
        format!("shape={}", self.shape)
    }
    fn abstract_eval(&self, inputs: &[AvalRef<'_>]) -> Result<Aval> {
        let x = inputs[0];
        if x.shape.numel() != self.shape.numel() {
            return Err(Error::shape(
                "reshape",
                format!(
                    "cannot reshape {} ({} elements) to {} ({} elements)",
                    x.shape,
                    x.shape.numel(),
                    self.shape,
                    self.shape.numel()
                ),
            ));
        }
        Ok(Aval {
            shape: self.shape.clone(),
            dtype: x.dtype,
        })
    }
    fn eval(&self, inputs: &[&Value]) -> Result<Value> {
        let v = if inputs[0].layout.is_contiguous() {
            inputs[0].clone()
        } else {
            inputs[0].clone().into_contiguous()
        };
        let offset = v.layout.offset;
        let mut layout = Layout::contiguous(self.shape.clone());
        layout.offset = offset;
        Ok(v.with_layout(layout))
    }
    fn jvp(&self, _: &[Tensor], t: &[Option<Tensor>], _: &Tensor) -> Result<Option<Tensor>> {
        t[0].as_ref()
            .map(|t| t.try_reshape(&self.shape))
            .transpose()
    }
    fn vjp(&self, p: &[Tensor], _: &Tensor, g: &Tensor) -> Result<Vec<Option<Tensor>>> {
        Ok(vec![Some(g.try_reshape(p[0].shape())?)])
    }
    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], size: usize) -> Batched {
        // Batch axis first: each example's elements stay together, in order.
        let x = move_axis(&args[0], first_batched(dims), 0)?;
        let mut shape = vec![size];
        shape.extend_from_slice(&self.shape);
        Ok(Some((x.try_reshape(&shape)?, Some(0))))
    }
}

/// The primitives this module registers (with example parameters).
pub(crate) fn instances() -> Vec<std::sync::Arc<dyn Primitive>> {
    vec![std::sync::Arc::new(Reshape { shape: Shape::from(&[1][..]) })]
}
