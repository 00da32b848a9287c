//! `expm1`: `e^x - 1`, accurate near 0. Derivative: `e^x`.

use crate::prim::elementwise::unary_float_primitive;

unary_float_primitive! {
    /// `e^x - 1`, accurate near 0. Derivative: `e^x`.
    Expm1, "expm1",
    method: expm1 / try_expm1, "`e^x - 1` elementwise, accurate near zero.",
    kernel: |x| x.exp_m1(),
    chain: |g, x, out| g * &(out + 1.0),
    expr: "expm1(a)",
}
