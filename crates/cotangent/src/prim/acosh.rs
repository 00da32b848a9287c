//! `acosh`: Inverse hyperbolic cosine (x ≥ 1). Derivative: `1/sqrt((x - 1)(x + 1))`.

use crate::prim::elementwise::unary_float_primitive;

unary_float_primitive! {
    /// Inverse hyperbolic cosine (x ≥ 1). Derivative: `1/sqrt((x - 1)(x + 1))`.
    Acosh, "acosh",
    method: acosh / try_acosh, "Inverse hyperbolic cosine elementwise.",
    kernel: |x| x.acosh(),
    chain: |g, x, out| g / &((x - 1.0) * (x + 1.0)).sqrt(),
    expr: "acosh(a)",
}
