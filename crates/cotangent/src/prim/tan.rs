//! `tan`: Tangent. Derivative: `1 + tan(x)^2`.

use crate::prim::elementwise::unary_float_primitive;

unary_float_primitive! {
    /// Tangent. Derivative: `1 + tan(x)^2`.
    Tan, "tan",
    kernel: |x| x.tan(),
    chain: |g, x, out| g * &(out * out + 1.0),
}
