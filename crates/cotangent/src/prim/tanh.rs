//! `tanh`: Hyperbolic tangent. Derivative: `1 - tanh(x)^2`.

use crate::prim::elementwise::unary_float_primitive;

unary_float_primitive! {
    /// Hyperbolic tangent. Derivative: `1 - tanh(x)^2`.
    Tanh, "tanh",
    method: tanh / try_tanh, "Hyperbolic tangent elementwise.",
    kernel: |x| x.tanh(),
    fast: crate::prim::fastmath::tanh_block,
    chain: |g, x, out| g - &(&(g * out) * out),
    expr: "tanh(a)",
}
