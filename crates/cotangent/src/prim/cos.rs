//! `cos`: Cosine. Derivative: `-sin(x)`.

use crate::prim::elementwise::unary_float_primitive;

unary_float_primitive! {
    /// Cosine. Derivative: `-sin(x)`.
    Cos, "cos",
    method: cos / try_cos, "Cosine elementwise.",
    kernel: |x| x.cos(),
    fast: crate::prim::fastmath::cos_block,
    chain: |g, x, out| -(g * &x.sin()),
    expr: "cos(a)",
}
