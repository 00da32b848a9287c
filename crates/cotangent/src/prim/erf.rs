//! `erf`: Error function. Derivative: `2/sqrt(pi) · exp(-x^2)`.

use crate::prim::elementwise::unary_float_primitive;

unary_float_primitive! {
    /// Error function. Derivative: `2/sqrt(pi) · exp(-x^2)`.
    Erf, "erf",
    method: erf / try_erf, "Error function elementwise.",
    kernel: |x| crate::Real::erf(x),
    chain: |g, x, out| g * &((-(x * x)).exp() * std::f64::consts::FRAC_2_SQRT_PI),
    expr: "erf(a)",
}
