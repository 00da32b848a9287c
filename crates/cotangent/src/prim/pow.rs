//! `pow`: Elementwise power `a^b`. Partials: `b·a^(b-1)` and `log(a)·a^b` (0 where a = 0), as
//! in JAX: no guard on the first, so `d/dx x^0` at `x = 0` is `0·0^-1 = NaN` (JAX gives NaN
//! too), and the Hessian is symmetric everywhere (a guard by `select` drops the guarded term's
//! own derivative: the mixed partial of `x^y` at `(4, 0)` came out 0 instead of 1/4).

use crate::core::Tensor;
use crate::prim::elementwise::{binary_float_primitive, NO_UNITS};

binary_float_primitive! {
    /// Elementwise power `a^b`.
    Pow, "pow",
    kernel: |a, b| a.powf(b),
    chain: |g, a, b, out| {} left: g * &Pow::d_base(a, b), right: g * &Pow::d_exponent(a, out),
    algebra: NO_UNITS,
    expr: "pow(a, b)",
}

impl Pow {
    fn d_base(a: &Tensor, b: &Tensor) -> Tensor {
        b * &a.pow(&(b - 1.0))
    }
    fn d_exponent(a: &Tensor, out: &Tensor) -> Tensor {
        let zero = a.zeros_like();
        let safe = a.eq(&zero).select(&a.ones_like(), a);
        safe.log() * out
    }
}
