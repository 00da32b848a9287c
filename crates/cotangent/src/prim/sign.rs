//! `sign`: Sign: -1, 0 or 1 (NaN stays NaN). Derivative: zero.

use crate::prim::elementwise::piecewise_constant_primitive;

piecewise_constant_primitive! {
    /// Sign: -1, 0 or 1 (NaN stays NaN). Derivative: zero.
    Sign, "sign",
    kernel: |x| crate::Real::sign(x),
}
