//! `div`: Elementwise quotient. JVP `ta/b - tb·out/b`, VJP `(g/b, -g·out/b)`.

use crate::prim::elementwise::{binary_float_primitive, NO_UNITS};

binary_float_primitive! {
    /// Elementwise quotient. JVP `ta/b - tb·out/b`, VJP `(g/b, -g·out/b)`.
    Div, "div",
    kernel: |a, b| a / b,
    chain: |g, a, b, out| {} left: g / b, right: -(g * out) / b,
    algebra: NO_UNITS,
    expr: "a / b",
}
