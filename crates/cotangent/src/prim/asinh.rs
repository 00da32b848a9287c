//! `asinh`: Inverse hyperbolic sine. Derivative: `1/sqrt(x^2 + 1)`.

use crate::prim::elementwise::unary_float_primitive;

unary_float_primitive! {
    /// Inverse hyperbolic sine. Derivative: `1/sqrt(x^2 + 1)`.
    Asinh, "asinh",
    method: asinh / try_asinh, "Inverse hyperbolic sine elementwise.",
    kernel: |x| x.asinh(),
    chain: |g, x, out| g / &(x * x + 1.0).sqrt(),
    expr: "asinh(a)",
}
