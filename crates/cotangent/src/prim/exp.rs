//! `exp`: `e^x`. Derivative: `exp(x)` (the output itself).

use crate::prim::elementwise::unary_float_primitive;

unary_float_primitive! {
    /// `e^x`. Derivative: `exp(x)` (the output itself).
    Exp, "exp",
    kernel: |x| x.exp(),
    chain: |g, x, out| g * out,
}
