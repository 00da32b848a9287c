//! Elementwise unary math methods, one primitive each.

use smallvec::smallvec;

use crate::core::bind::bind;
use crate::core::{Result, Tensor};
use crate::prim;

macro_rules! unary_methods {
    ($($name:ident, $try:ident, $prim:expr, $doc:literal;)*) => {
        impl Tensor {
            $(
                #[doc = $doc]
                #[doc = ""]
                #[doc = "Fails on integer and bool tensors."]
                #[track_caller]
                pub fn $try(&self) -> Result<Tensor> {
                    bind($prim, smallvec![self.clone()])
                }
                panicking!(
                    #[doc = $doc]
                    $name() => $try
                );
            )*
        }
    };
}

unary_methods! {
    exp, try_exp, prim::exp::Exp, "`e^x` elementwise.";
    log, try_log, prim::log::Log, "Natural logarithm elementwise.";
    sin, try_sin, prim::sin::Sin, "Sine elementwise.";
    cos, try_cos, prim::cos::Cos, "Cosine elementwise.";
    tan, try_tan, prim::tan::Tan, "Tangent elementwise.";
    asin, try_asin, prim::asin::Asin, "Inverse sine elementwise.";
    acos, try_acos, prim::acos::Acos, "Inverse cosine elementwise.";
    atan, try_atan, prim::atan::Atan, "Inverse tangent elementwise.";
    sinh, try_sinh, prim::sinh::Sinh, "Hyperbolic sine elementwise.";
    cosh, try_cosh, prim::cosh::Cosh, "Hyperbolic cosine elementwise.";
    tanh, try_tanh, prim::tanh::Tanh, "Hyperbolic tangent elementwise.";
    asinh, try_asinh, prim::asinh::Asinh, "Inverse hyperbolic sine elementwise.";
    acosh, try_acosh, prim::acosh::Acosh, "Inverse hyperbolic cosine elementwise.";
    atanh, try_atanh, prim::atanh::Atanh, "Inverse hyperbolic tangent elementwise.";
    sqrt, try_sqrt, prim::sqrt::Sqrt, "Square root elementwise.";
    expm1, try_expm1, prim::expm1::Expm1, "`e^x - 1` elementwise, accurate near zero.";
    log1p, try_log1p, prim::log1p::Log1p, "`log(1 + x)` elementwise, accurate near zero.";
    abs, try_abs, prim::abs::Abs, "Absolute value elementwise.";
    sign, try_sign, prim::sign::Sign, "Sign (-1, 0, 1) elementwise.";
    erf, try_erf, prim::erf::Erf, "Error function elementwise.";
    erfc, try_erfc, prim::erfc::Erfc, "Complementary error function `1 - erf(x)` elementwise, accurate in the tails.";
    floor, try_floor, prim::floor::Floor, "Round down elementwise.";
    round, try_round, prim::round::Round, "Round half to even elementwise.";
}

impl Tensor {
    /// `-x` elementwise (also on i64).
    ///
    /// ```
    /// let x = cotangent::Tensor::scalar(2.0);
    /// assert_eq!(x.try_neg().unwrap().item::<f64>(), -2.0);
    /// ```
    #[track_caller]
    pub fn try_neg(&self) -> Result<Tensor> {
        bind(prim::neg::Neg, smallvec![self.clone()])
    }

    /// `1 / x` elementwise.
    ///
    /// ```
    /// assert_eq!(cotangent::Tensor::scalar(4.0).recip().item::<f64>(), 0.25);
    /// ```
    #[track_caller]
    pub fn try_recip(&self) -> Result<Tensor> {
        self.scalar_like(1.0).try_div(self)
    }
    panicking!(
        /// `1 / x` elementwise; see [`Tensor::try_recip`].
        recip() => try_recip
    );
}
