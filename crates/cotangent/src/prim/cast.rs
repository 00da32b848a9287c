//! `cast`: convert to another dtype. Between float types it is linear (the tangent or cotangent
//! is cast too); from or to integer and bool types there is no derivative.

use crate::backend::cpu::dispatch::dispatch_all;
use crate::backend::cpu::map::map;
use crate::core::{DType, Element, Result, Tensor, Value};
use crate::prim::{Aval, AvalRef, Primitive};

/// Convert elements to `dtype` (float to int truncates toward zero; nonzero is `true`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cast {
    /// The target dtype.
    pub dtype: DType,
}

impl Primitive for Cast {
    crate::prim::typed_params!();
    fn lowering(&self) -> crate::prim::lowering::Lowering<'_> {
        // Fused loops run in one float type: a cast into it from the same type or from bool
        // (0 or 1) is a copy there; the compiler checks the operand's dtype.
        match self.dtype.is_float() {
            true => crate::prim::lowering::Lowering::Elementwise(&crate::prim::elementwise::MOVE),
            false => crate::prim::lowering::Lowering::Opaque,
        }
    }
    crate::prim::batching::elementwise_batch!();
    fn native_half(&self) -> bool {
        true
    }
    fn name(&self) -> &'static str {
        "cast"
    }
    fn params(&self) -> String {
        format!("dtype={}", self.dtype)
    }
    fn abstract_eval(&self, inputs: &[AvalRef<'_>]) -> Result<Aval> {
        Ok(Aval {
            shape: inputs[0].shape.clone(),
            dtype: self.dtype,
        })
    }
    fn eval(&self, inputs: &[&Value]) -> Result<Value> {
        let v = inputs[0];
        if v.dtype() == self.dtype {
            return Ok(v.clone());
        }
        Ok(dispatch_all!(v.dtype(), S => dispatch_all!(self.dtype, D =>
            map(v, |x: S| D::from_f64(x.to_f64()))
        )))
    }
    fn jvp(&self, p: &[Tensor], t: &[Option<Tensor>], _: &Tensor) -> Result<Option<Tensor>> {
        if !(p[0].dtype().is_float() && self.dtype.is_float()) {
            return Ok(None);
        }
        t[0].as_ref().map(|t| t.try_cast(self.dtype)).transpose()
    }
    fn vjp(&self, p: &[Tensor], _: &Tensor, g: &Tensor) -> Result<Vec<Option<Tensor>>> {
        if !(p[0].dtype().is_float() && self.dtype.is_float()) {
            return Ok(vec![None]);
        }
        Ok(vec![Some(g.try_cast(p[0].dtype())?)])
    }
}

/// The primitives this module registers.
pub(crate) fn instances() -> Vec<std::sync::Arc<dyn Primitive>> {
    vec![std::sync::Arc::new(Cast { dtype: crate::DType::F32 })]
}
