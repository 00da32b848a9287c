//! `abs`: Absolute value. Derivative: `sign(x)` (0 at 0, as in JAX).

use crate::prim::elementwise::unary_float_primitive;

unary_float_primitive! {
    /// Absolute value. Derivative: `sign(x)` (0 at 0, as in JAX).
    Abs, "abs",
    kernel: |x| x.abs(),
    chain: |g, x, out| g * &x.sign(),
}
