//! `tan`: Tangent. Derivative: `1 + tan(x)^2`.

use crate::prim::elementwise::unary_float_primitive;

unary_float_primitive! {
    /// Tangent. Derivative: `1 + tan(x)^2`.
    Tan, "tan",
    method: tan / try_tan, "Tangent elementwise.",
    kernel: |x| x.tan(),
    chain: |g, x, out| g * &(out * out + 1.0),
    expr: "tan(a)",
}
