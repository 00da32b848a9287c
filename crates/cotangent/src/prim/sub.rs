//! `sub`: Elementwise difference. Linear: JVP `ta - tb`, VJP `(g, -g)`.

use crate::prim::elementwise::binary_float_primitive;
use crate::prim::lowering::Algebra;

binary_float_primitive! {
    /// Elementwise difference. Linear: JVP `ta - tb`, VJP `(g, -g)`.
    Sub, "sub",
    kernel: |a, b| a - b,
    chain: |g, a, b, out| {} left: g.clone(), right: -g,
    algebra: Algebra { right_unit: Some(0.0), left_unit: None, copy: false },
    expr: "a - b",
}
