//! `mul`: Elementwise product. JVP `ta·b + a·tb`, VJP `(g·b, g·a)`.

use crate::prim::elementwise::binary_float_primitive;
use crate::prim::lowering::Algebra;

binary_float_primitive! {
    /// Elementwise product. JVP `ta·b + a·tb`, VJP `(g·b, g·a)`.
    Mul, "mul",
    kernel: |a, b| a * b,
    chain: |g, a, b, out| {} left: g * b, right: g * a,
    algebra: Algebra { right_unit: Some(1.0), left_unit: Some(1.0), copy: false },
    expr: "a * b",
}
