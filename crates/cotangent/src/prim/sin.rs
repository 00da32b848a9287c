//! `sin`: Sine. Derivative: `cos(x)`.

use crate::prim::elementwise::unary_float_primitive;

unary_float_primitive! {
    /// Sine. Derivative: `cos(x)`.
    Sin, "sin",
    kernel: |x| x.sin(),
    chain: |g, x, out| g * &x.cos(),
}
