//! `pow`: Elementwise power `a^b`. Partials: `b·a^(b-1)` and `log(a)·a^b` (0 where a = 0), as
//! in JAX: no guard on the first, so `d/dx x^0` at `x = 0` is `0·0^-1 = NaN` (JAX gives NaN
//! too), and the Hessian is symmetric everywhere (a guard by `select` drops the guarded term's
//! own derivative: the mixed partial of `x^y` at `(4, 0)` came out 0 instead of 1/4).

use crate::core::{Result, Tensor, Value};
#[allow(unused_imports)]
use crate::prim::elementwise::{add_opt, binary_float_aval, zip_float, zip_float_owned};
use crate::prim::{Aval, AvalRef, Primitive, Values};

/// Elementwise power `a^b`. Partials: `b·a^(b-1)` and `log(a)·a^b` (0 where a = 0), as in JAX.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Pow;

impl Primitive for Pow {
    crate::prim::batching::elementwise_batch!();
    fn name(&self) -> &'static str {
        "pow"
    }
    fn abstract_eval(&self, inputs: &[AvalRef<'_>]) -> Result<Aval> {
        binary_float_aval("pow", inputs)
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
            t[0].as_ref().map(|t| t * &Self::d_base(a, b)),
            t[1].as_ref().map(|t| t * &Self::d_exponent(a, out)),
        ))
    }
    #[allow(unused_variables)]
    fn vjp(&self, p: &[Tensor], out: &Tensor, g: &Tensor) -> Result<Vec<Option<Tensor>>> {
        let (a, b) = (&p[0], &p[1]);
        Ok(vec![
            Some(g * &Self::d_base(a, b)),
            Some(g * &Self::d_exponent(a, out)),
        ])
    }
}

impl Pow {
    /// `∂(a^b)/∂a = b·a^(b-1)`, unguarded (JAX's rule for float exponents).
    fn d_base(a: &Tensor, b: &Tensor) -> Tensor {
        b * &a.pow(&(b - 1.0))
    }
    /// `∂(a^b)/∂b = log(a)·a^b`, taken as 0 where `a = 0`.
    fn d_exponent(a: &Tensor, out: &Tensor) -> Tensor {
        let zero = a.zeros_like();
        let safe = a.eq(&zero).select(&a.ones_like(), a);
        safe.log() * out
    }
}

/// The kernel.
#[inline(always)]
fn k<T: crate::Real>(a: T, b: T) -> T {
    a.powf(b)
}
