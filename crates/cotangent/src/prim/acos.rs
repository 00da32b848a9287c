//! `acos`: Inverse cosine. Derivative: `-1/sqrt(1 - x^2)`.

use crate::prim::elementwise::unary_float_primitive;

unary_float_primitive! {
    /// Inverse cosine. Derivative: `-1/sqrt(1 - x^2)`.
    Acos, "acos",
    method: acos / try_acos, "Inverse cosine elementwise.",
    kernel: |x| x.acos(),
    chain: |g, x, out| -(g / &(1.0 - x * x).sqrt()),
    expr: "acos(a)",
}
