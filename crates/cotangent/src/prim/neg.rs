//! `neg`: `-x`. Linear: JVP `-t`, VJP `-g`.

use crate::backend::cpu::map::{map, map_same};
use crate::core::{DType, Error, Result, Tensor, Value};
use crate::prim::elementwise::{eval_rule, eval_rule_owned, unary_float_aval, NO_UNITS};
use crate::prim::lowering::{block1, vectorized, Composed, Elementwise, Lowering};
use crate::prim::{Aval, AvalRef, Primitive, Values};

/// Negation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Neg;

impl Neg {
    /// The float rule (i64 negation has its own kernel and is not fused).
    const RULE: Elementwise = Elementwise {
        name: "neg",
        arity: 1,
        f32: |o, i| vectorized(o.len(), || block1(o, i, |x: f32| -x)),
        f64: |o, i| vectorized(o.len(), || block1(o, i, |x: f64| -x)),
        f32_one: |a| -a[0],
        f64_one: |a| -a[0],
        algebra: NO_UNITS,
        expr: "-a",
    };
}

impl Primitive for Neg {
    crate::prim::typed_params!();
    fn lowering(&self) -> Lowering<'_> {
        Lowering::Elementwise(&Self::RULE)
    }
    fn compose_after(&self, inner: &dyn Primitive) -> Option<Composed> {
        self.is_equivalent(inner).then_some(Composed::Identity)
    }
    crate::prim::batching::elementwise_batch!();
    fn name(&self) -> &'static str {
        "neg"
    }
    fn abstract_eval(&self, inputs: &[AvalRef<'_>]) -> Result<Aval> {
        if inputs[0].dtype == DType::I64 {
            return Ok(Aval {
                shape: inputs[0].shape.clone(),
                dtype: DType::I64,
            });
        }
        unary_float_aval("neg", inputs)
    }
    fn eval(&self, inputs: &[&Value]) -> Result<Value> {
        let v = inputs[0];
        Ok(match v.dtype() {
            DType::F32 | DType::F64 => return eval_rule("neg", &Self::RULE, inputs),
            DType::I64 => map(v, |x: i64| x.wrapping_neg()),
            d => return Err(Error::dtype("neg", format!("cannot negate a {d} tensor"))),
        })
    }
    fn eval_consuming(&self, mut inputs: Values) -> Result<Value> {
        if inputs[0].dtype().is_float() {
            return eval_rule_owned("neg", &Self::RULE, inputs);
        }
        let v = inputs.swap_remove(0);
        Ok(match v.dtype() {
            DType::I64 => map_same(v, |x: i64| x.wrapping_neg()),
            d => return Err(Error::dtype("neg", format!("cannot negate a {d} tensor"))),
        })
    }
    fn jvp(&self, _: &[Tensor], t: &[Option<Tensor>], _: &Tensor) -> Result<Option<Tensor>> {
        Ok(t[0].as_ref().map(|t| -t))
    }
    fn vjp(&self, _: &[Tensor], _: &Tensor, g: &Tensor) -> Result<Vec<Option<Tensor>>> {
        Ok(vec![Some(-g)])
    }
}

/// The primitives this module registers.
pub(crate) fn instances() -> Vec<std::sync::Arc<dyn Primitive>> {
    vec![std::sync::Arc::new(Neg)]
}
