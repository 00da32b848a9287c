//! `exp2`: `2^x`. Derivative: `ln 2 · 2^x` (the output times `ln 2`).

use crate::prim::elementwise::unary_float_primitive;

unary_float_primitive! {
    /// `2^x`, exact at integers (`exp2(10) = 1024`). Derivative: `ln 2 · 2^x`.
    Exp2, "exp2",
    method: exp2 / try_exp2, "`2^x` elementwise (as `jnp.exp2`).\n\n```\nassert_eq!(cotangent::Tensor::scalar(10.0).exp2().item::<f64>(), 1024.0);\n```",
    kernel: |x| x.exp2(),
    chain: |g, x, out| g * &(out * std::f64::consts::LN_2),
    expr: "exp2(a)",
}
