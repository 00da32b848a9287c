//! `stop_gradient`: the input's value with zero derivative. Eager code detaches instead (a leaf
//! with no edges); a traced function records this node so the graph stays connected.

use crate::core::{Result, Value};
use crate::prim::{Aval, AvalRef, Primitive};

/// The identity function whose derivative is zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct StopGradient;

impl Primitive for StopGradient {
    crate::prim::typed_params!();
    fn lowering(&self) -> crate::prim::lowering::Lowering<'_> {
        crate::prim::lowering::Lowering::Elementwise(&crate::prim::elementwise::MOVE)
    }
    fn is_view(&self) -> bool {
        true
    }
    crate::prim::batching::elementwise_batch!();
    fn name(&self) -> &'static str {
        "stop_gradient"
    }
    fn abstract_eval(&self, inputs: &[AvalRef<'_>]) -> Result<Aval> {
        Ok(inputs[0].to_aval())
    }
    fn eval(&self, inputs: &[&Value]) -> Result<Value> {
        Ok(inputs[0].clone())
    }
    crate::prim::no_derivatives!(1);
}

/// The primitives this module registers.
pub(crate) fn instances() -> Vec<std::sync::Arc<dyn Primitive>> {
    vec![std::sync::Arc::new(StopGradient)]
}
