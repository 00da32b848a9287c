//! `neg` and `recip`. The other unary math methods (`sin`, `exp`, …) are declared with their
//! primitives, in `crate::prim`.

use smallvec::smallvec;

use crate::core::bind::bind;
use crate::core::{Result, Tensor};
use crate::prim;

/// **Elementwise math** (composites; the primitive ones such as `sin` are listed under their own blocks).
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
