//! `floor`: Round down. Derivative: zero (undefined at integers).

use crate::prim::elementwise::piecewise_constant_primitive;

piecewise_constant_primitive! {
    /// Round down. Derivative: zero (undefined at integers).
    Floor, "floor",
    method: floor / try_floor, "Round down elementwise.",
    kernel: |x| x.floor(),
    expr: "floor(a)",
}
