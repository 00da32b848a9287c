//! `erfinv`: Inverse error function on `[-1, 1]`. Derivative: `√π/2 · exp(erfinv(x)²)`.

use crate::prim::elementwise::unary_float_primitive;

unary_float_primitive! {
    /// Inverse error function: `erf(erfinv(x)) = x` on `[-1, 1]`, `±inf` at `±1`, NaN outside.
    /// Derivative: `√π/2 · exp(erfinv(x)²)`.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let x = Tensor::from_vec(vec![0.5, -1.0], &[2]);
    /// let y = x.erfinv();
    /// assert!((y.erf().to_vec::<f64>()[0] - 0.5).abs() < 1e-15);
    /// assert_eq!(y.to_vec::<f64>()[1], f64::NEG_INFINITY);
    /// ```
    Erfinv, "erfinv",
    method: erfinv / try_erfinv, "Inverse error function elementwise.",
    kernel: |x| <T as crate::Element>::from_f64(crate::prim::special::erfinv(crate::Element::to_f64(x))),
    chain: |g, x, out| g * &(out.square().exp() * (std::f64::consts::PI.sqrt() / 2.0)),
    expr: "erfinv(a)",
}
