//! `abs`: Absolute value. Derivative: `1` for `x ≥ 0`, `-1` below (so 1 at 0, as JAX gives).

use crate::prim::elementwise::unary_float_primitive;

unary_float_primitive! {
    /// Absolute value. Derivative: `1` for `x ≥ 0`, `-1` below (1 at 0, as in JAX).
    Abs, "abs",
    method: abs / try_abs, "Absolute value elementwise.",
    kernel: |x| x.abs(),
    chain: |g, x, out| x.ge(&x.zeros_like()).select(g, &-g),
    expr: "fabs(a)",
}
