//! `sin`: Sine. Derivative: `cos(x)`.

use crate::prim::elementwise::unary_float_primitive;

unary_float_primitive! {
    /// Sine. Derivative: `cos(x)`.
    Sin, "sin",
    method: sin / try_sin, "Sine elementwise.",
    kernel: |x| x.sin(),
    fast: crate::prim::fastmath::sin_block,
    chain: |g, x, out| g * &x.cos(),
    expr: "sin(a)",
}
