//! `erfc`: complementary error function `1 - erf(x)`, accurate where `erf(x)` is near 1 (no
//! cancellation in the tail: `erfc(10) = 2.09e-45`). Derivative: `-2/sqrt(pi) · exp(-x^2)`.

use crate::prim::elementwise::unary_float_primitive;

unary_float_primitive! {
    /// Complementary error function. Derivative: `-2/sqrt(pi) · exp(-x^2)`.
    Erfc, "erfc",
    method: erfc / try_erfc, "Complementary error function `1 - erf(x)` elementwise, accurate in the tails.",
    kernel: |x| crate::Real::erfc(x),
    fast: crate::prim::fastmath::erfc_block,
    chain: |g, x, out| g * &((-(x * x)).exp() * -std::f64::consts::FRAC_2_SQRT_PI),
    expr: "erfc(a)",
}
