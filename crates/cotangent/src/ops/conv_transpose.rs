//! Transposed convolutions in NCHW layout, as `torch.nn.functional.conv_transpose1d`/`2d`
//! (sometimes called "deconvolutions"): the adjoint of [`Tensor::conv2d`] with respect to its
//! input. A composite: the input is spread out by the stride (zeros between its elements),
//! padded by `dilation·(k − 1) − padding` on each side (plus `output_padding` at the end), and
//! convolved at stride 1 with the spatially flipped kernel whose two channel axes are swapped
//! within each group. So every order of derivative, `vmap` and `jit` come from the convolution.
//!
//! The spread-out input holds `stride²` times the elements: the composite does that much
//! more multiply-adds than a direct kernel would (zeros times weights) at stride > 1.

use std::panic::Location;

use crate::core::{Error, Result, Tensor};

/// Stride, padding, output padding, dilation and groups of [`Tensor::conv_transpose2d`] (per
/// axis: `(height, width)`), as the arguments of `torch.nn.functional.conv_transpose2d`. The
/// default is PyTorch's: stride 1, no padding, no output padding, dilation 1, one group.
///
/// `padding` is the padding of the convolution this one transposes: the output loses
/// `padding` elements at each end. `output_padding` (smaller than the stride or the dilation)
/// adds elements at the end, to choose among the input sizes that a strided convolution maps
/// to the same output size.
///
/// ```
/// use cotangent::ConvTranspose2dOptions;
/// let o = ConvTranspose2dOptions::default().stride(2).padding(1).output_padding(1);
/// assert_eq!((o.stride, o.padding, o.output_padding), ((2, 2), (1, 1), (1, 1)));
/// assert_eq!((o.dilation, o.groups), ((1, 1), 1));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvTranspose2dOptions {
    /// The stride of the transposed convolution, `(sh, sw)`, at least 1.
    pub stride: (usize, usize),
    /// Elements removed at both ends of each output axis, `(ph, pw)`.
    pub padding: (usize, usize),
    /// Elements added at the end of each output axis, `(oh, ow)`; each below its stride or its
    /// dilation.
    pub output_padding: (usize, usize),
    /// Spacing between kernel taps, `(dh, dw)`, at least 1.
    pub dilation: (usize, usize),
    /// Channel groups.
    pub groups: usize,
}

impl Default for ConvTranspose2dOptions {
    fn default() -> Self {
        ConvTranspose2dOptions {
            stride: (1, 1),
            padding: (0, 0),
            output_padding: (0, 0),
            dilation: (1, 1),
            groups: 1,
        }
    }
}

super::conv::same_on_both_axes!(ConvTranspose2dOptions {
    stride: "The same stride on both axes.",
    padding: "The same padding on both axes.",
    output_padding: "The same output padding on both axes.",
    dilation: "The same dilation on both axes.",
});

/// The output length `(n − 1)·s − 2p + d·(k − 1) + op + 1`, or `None` when it is below 1.
fn out_len_t(n: usize, k: usize, s: usize, p: usize, op: usize, d: usize) -> Option<usize> {
    let full = (n - 1) * s + d * (k - 1) + op + 1;
    full.checked_sub(2 * p).filter(|&l| l >= 1)
}

/// `x` with `s − 1` zeros between neighbours along `axis` (`n` elements become
/// `(n − 1)·s + 1`).
fn spread(x: &Tensor, axis: usize, s: usize) -> Result<Tensor> {
    let n = x.dims()[axis];
    if s == 1 || n == 0 {
        return Ok(x.clone());
    }
    let mut dims = x.dims().to_vec();
    let mut widths = vec![(0, 0); dims.len() + 1];
    dims.insert(axis + 1, 1);
    widths[axis + 1] = (0, s - 1);
    let mut merged = x.dims().to_vec();
    merged[axis] = n * s;
    x.try_reshape(&dims)?
        .try_pad(&widths, 0.0)?
        .try_reshape(&merged)?
        .try_slice_axis(axis as isize, 0, ((n - 1) * s + 1) as isize, 1)
}

/// `x` with `before` elements added (zeros) or removed (when negative) at the start of `axis`
/// and `after` at its end.
fn pad_or_crop(x: &Tensor, axis: usize, before: isize, after: isize) -> Result<Tensor> {
    let mut widths = vec![(0, 0); x.rank()];
    widths[axis] = (before.max(0) as usize, after.max(0) as usize);
    let x = x.try_pad(&widths, 0.0)?;
    let n = x.dims()[axis] as isize;
    let (lo, hi) = ((-before).max(0), n - (-after).max(0));
    if lo == 0 && hi == n {
        return Ok(x);
    }
    x.try_slice_axis(axis as isize, lo, hi, 1)
}

/// **Transposed convolution** (NCHW, the adjoint of `conv2d` in its input, as in PyTorch).
impl Tensor {
    /// 2-D transposed convolution of `self` (`[N, C, H, W]`) with `weight`
    /// (`[C, O/groups, kh, kw]`, PyTorch's layout for it) plus an optional `bias` (`[O]`),
    /// giving `[N, O, Ho, Wo]` with `Ho = (H − 1)·sh − 2·ph + dh·(kh − 1) + oh + 1` (likewise
    /// `Wo`). As `torch.nn.functional.conv_transpose2d`: for the same weight and options, it is
    /// the vector-Jacobian product of [`Tensor::conv2d`] with respect to the convolution's
    /// input. A composite of pad, reshape, flip and `conv2d`, so gradients of every order,
    /// `vmap` and `jit` work.
    ///
    /// ```
    /// use cotangent::{ConvTranspose2dOptions, DType, Tensor};
    /// // Each input pixel stamps the 2×2 kernel at twice its position.
    /// let x = Tensor::from_vec(vec![1.0, 2.0], &[1, 1, 1, 2]);
    /// let w = Tensor::ones(&[1, 1, 2, 2], DType::F64);
    /// let y = x.conv_transpose2d(&w, None, ConvTranspose2dOptions::default().stride(2));
    /// assert_eq!(y.dims(), &[1, 1, 2, 4]);
    /// assert_eq!(y.to_vec::<f64>(), vec![1.0, 1.0, 2.0, 2.0, 1.0, 1.0, 2.0, 2.0]);
    /// let bad = x.try_conv_transpose2d(&Tensor::ones(&[2, 1, 2, 2], DType::F64), None,
    ///     ConvTranspose2dOptions::default()).unwrap_err().to_string();
    /// assert!(bad.contains("conv_transpose2d") && bad.contains("[2, 1, 2, 2]"));
    /// ```
    #[track_caller]
    pub fn try_conv_transpose2d(
        &self,
        weight: &Tensor,
        bias: Option<&Tensor>,
        opts: ConvTranspose2dOptions,
    ) -> Result<Tensor> {
        let loc = Location::caller();
        let shapes = format!("input {} and weight {}", self.shape(), weight.shape());
        if self.rank() != 4 || weight.rank() != 4 {
            return Err(Error::shape(
                "conv_transpose2d",
                format!("{shapes}: expected input [N, C, H, W] and weight [C, O/groups, kh, kw]"),
            )
            .at(loc));
        }
        self.conv_transpose_impl(weight, bias, opts, "conv_transpose2d", &shapes)
            .map_err(|e| e.at(loc))
    }

    fn conv_transpose_impl(
        &self,
        weight: &Tensor,
        bias: Option<&Tensor>,
        opts: ConvTranspose2dOptions,
        op: &'static str,
        shapes: &str,
    ) -> Result<Tensor> {
        let err = |why: String| Error::shape(op, format!("{shapes}: {why}"));
        super::need_float(op, self)?;
        let ConvTranspose2dOptions {
            stride,
            padding,
            output_padding,
            dilation,
            groups,
        } = opts;
        if stride.0 == 0 || stride.1 == 0 || dilation.0 == 0 || dilation.1 == 0 || groups == 0 {
            return Err(err(format!(
                "stride {stride:?}, dilation {dilation:?} and groups {groups} must be at least 1"
            )));
        }
        if output_padding.0 >= stride.0.max(dilation.0)
            || output_padding.1 >= stride.1.max(dilation.1)
        {
            return Err(err(format!(
                "output padding {output_padding:?} must be smaller than the stride {stride:?} \
                 or the dilation {dilation:?}"
            )));
        }
        let d = self.dims();
        let (n, c, h, wd) = (d[0], d[1], d[2], d[3]);
        let wdims = weight.dims();
        let (cw, og, kh, kw) = (wdims[0], wdims[1], wdims[2], wdims[3]);
        if cw != c || c % groups != 0 {
            return Err(err(format!(
                "the weight's first axis ({cw}) must be the {c} input channels, split into \
                 {groups} groups"
            )));
        }
        if kh == 0 || kw == 0 || h == 0 || wd == 0 || n == 0 {
            return Err(err("the kernel or the input is empty".into()));
        }
        let (Some(ho), Some(wo)) = (
            out_len_t(h, kh, stride.0, padding.0, output_padding.0, dilation.0),
            out_len_t(wd, kw, stride.1, padding.1, output_padding.1, dilation.1),
        ) else {
            return Err(err(format!("padding {padding:?} removes the whole output")));
        };
        let o = og * groups;
        if let Some(b) = bias {
            if b.dims() != [o] {
                return Err(err(format!("bias {} should be [{o}]", b.shape())));
            }
        }
        // Spread by the stride, then pad (or crop) to the full convolution's extent.
        let mut x = spread(&spread(self, 2, stride.0)?, 3, stride.1)?;
        for (axis, k, p, op, dl) in [
            (2, kh, padding.0, output_padding.0, dilation.0),
            (3, kw, padding.1, output_padding.1, dilation.1),
        ] {
            let q = (dl * (k - 1)) as isize - p as isize;
            x = pad_or_crop(&x, axis, q, q + op as isize)?;
        }
        // [C, O/g, kh, kw] → [g, C/g, O/g, kh, kw] → [g, O/g, C/g, kh, kw] → [O, C/g, kh, kw],
        // flipped in space.
        let cg = c / groups;
        let wt = weight
            .try_reshape(&[groups, cg, og, kh, kw])?
            .try_permute(&[0, 2, 1, 3, 4])?
            .try_reshape(&[o, cg, kh, kw])?
            .try_flip(&[2, 3])?;
        let conv = crate::Conv2dOptions {
            stride: (1, 1),
            padding: (0, 0),
            dilation,
            groups,
        };
        let y = x.try_conv2d(&wt, bias, conv)?;
        debug_assert_eq!(y.dims(), [n, o, ho, wo]);
        Ok(y)
    }

    panicking!(
        /// 2-D transposed convolution; see [`Tensor::try_conv_transpose2d`].
        conv_transpose2d(weight: &Tensor, bias: Option<&Tensor>, opts: ConvTranspose2dOptions)
            => try_conv_transpose2d
    );

    /// 1-D transposed convolution of `self` (`[N, C, L]`) with `weight` (`[C, O/groups, k]`)
    /// and an optional `bias` (`[O]`), giving `[N, O, Lo]` with
    /// `Lo = (L − 1)·s − 2·p + d·(k − 1) + op + 1`; the options are the width entries of `opts`
    /// (its height entries are ignored). As `torch.nn.functional.conv_transpose1d`.
    ///
    /// ```
    /// use cotangent::{ConvTranspose2dOptions, Tensor};
    /// let x = Tensor::from_vec(vec![1.0, 2.0], &[1, 1, 2]);
    /// let w = Tensor::from_vec(vec![1.0, 1.0, 1.0], &[1, 1, 3]);
    /// let y = x.conv_transpose1d(&w, None, ConvTranspose2dOptions::default().stride(2));
    /// assert_eq!(y.to_vec::<f64>(), vec![1.0, 1.0, 3.0, 2.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn try_conv_transpose1d(
        &self,
        weight: &Tensor,
        bias: Option<&Tensor>,
        opts: ConvTranspose2dOptions,
    ) -> Result<Tensor> {
        let loc = Location::caller();
        let shapes = format!("input {} and weight {}", self.shape(), weight.shape());
        if self.rank() != 3 || weight.rank() != 3 {
            return Err(Error::shape(
                "conv_transpose1d",
                format!("{shapes}: expected input [N, C, L] and weight [C, O/groups, k]"),
            )
            .at(loc));
        }
        let o2 = ConvTranspose2dOptions {
            stride: (1, opts.stride.1),
            padding: (0, opts.padding.1),
            output_padding: (0, opts.output_padding.1),
            dilation: (1, opts.dilation.1),
            groups: opts.groups,
        };
        let run = || {
            self.try_unsqueeze(2)?
                .conv_transpose_impl(
                    &weight.try_unsqueeze(2)?,
                    bias,
                    o2,
                    "conv_transpose1d",
                    &shapes,
                )?
                .try_squeeze(2)
        };
        run().map_err(|e| e.at(loc))
    }

    panicking!(
        /// 1-D transposed convolution; see [`Tensor::try_conv_transpose1d`].
        conv_transpose1d(weight: &Tensor, bias: Option<&Tensor>, opts: ConvTranspose2dOptions)
            => try_conv_transpose1d
    );
}
