//! `cosh`: Hyperbolic cosine. Derivative: `sinh(x)`.

use crate::prim::elementwise::unary_float_primitive;

unary_float_primitive! {
    /// Hyperbolic cosine. Derivative: `sinh(x)`.
    Cosh, "cosh",
    method: cosh / try_cosh, "Hyperbolic cosine elementwise.",
    kernel: |x| x.cosh(),
    chain: |g, x, out| g * &x.sinh(),
    expr: "cosh(a)",
}
