//! `cbrt`: Cube root, real for negative `x` too. Derivative: `1 / (3·cbrt(x)²)` (infinite at 0).

use crate::prim::elementwise::unary_float_primitive;

unary_float_primitive! {
    /// Cube root, real for negative `x` (`cbrt(-8) = -2`). Derivative: `1 / (3·cbrt(x)²)`.
    Cbrt, "cbrt",
    method: cbrt / try_cbrt, "Cube root elementwise (real for negative values).",
    kernel: |x| x.cbrt(),
    chain: |g, x, out| g / &(out.square() * 3.0),
    expr: "cbrt(a)",
}
