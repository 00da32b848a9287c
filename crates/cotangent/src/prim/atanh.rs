//! `atanh`: Inverse hyperbolic tangent. Derivative: `1/(1 - x^2)`.

use crate::prim::elementwise::unary_float_primitive;

unary_float_primitive! {
    /// Inverse hyperbolic tangent. Derivative: `1/(1 - x^2)`.
    Atanh, "atanh",
    method: atanh / try_atanh, "Inverse hyperbolic tangent elementwise.",
    kernel: |x| x.atanh(),
    chain: |g, x, out| g / &(1.0 - x * x),
    expr: "atanh(a)",
}
