//! `atan`: Inverse tangent. Derivative: `1/(1 + x^2)`.

use crate::prim::elementwise::unary_float_primitive;

unary_float_primitive! {
    /// Inverse tangent. Derivative: `1/(1 + x^2)`.
    Atan, "atan",
    method: atan / try_atan, "Inverse tangent elementwise.",
    kernel: |x| x.atan(),
    chain: |g, x, out| g / &(x * x + 1.0),
    expr: "atan(a)",
}
