//! `atan2`: Two-argument arctangent `atan2(a, b)` (a = y, b = x). Partials: `b/(a²+b²)` and `-a/(a²+b²)`.

use crate::core::{Result, Tensor, Value};
#[allow(unused_imports)]
use crate::prim::elementwise::{add_opt, binary_float_aval, zip_float, zip_float_owned};
use crate::prim::{Aval, AvalRef, Primitive, Values};

/// Two-argument arctangent `atan2(a, b)` (a = y, b = x). Partials: `b/(a²+b²)` and `-a/(a²+b²)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Atan2;

impl Primitive for Atan2 {
    crate::prim::batching::elementwise_batch!();
    fn name(&self) -> &'static str {
        "atan2"
    }
    fn abstract_eval(&self, inputs: &[AvalRef<'_>]) -> Result<Aval> {
        binary_float_aval("atan2", inputs)
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
        let r = (a * a + b * b).recip();
        Ok(add_opt(
            t[0].as_ref().map(|t| t * b * &r),
            t[1].as_ref().map(|t| -(t * a * &r)),
        ))
    }
    #[allow(unused_variables)]
    fn vjp(&self, p: &[Tensor], out: &Tensor, g: &Tensor) -> Result<Vec<Option<Tensor>>> {
        let (a, b) = (&p[0], &p[1]);
        let r = (a * a + b * b).recip();
        Ok(vec![Some(g * b * &r), Some(-(g * a * &r))])
    }
}

/// The kernel.
#[inline(always)]
fn k<T: crate::Real>(a: T, b: T) -> T {
    a.atan2(b)
}
