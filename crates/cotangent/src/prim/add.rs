//! `add`: Elementwise sum. Linear: JVP `ta + tb`, VJP `(g, g)`.

use crate::prim::elementwise::binary_float_primitive;
use crate::prim::lowering::Algebra;

binary_float_primitive! {
    /// Elementwise sum. Linear: JVP `ta + tb`, VJP `(g, g)`.
    Add, "add",
    kernel: |a, b| a + b,
    chain: |g, a, b, out| {} left: g.clone(), right: g.clone(),
    algebra: Algebra { right_unit: Some(0.0), left_unit: Some(0.0), copy: false },
    expr: "a + b",
}
