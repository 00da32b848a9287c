//! 2-D max and average pooling in NCHW layout, as `torch.nn.functional.max_pool2d` and
//! `avg_pool2d`: the strided windows stacked on a new axis and reduced with `max_axes` or
//! `mean_axes`, so they differentiate to any order and batch and stage like any composite.

use std::panic::Location;

use crate::core::{Error, Result, Tensor};
use crate::ops::conv::{out_len, windows};

/// **Pooling** (NCHW).
impl Tensor {
    /// The `[N, C, Ho, Wo]` stack of windows `[N, C, kh·kw, Ho, Wo]` of `self`, padded with `fill`.
    fn pool_windows(
        &self,
        op: &'static str,
        kernel: (usize, usize),
        stride: (usize, usize),
        padding: (usize, usize),
        fill: f64,
        loc: &'static Location<'static>,
    ) -> Result<Tensor> {
        let err = |why: String| {
            Error::shape(
                op,
                format!(
                    "input {} with kernel {kernel:?}, stride {stride:?}, padding {padding:?}: {why}",
                    self.shape()
                ),
            )
            .at(loc)
        };
        super::need_float(op, self).map_err(|e| e.at(loc))?;
        if self.rank() != 4 {
            return Err(err("expected an input [N, C, H, W]".into()));
        }
        if kernel.0 == 0 || kernel.1 == 0 || stride.0 == 0 || stride.1 == 0 {
            return Err(err("kernel and stride must be at least 1".into()));
        }
        if 2 * padding.0 > kernel.0 || 2 * padding.1 > kernel.1 {
            return Err(err("padding must be at most half the kernel".into()));
        }
        let (h, w) = (self.dims()[2], self.dims()[3]);
        let (Some(ho), Some(wo)) = (
            out_len(h, kernel.0, stride.0, padding.0, 1),
            out_len(w, kernel.1, stride.1, padding.1, 1),
        ) else {
            return Err(err("the kernel does not fit the padded input".into()));
        };
        let xp = self.try_pad(
            &[
                (0, 0),
                (0, 0),
                (padding.0, padding.0),
                (padding.1, padding.1),
            ],
            fill,
        )?;
        Tensor::try_stack(&windows(&xp, kernel, stride, (1, 1), (ho, wo))?, 2)
    }

    /// 2-D max pooling of `self` (`[N, C, H, W]`) over `kernel = (kh, kw)` windows stepping
    /// `stride`, with `padding` (at most half the kernel) treated as `-inf`; the output is
    /// `[N, C, Ho, Wo]`, `Ho = (H + 2·ph − kh) / sh + 1`. As `torch.nn.functional.max_pool2d`
    /// (no dilation, floor rounding). The gradient goes to the maximum of each window.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let x = Tensor::arange(0.0, 16.0, 1.0, cotangent::DType::F64).reshape(&[1, 1, 4, 4]);
    /// let y = x.max_pool2d((2, 2), (2, 2), (0, 0));
    /// assert_eq!(y.to_vec::<f64>(), vec![5.0, 7.0, 13.0, 15.0]);
    /// assert!(x.try_max_pool2d((2, 2), (2, 2), (2, 0)).unwrap_err().to_string().contains("max_pool2d"));
    /// ```
    #[track_caller]
    pub fn try_max_pool2d(
        &self,
        kernel: (usize, usize),
        stride: (usize, usize),
        padding: (usize, usize),
    ) -> Result<Tensor> {
        let loc = Location::caller();
        self.pool_windows(
            "max_pool2d",
            kernel,
            stride,
            padding,
            f64::NEG_INFINITY,
            loc,
        )?
        .try_max_axes(&[2], false)
    }
    panicking!(
        /// 2-D max pooling; see [`Tensor::try_max_pool2d`].
        max_pool2d(kernel: (usize, usize), stride: (usize, usize), padding: (usize, usize)) => try_max_pool2d
    );

    /// 2-D average pooling of `self` (`[N, C, H, W]`) over `kernel` windows stepping `stride`,
    /// with zero `padding` (at most half the kernel) counted in the average, as
    /// `torch.nn.functional.avg_pool2d` with its defaults (`count_include_pad=True`, floor
    /// rounding). The output is `[N, C, Ho, Wo]`.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let x = Tensor::arange(0.0, 16.0, 1.0, cotangent::DType::F64).reshape(&[1, 1, 4, 4]);
    /// let y = x.avg_pool2d((2, 2), (2, 2), (0, 0));
    /// assert_eq!(y.to_vec::<f64>(), vec![2.5, 4.5, 10.5, 12.5]);
    /// ```
    #[track_caller]
    pub fn try_avg_pool2d(
        &self,
        kernel: (usize, usize),
        stride: (usize, usize),
        padding: (usize, usize),
    ) -> Result<Tensor> {
        let loc = Location::caller();
        self.pool_windows("avg_pool2d", kernel, stride, padding, 0.0, loc)?
            .try_mean_axes(&[2], false)
    }
    panicking!(
        /// 2-D average pooling; see [`Tensor::try_avg_pool2d`].
        avg_pool2d(kernel: (usize, usize), stride: (usize, usize), padding: (usize, usize)) => try_avg_pool2d
    );
}
