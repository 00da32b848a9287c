//! `round`: Round half to even, as NumPy. Derivative: zero (undefined at half-integers).

use crate::prim::elementwise::piecewise_constant_primitive;

piecewise_constant_primitive! {
    /// Round half to even, as NumPy. Derivative: zero (undefined at half-integers).
    Round, "round",
    method: round / try_round, "Round half to even elementwise.",
    kernel: |x| crate::Real::round_even(x),
    expr: "rint(a)",
}
