//! `exp`: `e^x`. Derivative: `exp(x)` (the output itself).

use crate::prim::elementwise::unary_float_primitive;

unary_float_primitive! {
    /// `e^x`. Derivative: `exp(x)` (the output itself).
    Exp, "exp",
    method: exp / try_exp, "`e^x` elementwise.",
    kernel: |x| x.exp(),
    fast: crate::prim::fastmath::exp_block,
    chain: |g, x, out| g * out,
    expr: "exp(a)",
}
