//! `lgamma`: `ln |Γ(x)|`. Derivative: `digamma(x)` (the `polygamma` primitive at order 0).

use crate::prim::elementwise::unary_float_primitive;

unary_float_primitive! {
    /// The log of the absolute value of the gamma function, `ln |Γ(x)|` (`+inf` at the poles
    /// 0, -1, -2, …). Derivative: `digamma(x)`.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let x = Tensor::from_vec(vec![5.0, 0.5], &[2]);
    /// let y = x.lgamma().to_vec::<f64>();
    /// assert!((y[0] - 24f64.ln()).abs() < 1e-14);
    /// assert!((y[1] - std::f64::consts::PI.sqrt().ln()).abs() < 1e-14);
    /// ```
    Lgamma, "lgamma",
    method: lgamma / try_lgamma, "Log-gamma (`ln |Γ(x)|`) elementwise.",
    kernel: |x| <T as crate::Element>::from_f64(crate::prim::special::lgamma(crate::Element::to_f64(x))),
    chain: |g, x, out| g * &x.digamma(),
    expr: "lgamma(a)",
}
