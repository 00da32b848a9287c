//! `min`: Elementwise minimum (NaN propagates). The derivative's shares are
//! `Max::weights(b, a)` (a's share where a < b); a tie splits it evenly, as in JAX.

use crate::prim::elementwise::{binary_float_primitive, NO_UNITS};
use crate::prim::max::Max;

binary_float_primitive! {
    /// Elementwise minimum (NaN propagates; ties split the derivative).
    Min, "min",
    kernel: |a, b| if a.is_nan() || b.is_nan() {
        a + b
    } else if a < b {
        a
    } else {
        b
    },
    chain: |g, a, b, out| { let (wa, wb) = Max::weights(b, a); } left: g * &wa, right: g * &wb,
    algebra: NO_UNITS,
    expr: "(isnan(a) || isnan(b) ? a + b : (a < b ? a : b))",
    local: crate::prim::local::smaller,
}
