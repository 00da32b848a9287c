//! `mul`: Elementwise product. JVP `ta·b + a·tb`, VJP `(g·b, g·a)`.

use crate::core::{Result, Tensor, Value};
#[allow(unused_imports)]
use crate::prim::elementwise::{add_opt, binary_float_aval, zip_float, zip_float_owned};
use crate::prim::{Aval, AvalRef, Primitive, Values};

/// Elementwise product. JVP `ta·b + a·tb`, VJP `(g·b, g·a)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Mul;

impl Primitive for Mul {
    crate::prim::batching::elementwise_batch!();
    fn name(&self) -> &'static str {
        "mul"
    }
    fn abstract_eval(&self, inputs: &[AvalRef<'_>]) -> Result<Aval> {
        binary_float_aval("mul", inputs)
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
        Ok(add_opt(
            t[0].as_ref().map(|t| t * b),
            t[1].as_ref().map(|t| a * t),
        ))
    }
    #[allow(unused_variables)]
    fn vjp(&self, p: &[Tensor], out: &Tensor, g: &Tensor) -> Result<Vec<Option<Tensor>>> {
        let (a, b) = (&p[0], &p[1]);
        Ok(vec![Some(g * b), Some(g * a)])
    }
}

/// The kernel.
#[inline(always)]
fn k<T: crate::Real>(a: T, b: T) -> T {
    a * b
}
