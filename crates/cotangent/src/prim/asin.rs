//! `asin`: Inverse sine. Derivative: `1/sqrt(1 - x^2)`.

use crate::prim::elementwise::unary_float_primitive;

unary_float_primitive! {
    /// Inverse sine. Derivative: `1/sqrt(1 - x^2)`.
    Asin, "asin",
    method: asin / try_asin, "Inverse sine elementwise.",
    kernel: |x| x.asin(),
    chain: |g, x, out| g / &(1.0 - x * x).sqrt(),
    expr: "asin(a)",
}
