//! `atanh`: Inverse hyperbolic tangent. Derivative: `1/(1 - x^2)`.

use crate::prim::elementwise::unary_float_primitive;

unary_float_primitive! {
    /// Inverse hyperbolic tangent. Derivative: `1/(1 - x^2)`.
    Atanh, "atanh",
    kernel: |x| x.atanh(),
    derivative: |x, out| (1.0 - x * x).recip(),
}
