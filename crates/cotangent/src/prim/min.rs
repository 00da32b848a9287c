//! `min`: Elementwise minimum (weights: `Max::weights(b, a)` gives a's share where a < b). A tie splits the derivative evenly between the operands, as in JAX.

use crate::core::{Result, Tensor, Value};
#[allow(unused_imports)]
use crate::prim::elementwise::{add_opt, binary_float_aval, zip_float, zip_float_owned};
use crate::prim::{Aval, AvalRef, Primitive, Values};

/// Elementwise minimum (weights: `Max::weights(b, a)` gives a's share where a < b). A tie splits the derivative evenly between the operands, as in JAX.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Min;

impl Primitive for Min {
    crate::prim::batching::elementwise_batch!();
    fn name(&self) -> &'static str {
        "min"
    }
    fn abstract_eval(&self, inputs: &[AvalRef<'_>]) -> Result<Aval> {
        binary_float_aval("min", inputs)
    }
    fn eval(&self, inputs: &[&Value]) -> Result<Value> {
        zip_float(self.name(), inputs[0], inputs[1], k::<f32>, k::<f64>)
    }
    fn eval_consuming(&self, inputs: Values) -> Result<Value> {
        zip_float_owned(self.name(), inputs, k::<f32>, k::<f64>)
    }
    #[allow(unused_variables)]
    fn jvp(&self, p: &[Tensor], t: &[Option<Tensor>], out: &Tensor) -> Result<Option<Tensor>> {
        let (a, b) = (&p[0], &p[1]);
        let (wa, wb) = super::max::Max::weights(b, a);
        Ok(add_opt(
            t[0].as_ref().map(|t| t * &wa),
            t[1].as_ref().map(|t| t * &wb),
        ))
    }
    #[allow(unused_variables)]
    fn vjp(&self, p: &[Tensor], out: &Tensor, g: &Tensor) -> Result<Vec<Option<Tensor>>> {
        let (a, b) = (&p[0], &p[1]);
        let (wa, wb) = super::max::Max::weights(b, a);
        Ok(vec![Some(g * &wa), Some(g * &wb)])
    }
}

/// The kernel (NaN propagates).
#[inline(always)]
fn k<T: crate::Real>(a: T, b: T) -> T {
    if a.is_nan() || b.is_nan() {
        a + b
    } else if a < b {
        a
    } else {
        b
    }
}
