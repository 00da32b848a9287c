//! `log`: Natural logarithm. Derivative: `1/x`.

use crate::prim::elementwise::unary_float_primitive;

unary_float_primitive! {
    /// Natural logarithm. Derivative: `1/x`.
    Log, "log",
    method: log / try_log, "Natural logarithm elementwise.",
    kernel: |x| x.ln(),
    chain: |g, x, out| g / x,
    expr: "log(a)",
}
