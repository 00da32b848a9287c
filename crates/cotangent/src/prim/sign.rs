//! `sign`: Sign: -1, 0 or 1 (NaN stays NaN). Derivative: zero.

use crate::prim::elementwise::piecewise_constant_primitive;

piecewise_constant_primitive! {
    /// Sign: -1, 0 or 1 (NaN stays NaN). Derivative: zero.
    Sign, "sign",
    method: sign / try_sign, "Sign (-1, 0, 1) elementwise.",
    kernel: |x| crate::Real::sign(x),
    expr: "(a > 0 ? 1 : (a < 0 ? -1 : a))",
}
