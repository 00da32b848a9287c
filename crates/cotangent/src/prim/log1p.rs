//! `log1p`: `log(1 + x)`, accurate near 0. Derivative: `1/(1 + x)`.

use crate::prim::elementwise::unary_float_primitive;

unary_float_primitive! {
    /// `log(1 + x)`, accurate near 0. Derivative: `1/(1 + x)`.
    Log1p, "log1p",
    method: log1p / try_log1p, "`log(1 + x)` elementwise, accurate near zero.",
    kernel: |x| x.ln_1p(),
    chain: |g, x, out| g / &(x + 1.0),
    expr: "log1p(a)",
}
