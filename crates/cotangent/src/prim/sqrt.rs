//! `sqrt`: Square root. Derivative: `1/(2 sqrt(x))` (infinite at 0).

use crate::prim::elementwise::unary_float_primitive;

unary_float_primitive! {
    /// Square root. Derivative: `1/(2 sqrt(x))` (infinite at 0).
    Sqrt, "sqrt",
    method: sqrt / try_sqrt, "Square root elementwise.",
    kernel: |x| x.sqrt(),
    chain: |g, x, out| g / &(out * 2.0),
    expr: "sqrt(a)",
}
