//! `div`: Elementwise quotient. JVP `ta/b - tb·out/b`, VJP `(g/b, -g·out/b)`.

use crate::core::{Result, Tensor, Value};
#[allow(unused_imports)]
use crate::prim::elementwise::{add_opt, binary_float_aval, zip_float, zip_float_owned};
use crate::prim::{Aval, AvalRef, Primitive, Values};

/// Elementwise quotient. JVP `ta/b - tb·out/b`, VJP `(g/b, -g·out/b)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Div;

impl Primitive for Div {
    crate::prim::batching::elementwise_batch!();
    fn name(&self) -> &'static str {
        "div"
    }
    fn abstract_eval(&self, inputs: &[AvalRef<'_>]) -> Result<Aval> {
        binary_float_aval("div", inputs)
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
            t[0].as_ref().map(|t| t / b),
            t[1].as_ref().map(|t| -(t * out) / b),
        ))
    }
    #[allow(unused_variables)]
    fn vjp(&self, p: &[Tensor], out: &Tensor, g: &Tensor) -> Result<Vec<Option<Tensor>>> {
        let (a, b) = (&p[0], &p[1]);
        Ok(vec![Some(g / b), Some(-(g * out) / b)])
    }
}

/// The kernel.
#[inline(always)]
fn k<T: crate::Real>(a: T, b: T) -> T {
    a / b
}
