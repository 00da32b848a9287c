//! `log10`: Base-10 logarithm. Derivative: `1 / (x · ln 10)`.

use crate::prim::elementwise::unary_float_primitive;

unary_float_primitive! {
    /// Base-10 logarithm, exact at powers of ten. Derivative: `1 / (x · ln 10)`.
    Log10, "log10",
    method: log10 / try_log10, "Base-10 logarithm elementwise (as `jnp.log10`).\n\n```\nassert_eq!(cotangent::Tensor::scalar(1000.0).log10().item::<f64>(), 3.0);\n```",
    kernel: |x| x.log10(),
    chain: |g, x, out| g / &(x * std::f64::consts::LN_10),
    expr: "log10(a)",
}
