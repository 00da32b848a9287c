//! Reductions: sum and max over axes (with `keepdim`), and the composites mean, var and std.

use smallvec::smallvec;

use crate::core::bind::bind;
use crate::core::shape::normalize_axes;
use crate::core::{DType, Result, Tensor};
use crate::prim::int_arith::IntSum;
use crate::prim::{reduce_max::ReduceMax, sum::Sum};

/// **Reductions**: sum, mean, max, var, ... over all or some axes.
impl Tensor {
    /// Sum over already-normalized axes, dropping them.
    #[track_caller]
    pub(crate) fn sum_dims(&self, axes: &[usize]) -> Result<Tensor> {
        if axes.is_empty() {
            return Ok(self.clone());
        }
        bind(Sum { axes: axes.into() }, smallvec![self.clone()])
    }

    /// Reduce over `axes` with the primitive `make` builds from the normalized axes, keeping
    /// them as size 1 when asked. The primitive is bound in this `#[track_caller]` body, so it
    /// is located at the user's line (bound inside a closure, it would be located here).
    #[track_caller]
    fn reduce_with<P: crate::prim::Primitive>(
        &self,
        op: &'static str,
        axes: &[isize],
        keepdim: bool,
        make: fn(&[usize]) -> P,
    ) -> Result<Tensor> {
        let loc = std::panic::Location::caller();
        let axes = normalize_axes(op, axes, self.rank()).map_err(|e| e.at(loc))?;
        let out = if axes.is_empty() {
            self.clone()
        } else {
            bind(make(&axes), smallvec![self.clone()])?
        };
        if keepdim {
            let keep: Vec<usize> = (0..self.rank())
                .map(|d| {
                    if axes.contains(&d) {
                        1
                    } else {
                        self.shape()[d]
                    }
                })
                .collect();
            out.try_reshape(&keep)
        } else {
            Ok(out)
        }
    }

    /// Sum over `axes` (negative axes count from the end); `keepdim` keeps them as size 1.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]);
    /// assert_eq!(x.sum_axes(&[0], false).to_vec::<f64>(), vec![4.0, 6.0]);
    /// assert_eq!(x.sum_axes(&[-1], true).dims(), &[2, 1]);
    /// ```
    #[track_caller]
    pub fn try_sum_axes(&self, axes: &[isize], keepdim: bool) -> Result<Tensor> {
        if !self.dtype().is_float() {
            // Integers sum exactly; a bool tensor counts its `true`s.
            return self
                .try_cast(DType::I64)?
                .reduce_with("sum", axes, keepdim, |a| IntSum { axes: a.into() });
        }
        self.reduce_with("sum", axes, keepdim, |a| Sum { axes: a.into() })
    }
    panicking!(
        /// Sum over axes; see [`Tensor::try_sum_axes`].
        sum_axes(axes: &[isize], keepdim: bool) => try_sum_axes
    );

    /// Sum of all elements (a scalar).
    ///
    /// ```
    /// assert_eq!(cotangent::Tensor::from_vec(vec![1.0, 2.0], &[2]).sum().item::<f64>(), 3.0);
    /// ```
    #[track_caller]
    pub fn try_sum(&self) -> Result<Tensor> {
        if !self.dtype().is_float() {
            let all: Vec<isize> = (0..self.rank() as isize).collect();
            return self.try_sum_axes(&all, false);
        }
        let all: Vec<usize> = (0..self.rank()).collect();
        self.sum_dims(&all)
    }
    panicking!(
        /// Sum of all elements; see [`Tensor::try_sum`].
        sum() => try_sum
    );

    /// Maximum over `axes`; the gradient is shared evenly among tied maxima.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 5.0, 3.0, 4.0], &[2, 2]);
    /// assert_eq!(x.max_axes(&[1], false).to_vec::<f64>(), vec![5.0, 4.0]);
    /// ```
    ///
    /// Reducing an axis of size 0 is an error (a maximum of nothing has no value; JAX and
    /// PyTorch raise too). [`Tensor::try_logsumexp`] of an empty axis is still `-inf`.
    #[track_caller]
    pub fn try_max_axes(&self, axes: &[isize], keepdim: bool) -> Result<Tensor> {
        let loc = std::panic::Location::caller();
        let dims = normalize_axes("max", axes, self.rank()).map_err(|e| e.at(loc))?;
        if let Some(&d) = dims.iter().find(|&&d| self.dims()[d] == 0) {
            return Err(crate::core::Error::shape(
                "max",
                format!(
                    "axis {d} of shape {} is empty: a maximum over no elements is undefined",
                    self.shape()
                ),
            )
            .at(loc));
        }
        self.max_axes_or_neg_inf(axes, keepdim)
    }

    /// Like [`Tensor::try_max_axes`], with `-inf` (the identity) over an empty axis.
    #[track_caller]
    pub(crate) fn max_axes_or_neg_inf(&self, axes: &[isize], keepdim: bool) -> Result<Tensor> {
        self.reduce_with("reduce_max", axes, keepdim, |a| ReduceMax {
            axes: a.into(),
        })
    }
    panicking!(
        /// Maximum over axes; see [`Tensor::try_max_axes`].
        max_axes(axes: &[isize], keepdim: bool) => try_max_axes
    );

    /// Maximum of all elements.
    ///
    /// ```
    /// assert_eq!(cotangent::Tensor::from_vec(vec![1.0, 2.0], &[2]).max().item::<f64>(), 2.0);
    /// ```
    #[track_caller]
    pub fn try_max(&self) -> Result<Tensor> {
        let all: Vec<isize> = (0..self.rank() as isize).collect();
        self.try_max_axes(&all, false)
    }
    panicking!(
        /// Maximum of all elements; see [`Tensor::try_max`].
        max() => try_max
    );

    /// Mean over `axes`.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 5.0], &[2, 2]);
    /// assert_eq!(x.mean_axes(&[1], false).to_vec::<f64>(), vec![1.5, 4.0]);
    /// ```
    #[track_caller]
    ///
    /// An integer or bool tensor's mean is f64 (as in JAX).
    pub fn try_mean_axes(&self, axes: &[isize], keepdim: bool) -> Result<Tensor> {
        if !self.dtype().is_float() {
            return self.try_cast(DType::F64)?.try_mean_axes(axes, keepdim);
        }
        let s = self.try_sum_axes(axes, keepdim)?;
        let n = self.numel() / s.numel().max(1);
        Ok(s / n as f64)
    }
    panicking!(
        /// Mean over axes; see [`Tensor::try_mean_axes`].
        mean_axes(axes: &[isize], keepdim: bool) => try_mean_axes
    );

    /// Mean of all elements.
    ///
    /// ```
    /// assert_eq!(cotangent::Tensor::from_vec(vec![1.0, 2.0], &[2]).mean().item::<f64>(), 1.5);
    /// ```
    #[track_caller]
    pub fn try_mean(&self) -> Result<Tensor> {
        if !self.dtype().is_float() {
            return self.try_cast(DType::F64)?.try_mean();
        }
        Ok(self.try_sum()? / self.numel() as f64)
    }
    panicking!(
        /// Mean of all elements; see [`Tensor::try_mean`].
        mean() => try_mean
    );

    /// Population variance (`ddof = 0`, as NumPy and JAX default) over `axes`.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 3.0], &[2]);
    /// assert_eq!(x.var_axes(&[0], false).item::<f64>(), 1.0);
    /// ```
    #[track_caller]
    pub fn try_var_axes(&self, axes: &[isize], keepdim: bool) -> Result<Tensor> {
        let mu = self.try_mean_axes(axes, true)?;
        let d = self.try_sub(&mu)?;
        (&d * &d).try_mean_axes(axes, keepdim)
    }
    panicking!(
        /// Population variance over axes; see [`Tensor::try_var_axes`].
        var_axes(axes: &[isize], keepdim: bool) => try_var_axes
    );

    /// Population standard deviation (`ddof = 0`, as `jnp.std`) over `axes`: the square root
    /// of [`Tensor::try_var_axes`]. At a constant slice the value is 0 and the derivative NaN
    /// (`0 · ∞`), as JAX gives.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 3.0, 2.0, 2.0], &[2, 2]);
    /// assert_eq!(x.std_axes(&[1], false).to_vec::<f64>(), vec![1.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn try_std_axes(&self, axes: &[isize], keepdim: bool) -> Result<Tensor> {
        self.try_std_axes_ddof(axes, keepdim, 0)
    }
    panicking!(
        /// Population standard deviation over axes; see [`Tensor::try_std_axes`].
        std_axes(axes: &[isize], keepdim: bool) => try_std_axes
    );

    /// Standard deviation with `ddof` delta degrees of freedom (the divisor is `n - ddof`;
    /// `ddof = 1` is the sample standard deviation, as `jnp.std(x, ddof=1)`). With `n ≤ ddof`
    /// the result is infinite or NaN, as in JAX.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 3.0], &[2]);
    /// assert_eq!(x.std_axes_ddof(&[0], false, 1).item::<f64>(), 2f64.sqrt());
    /// ```
    #[track_caller]
    pub fn try_std_axes_ddof(&self, axes: &[isize], keepdim: bool, ddof: usize) -> Result<Tensor> {
        let loc = std::panic::Location::caller();
        normalize_axes("std", axes, self.rank()).map_err(|e| e.at(loc))?;
        crate::ops::need_float("std", self)?;
        let var = self.try_var_axes(axes, keepdim)?;
        if ddof == 0 {
            return var.try_sqrt();
        }
        let n = (self.numel() / var.numel().max(1)) as f64;
        (var * (n / (n - ddof as f64).max(0.0))).try_sqrt()
    }
    panicking!(
        /// Standard deviation with `ddof`; see [`Tensor::try_std_axes_ddof`].
        std_axes_ddof(axes: &[isize], keepdim: bool, ddof: usize) => try_std_axes_ddof
    );

    /// Population standard deviation of all elements.
    ///
    /// ```
    /// let x = cotangent::Tensor::from_vec(vec![1.0, 3.0], &[2]);
    /// assert_eq!(x.std().item::<f64>(), 1.0);
    /// ```
    #[track_caller]
    pub fn try_std(&self) -> Result<Tensor> {
        let all: Vec<isize> = (0..self.rank() as isize).collect();
        self.try_std_axes(&all, false)
    }
    panicking!(
        /// Population standard deviation of all elements; see [`Tensor::try_std`].
        std() => try_std
    );

    /// Index (i64) of the largest element along `axis`; the first wins a tie, NaN counts as
    /// largest. `keepdim` keeps the axis as size 1. Not differentiable.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 5.0, 3.0, 4.0, 2.0, 4.0], &[2, 3]);
    /// assert_eq!(x.argmax(-1, false).to_vec::<i64>(), vec![1, 0]);
    /// assert_eq!(x.argmax(0, true).dims(), &[1, 3]);
    /// ```
    #[track_caller]
    pub fn try_argmax(&self, axis: isize, keepdim: bool) -> Result<Tensor> {
        let loc = std::panic::Location::caller();
        let a = crate::core::shape::normalize_axis("argmax", axis, self.rank())
            .map_err(|e| e.at(loc))?;
        let out = bind(
            crate::prim::argmax::ArgMax { axis: a },
            smallvec![self.clone()],
        )?;
        if keepdim {
            out.try_unsqueeze(a as isize)
        } else {
            Ok(out)
        }
    }
    panicking!(
        /// Index of the maximum along an axis; see [`Tensor::try_argmax`].
        argmax(axis: isize, keepdim: bool) => try_argmax
    );
}
