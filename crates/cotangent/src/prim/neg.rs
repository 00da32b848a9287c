//! `neg`: `-x`. Linear: JVP `-t`, VJP `-g`.

use crate::backend::cpu::map::{map, map_same};
use crate::core::{DType, Error, Result, Tensor, Value};
use crate::prim::{elementwise::unary_float_aval, Aval, AvalRef, Primitive, Values};

/// Negation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Neg;

impl Primitive for Neg {
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
            DType::F32 => map(v, |x: f32| -x),
            DType::F64 => map(v, |x: f64| -x),
            DType::I64 => map(v, |x: i64| x.wrapping_neg()),
            d => return Err(Error::dtype("neg", format!("cannot negate a {d} tensor"))),
        })
    }
    fn eval_consuming(&self, mut inputs: Values) -> Result<Value> {
        let v = inputs.swap_remove(0);
        Ok(match v.dtype() {
            DType::F32 => map_same(v, |x: f32| -x),
            DType::F64 => map_same(v, |x: f64| -x),
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
