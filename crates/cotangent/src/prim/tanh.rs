//! `tanh`: Hyperbolic tangent. Derivative: `1 - tanh(x)^2`.

use crate::prim::elementwise::unary_float_primitive;

unary_float_primitive! {
    /// Hyperbolic tangent. Derivative: `1 - tanh(x)^2`.
    Tanh, "tanh",
    kernel: |x| x.tanh(),
    chain: |g, x, out| g - &(&(g * out) * out),
}
