//! `log2`: Base-2 logarithm. Derivative: `1 / (x · ln 2)`.

use crate::prim::elementwise::unary_float_primitive;

unary_float_primitive! {
    /// Base-2 logarithm, exact at powers of two. Derivative: `1 / (x · ln 2)`.
    Log2, "log2",
    method: log2 / try_log2, "Base-2 logarithm elementwise (as `jnp.log2`).\n\n```\nassert_eq!(cotangent::Tensor::scalar(1024.0).log2().item::<f64>(), 10.0);\n```",
    kernel: |x| x.log2(),
    chain: |g, x, out| g / &(x * std::f64::consts::LN_2),
    expr: "log2(a)",
}
