//! `identity`: the input itself. Transformations use it to make a fresh, tracked alias of their
//! input so that each one differentiates with respect to its own variables.

use crate::core::{Result, Tensor, Value};
use crate::prim::{Aval, AvalRef, Primitive};

/// The identity function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Identity;

impl Primitive for Identity {
    crate::prim::typed_params!();
    fn lowering(&self) -> crate::prim::lowering::Lowering<'_> {
        crate::prim::lowering::Lowering::Elementwise(&crate::prim::elementwise::COPY)
    }
    fn is_view(&self) -> bool {
        true
    }
    crate::prim::batching::elementwise_batch!();
    fn name(&self) -> &'static str {
        "identity"
    }
    fn abstract_eval(&self, inputs: &[AvalRef<'_>]) -> Result<Aval> {
        Ok(inputs[0].to_aval())
    }
    fn eval(&self, inputs: &[&Value]) -> Result<Value> {
        Ok(inputs[0].clone())
    }
    fn jvp(&self, _: &[Tensor], t: &[Option<Tensor>], _: &Tensor) -> Result<Option<Tensor>> {
        Ok(t[0].clone())
    }
    fn vjp(&self, _: &[Tensor], _: &Tensor, g: &Tensor) -> Result<Vec<Option<Tensor>>> {
        Ok(vec![Some(g.clone())])
    }
}

/// The primitives this module registers.
pub(crate) fn instances() -> Vec<std::sync::Arc<dyn Primitive>> {
    vec![std::sync::Arc::new(Identity)]
}
