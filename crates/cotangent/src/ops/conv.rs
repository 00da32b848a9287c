//! Convolutions in NCHW layout, as `torch.nn.functional.conv1d`/`conv2d`: composites by im2col
//! (pad, strided slices of the `kh·kw` shifted windows, stack, one batched matmul per group), so
//! they differentiate to any order and batch and stage like any other composite.
//!
//! The im2col buffer holds `N·C·kh·kw·Ho·Wo` elements: memory grows with the kernel size.

use std::panic::Location;

use crate::core::{Error, Result, Tensor};

/// Stride, zero padding, dilation and groups of [`Tensor::conv2d`] (per axis: `(height, width)`).
/// The default is PyTorch's: stride 1, no padding, dilation 1, one group.
///
/// ```
/// use cotangent::Conv2dOptions;
/// let o = Conv2dOptions::default().stride(2).padding(1);
/// assert_eq!((o.stride, o.padding, o.dilation, o.groups), ((2, 2), (1, 1), (1, 1), 1));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv2dOptions {
    /// Step between windows, `(sh, sw)`, at least 1.
    pub stride: (usize, usize),
    /// Zeros added on both sides, `(ph, pw)`.
    pub padding: (usize, usize),
    /// Spacing between kernel taps, `(dh, dw)`, at least 1.
    pub dilation: (usize, usize),
    /// Channel groups: input and output channels are split into `groups` independent parts.
    pub groups: usize,
}

impl Default for Conv2dOptions {
    fn default() -> Self {
        Conv2dOptions {
            stride: (1, 1),
            padding: (0, 0),
            dilation: (1, 1),
            groups: 1,
        }
    }
}

/// Builder methods that set a per-axis `(height, width)` option to one value on both axes, for
/// the option structs of the convolutions and their transposes.
macro_rules! same_on_both_axes {
    ($ty:ident { $($field:ident: $doc:literal),* $(,)? }) => {
        impl $ty {
            $(
                #[doc = $doc]
                pub fn $field(self, v: usize) -> Self {
                    $ty { $field: (v, v), ..self }
                }
            )*
            /// The number of channel groups.
            pub fn groups(self, g: usize) -> Self {
                $ty { groups: g, ..self }
            }
        }
    };
}
pub(crate) use same_on_both_axes;

same_on_both_axes!(Conv2dOptions {
    stride: "The same stride on both axes.",
    padding: "The same padding on both axes.",
    dilation: "The same dilation on both axes.",
});

/// The output size of a window of `k` taps spaced `d` apart, stepping `s`, over `n + 2p`
/// elements; `None` when the window does not fit.
pub(crate) fn out_len(n: usize, k: usize, s: usize, p: usize, d: usize) -> Option<usize> {
    let span = d.checked_mul(k.checked_sub(1)?)?.checked_add(1)?;
    let avail = n.checked_add(2 * p)?;
    (avail >= span).then(|| (avail - span) / s + 1)
}

/// The `kh·kw` windows of `x` (`[N, C, H, W]`, already padded), each `[N, C, Ho, Wo]`,
/// in row-major kernel order.
pub(crate) fn windows(
    x: &Tensor,
    (kh, kw): (usize, usize),
    (sh, sw): (usize, usize),
    (dh, dw): (usize, usize),
    (ho, wo): (usize, usize),
) -> Result<Vec<Tensor>> {
    let mut out = Vec::with_capacity(kh * kw);
    for i in 0..kh {
        let (r0, r1) = (i * dh, i * dh + (ho - 1) * sh + 1);
        let rows = x.try_slice_axis(2, r0 as isize, r1 as isize, sh)?;
        for j in 0..kw {
            let (c0, c1) = (j * dw, j * dw + (wo - 1) * sw + 1);
            out.push(rows.try_slice_axis(3, c0 as isize, c1 as isize, sw)?);
        }
    }
    Ok(out)
}

/// **Convolution** (NCHW, cross-correlation as in PyTorch).
impl Tensor {
    /// 2-D convolution of `self` (`[N, C, H, W]`) with `weight` (`[O, C/groups, kh, kw]`) plus
    /// an optional `bias` (`[O]`), giving `[N, O, Ho, Wo]` with
    /// `Ho = (H + 2·ph − dh·(kh − 1) − 1) / sh + 1` (likewise `Wo`). As `torch.nn.functional.conv2d`
    /// (a cross-correlation: the kernel is not flipped). A composite of pad, strided slices, stack
    /// and matmul, so gradients of every order, `vmap` and `jit` work.
    ///
    /// ```
    /// use cotangent::{Conv2dOptions, Tensor};
    /// let x = Tensor::arange(0.0, 9.0, 1.0, cotangent::DType::F64).reshape(&[1, 1, 3, 3]);
    /// let w = Tensor::ones(&[1, 1, 2, 2], cotangent::DType::F64);
    /// let y = x.conv2d(&w, None, Conv2dOptions::default());
    /// assert_eq!(y.dims(), &[1, 1, 2, 2]);
    /// assert_eq!(y.to_vec::<f64>(), vec![8.0, 12.0, 20.0, 24.0]);
    /// let bad = x.try_conv2d(&Tensor::ones(&[1, 2, 2, 2], cotangent::DType::F64), None,
    ///     Conv2dOptions::default()).unwrap_err().to_string();
    /// assert!(bad.contains("conv2d") && bad.contains("[1, 1, 3, 3]") && bad.contains("[1, 2, 2, 2]"));
    /// ```
    #[track_caller]
    pub fn try_conv2d(
        &self,
        weight: &Tensor,
        bias: Option<&Tensor>,
        opts: Conv2dOptions,
    ) -> Result<Tensor> {
        let loc = Location::caller();
        let shapes = format!("input {} and weight {}", self.shape(), weight.shape());
        if self.rank() != 4 || weight.rank() != 4 {
            return Err(Error::shape(
                "conv2d",
                format!("{shapes}: expected input [N, C, H, W] and weight [O, C/groups, kh, kw]"),
            )
            .at(loc));
        }
        self.conv_impl(weight, bias, opts, "conv2d", &shapes, loc)
    }

    fn conv_impl(
        &self,
        weight: &Tensor,
        bias: Option<&Tensor>,
        opts: Conv2dOptions,
        op: &'static str,
        shapes: &str,
        loc: &'static Location<'static>,
    ) -> Result<Tensor> {
        let err = |why: String| Error::shape(op, format!("{shapes}: {why}")).at(loc);
        super::need_float(op, self).map_err(|e| e.at(loc))?;
        let Conv2dOptions {
            stride,
            padding,
            dilation,
            groups,
        } = opts;
        if stride.0 == 0 || stride.1 == 0 || dilation.0 == 0 || dilation.1 == 0 || groups == 0 {
            return Err(err(format!(
                "stride {stride:?}, dilation {dilation:?} and groups {groups} must be at least 1"
            )));
        }
        let (n, c, h, wd) = (
            self.dims()[0],
            self.dims()[1],
            self.dims()[2],
            self.dims()[3],
        );
        let (o, cg, kh, kw) = (
            weight.dims()[0],
            weight.dims()[1],
            weight.dims()[2],
            weight.dims()[3],
        );
        if c % groups != 0 || o % groups != 0 || cg * groups != c {
            return Err(err(format!(
                "{c} input and {o} output channels do not split into {groups} groups of \
                 {cg} input channels"
            )));
        }
        if kh == 0 || kw == 0 {
            return Err(err("the kernel is empty".into()));
        }
        let (Some(ho), Some(wo)) = (
            out_len(h, kh, stride.0, padding.0, dilation.0),
            out_len(wd, kw, stride.1, padding.1, dilation.1),
        ) else {
            return Err(err(format!(
                "the dilated kernel does not fit the padded input (padding {padding:?}, \
                 dilation {dilation:?})"
            )));
        };
        if let Some(b) = bias {
            if b.dims() != [o] {
                return Err(err(format!("bias {} should be [{o}]", b.shape())));
            }
        }
        let xp = self.try_pad(
            &[
                (0, 0),
                (0, 0),
                (padding.0, padding.0),
                (padding.1, padding.1),
            ],
            0.0,
        )?;
        let wins = windows(&xp, (kh, kw), stride, dilation, (ho, wo))?;
        let k = cg * kh * kw;
        // [N, C, kh·kw, Ho, Wo] → [N, G, Cg·kh·kw, Ho·Wo]: the column order (c, i, j) is the
        // weight's row-major order.
        let cols = Tensor::try_stack(&wins, 2)?.try_reshape(&[n, groups, k, ho * wo])?;
        let wm = weight.try_reshape(&[groups, o / groups, k])?;
        let mut y = wm.try_matmul(&cols)?.try_reshape(&[n, o, ho, wo])?;
        if let Some(b) = bias {
            y = y.try_add(&b.try_reshape(&[1, o, 1, 1])?)?;
        }
        Ok(y)
    }

    /// 2-D convolution; see [`Tensor::try_conv2d`].
    #[track_caller]
    pub fn conv2d(&self, weight: &Tensor, bias: Option<&Tensor>, opts: Conv2dOptions) -> Tensor {
        self.try_conv2d(weight, bias, opts)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// 1-D convolution of `self` (`[N, C, L]`) with `weight` (`[O, C/groups, k]`) and an optional
    /// `bias` (`[O]`), giving `[N, O, Lo]`; `stride`, `padding` and `dilation` are the width
    /// entries of `opts` (its height entries are ignored). As `torch.nn.functional.conv1d`: a
    /// [`Tensor::conv2d`] with height 1.
    ///
    /// ```
    /// use cotangent::{Conv2dOptions, Tensor};
    /// let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[1, 1, 4]);
    /// let w = Tensor::from_vec(vec![1.0, -1.0], &[1, 1, 2]);
    /// let y = x.conv1d(&w, None, Conv2dOptions::default().padding(1));
    /// assert_eq!(y.to_vec::<f64>(), vec![-1.0, -1.0, -1.0, -1.0, 4.0]);
    /// ```
    #[track_caller]
    pub fn try_conv1d(
        &self,
        weight: &Tensor,
        bias: Option<&Tensor>,
        opts: Conv2dOptions,
    ) -> Result<Tensor> {
        let loc = Location::caller();
        if self.rank() != 3 || weight.rank() != 3 {
            return Err(Error::shape(
                "conv1d",
                format!(
                    "input {} and weight {}: expected input [N, C, L] and weight [O, C/groups, k]",
                    self.shape(),
                    weight.shape()
                ),
            )
            .at(loc));
        }
        let o2 = Conv2dOptions {
            stride: (1, opts.stride.1),
            padding: (0, opts.padding.1),
            dilation: (1, opts.dilation.1),
            groups: opts.groups,
        };
        let shapes = format!("input {} and weight {}", self.shape(), weight.shape());
        self.try_unsqueeze(2)?
            .conv_impl(&weight.try_unsqueeze(2)?, bias, o2, "conv1d", &shapes, loc)?
            .try_squeeze(2)
    }

    /// 1-D convolution; see [`Tensor::try_conv1d`].
    #[track_caller]
    pub fn conv1d(&self, weight: &Tensor, bias: Option<&Tensor>, opts: Conv2dOptions) -> Tensor {
        self.try_conv1d(weight, bias, opts)
            .unwrap_or_else(|e| panic!("{e}"))
    }
}
