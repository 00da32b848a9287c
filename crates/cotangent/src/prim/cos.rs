//! `cos`: Cosine. Derivative: `-sin(x)`.

use crate::prim::elementwise::unary_float_primitive;

unary_float_primitive! {
    /// Cosine. Derivative: `-sin(x)`.
    Cos, "cos",
    kernel: |x| x.cos(),
    chain: |g, x, out| -(g * &x.sin()),
}
