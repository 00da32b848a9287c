//! `expm1`: `e^x - 1`, accurate near 0. Derivative: `e^x`.

use crate::prim::elementwise::unary_float_primitive;

unary_float_primitive! {
    /// `e^x - 1`, accurate near 0. Derivative: `e^x`.
    Expm1, "expm1",
    kernel: |x| x.exp_m1(),
    derivative: |x, out| out + 1.0,
}
