//! `max`: Elementwise maximum (NaN propagates). A tie splits the derivative evenly between the
//! operands, as in JAX.

use crate::core::Tensor;
use crate::prim::elementwise::{binary_float_primitive, NO_UNITS};

binary_float_primitive! {
    /// Elementwise maximum (NaN propagates; ties split the derivative).
    Max, "max",
    kernel: |a, b| if a.is_nan() || b.is_nan() {
        a + b
    } else if a > b {
        a
    } else {
        b
    },
    chain: |g, a, b, out| { let (wa, wb) = Max::weights(a, b); } left: g * &wa, right: g * &wb,
    algebra: NO_UNITS,
    expr: "(isnan(a) || isnan(b) ? a + b : (a > b ? a : b))",
    local: crate::prim::local::larger,
}

impl Max {
    /// The shares of `a` and `b` in the derivative of `max(a, b)`: 1 to the larger, ½ each on
    /// a tie.
    pub(crate) fn weights(a: &Tensor, b: &Tensor) -> (Tensor, Tensor) {
        let dt = a.dtype();
        let tie = a.eq(b).cast(dt) * 0.5;
        (a.gt(b).cast(dt) + &tie, b.gt(a).cast(dt) + &tie)
    }
}
