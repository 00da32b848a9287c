//! `atan2`: Two-argument arctangent `atan2(a, b)` (a = y, b = x). Partials: `b/(a²+b²)` and
//! `-a/(a²+b²)`.

use crate::prim::elementwise::{binary_float_primitive, NO_UNITS};

binary_float_primitive! {
    /// Two-argument arctangent `atan2(a, b)`: the angle of the point (b, a).
    Atan2, "atan2",
    kernel: |a, b| a.atan2(b),
    chain: |g, a, b, out| { let r = (a * a + b * b).recip(); }
        left: g * b * &r, right: -(g * a * &r),
    algebra: NO_UNITS,
    expr: "atan2(a, b)",
}
