//! `sinh`: Hyperbolic sine. Derivative: `cosh(x)`.

use crate::prim::elementwise::unary_float_primitive;

unary_float_primitive! {
    /// Hyperbolic sine. Derivative: `cosh(x)`.
    Sinh, "sinh",
    method: sinh / try_sinh, "Hyperbolic sine elementwise.",
    kernel: |x| x.sinh(),
    chain: |g, x, out| g * &x.cosh(),
    expr: "sinh(a)",
}
