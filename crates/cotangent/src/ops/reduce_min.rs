//! Minima: `min_axes`, `min` and `argmin`, as the maxima of `-x` (so the derivative is shared
//! evenly among tied minima, as JAX's `reduce_min`, and NaN propagates).

use std::panic::Location;

use crate::core::shape::normalize_axes;
use crate::core::{Error, Result, Tensor};

/// **Minimum-type reductions**: min, argmin.
impl Tensor {
    /// Minimum over `axes`; the gradient is shared evenly among tied minima. Reducing an
    /// empty axis is an error, as for [`Tensor::try_max_axes`].
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 5.0, 3.0, 0.5], &[2, 2]);
    /// assert_eq!(x.min_axes(&[1], false).to_vec::<f64>(), vec![1.0, 0.5]);
    /// assert_eq!(x.min_axes(&[0], true).dims(), &[1, 2]);
    /// let empty = Tensor::zeros(&[0, 2], cotangent::DType::F64);
    /// assert!(empty.try_min_axes(&[0], false).unwrap_err().to_string().contains("min"));
    /// ```
    #[track_caller]
    pub fn try_min_axes(&self, axes: &[isize], keepdim: bool) -> Result<Tensor> {
        let loc = Location::caller();
        let dims = normalize_axes("min", axes, self.rank()).map_err(|e| e.at(loc))?;
        crate::ops::need_float("min", self)?;
        if let Some(&d) = dims.iter().find(|&&d| self.dims()[d] == 0) {
            return Err(Error::shape(
                "min",
                format!(
                    "axis {d} of shape {} is empty: a minimum over no elements is undefined",
                    self.shape()
                ),
            )
            .at(loc));
        }
        self.try_neg()?
            .max_axes_or_neg_inf(axes, keepdim)?
            .try_neg()
    }
    panicking!(
        /// Minimum over axes; see [`Tensor::try_min_axes`].
        min_axes(axes: &[isize], keepdim: bool) => try_min_axes
    );

    /// Minimum of all elements.
    ///
    /// ```
    /// assert_eq!(cotangent::Tensor::from_vec(vec![1.0, 2.0], &[2]).min().item::<f64>(), 1.0);
    /// ```
    #[track_caller]
    pub fn try_min(&self) -> Result<Tensor> {
        let all: Vec<isize> = (0..self.rank() as isize).collect();
        self.try_min_axes(&all, false)
    }
    panicking!(
        /// Minimum of all elements; see [`Tensor::try_min`].
        min() => try_min
    );

    /// Index (i64) of the smallest element along `axis`; the first wins a tie, NaN counts as
    /// smallest (as `jnp.argmin`). `keepdim` keeps the axis as size 1. Float and i64 tensors
    /// (i64 through negation, so `i64::MIN`, which negates to itself, is not found). Not
    /// differentiable.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 5.0, 1.0, 4.0, 2.0, 0.0], &[2, 3]);
    /// assert_eq!(x.argmin(-1, false).to_vec::<i64>(), vec![0, 2]);
    /// assert_eq!(x.argmin(0, true).dims(), &[1, 3]);
    /// ```
    #[track_caller]
    pub fn try_argmin(&self, axis: isize, keepdim: bool) -> Result<Tensor> {
        let loc = Location::caller();
        crate::core::shape::normalize_axis("argmin", axis, self.rank()).map_err(|e| e.at(loc))?;
        self.try_neg()
            .map_err(|e| e.at(loc))?
            .try_argmax(axis, keepdim)
    }
    panicking!(
        /// Index of the minimum along an axis; see [`Tensor::try_argmin`].
        argmin(axis: isize, keepdim: bool) => try_argmin
    );
}
