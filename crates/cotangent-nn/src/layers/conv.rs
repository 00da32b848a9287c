//! [`Conv2d`], [`ConvTranspose2d`] and [`MaxPool2d`]: NCHW convolution, transposed
//! convolution and max pooling layers over [`Tensor::conv2d`], [`Tensor::conv_transpose2d`] and
//! [`Tensor::max_pool2d`].

use cotangent::{Conv2dOptions, ConvTranspose2dOptions, Tensor};

use crate::init::{Init, WeightInit};
use crate::module::Module;

/// A 2-D convolution `[N, C, H, W] → [N, O, Ho, Wo]` with weight `[O, C/groups, kh, kw]` and an
/// optional bias `[O]`, as `torch.nn.Conv2d`.
///
/// ```
/// use cotangent::{Conv2dOptions, DType, Tensor};
/// use cotangent_nn::{Conv2d, Init};
/// let conv = Conv2d::new(3, 8, (3, 3), Conv2dOptions::default().padding(1), &mut Init::new(0, DType::F32));
/// let y = conv.forward(&Tensor::zeros(&[2, 3, 5, 5], DType::F32));
/// assert_eq!(y.dims(), &[2, 8, 5, 5]);
/// ```
#[derive(Clone, Debug, Module)]
pub struct Conv2d {
    /// `[O, C/groups, kh, kw]`.
    pub weight: Tensor,
    /// `[O]`, if the layer has a bias.
    pub bias: Option<Tensor>,
    /// `(sh, sw)`.
    pub stride: (usize, usize),
    /// `(ph, pw)` zeros on both sides.
    pub padding: (usize, usize),
    /// `(dh, dw)`.
    pub dilation: (usize, usize),
    /// Channel groups.
    pub groups: usize,
}

impl Conv2d {
    /// A Kaiming-uniform weight (fan-in `C/groups · kh · kw`, ReLU gain) and a zero bias.
    ///
    /// ```
    /// use cotangent::{Conv2dOptions, DType};
    /// use cotangent_nn::{Conv2d, Init};
    /// let c = Conv2d::new(4, 6, (3, 2), Conv2dOptions::default().groups(2), &mut Init::new(0, DType::F64));
    /// assert_eq!(c.weight.dims(), &[6, 2, 3, 2]);
    /// assert_eq!(c.bias.unwrap().to_vec::<f64>(), vec![0.0; 6]);
    /// ```
    #[track_caller]
    pub fn new(
        in_channels: usize,
        out_channels: usize,
        kernel: (usize, usize),
        opts: Conv2dOptions,
        init: &mut Init,
    ) -> Conv2d {
        Self::with_init(
            in_channels,
            out_channels,
            kernel,
            opts,
            WeightInit::KaimingUniform,
            true,
            init,
        )
    }

    /// A weight drawn by `how` (fans as for a `[C/groups · kh · kw, O]` matrix), and a zero
    /// bias if `bias` is set.
    ///
    /// ```
    /// use cotangent::{Conv2dOptions, DType};
    /// use cotangent_nn::{init::WeightInit, Conv2d, Init};
    /// let c = Conv2d::with_init(1, 2, (2, 2), Conv2dOptions::default(), WeightInit::KaimingNormal,
    ///     false, &mut Init::new(0, DType::F32));
    /// assert!(c.bias.is_none());
    /// ```
    #[track_caller]
    pub fn with_init(
        in_channels: usize,
        out_channels: usize,
        kernel: (usize, usize),
        opts: Conv2dOptions,
        how: WeightInit,
        bias: bool,
        init: &mut Init,
    ) -> Conv2d {
        let g = opts.groups;
        assert!(
            g > 0 && in_channels % g == 0 && out_channels % g == 0,
            "Conv2d: {in_channels} input and {out_channels} output channels do not split into \
             {g} groups"
        );
        let cg = in_channels / g;
        let weight = init
            .make(how, &[cg * kernel.0 * kernel.1, out_channels])
            .t()
            .reshape(&[out_channels, cg, kernel.0, kernel.1]);
        Conv2d {
            weight,
            bias: bias.then(|| init.zeros(&[out_channels])),
            stride: opts.stride,
            padding: opts.padding,
            dilation: opts.dilation,
            groups: g,
        }
    }

    /// A layer with the given weight `[O, C/groups, kh, kw]`, optional bias `[O]` and options.
    ///
    /// ```
    /// use cotangent::{Conv2dOptions, Tensor};
    /// use cotangent_nn::Conv2d;
    /// let c = Conv2d::from_tensors(Tensor::ones(&[1, 1, 2, 2], cotangent::DType::F64), None,
    ///     Conv2dOptions::default());
    /// let x = Tensor::ones(&[1, 1, 3, 3], cotangent::DType::F64);
    /// assert_eq!(c.forward(&x).to_vec::<f64>(), vec![4.0; 4]);
    /// ```
    #[track_caller]
    pub fn from_tensors(weight: Tensor, bias: Option<Tensor>, opts: Conv2dOptions) -> Conv2d {
        assert_eq!(
            weight.rank(),
            4,
            "Conv2d: the weight must be [O, C/groups, kh, kw]"
        );
        if let Some(b) = &bias {
            assert_eq!(
                b.dims(),
                &[weight.dims()[0]],
                "Conv2d: the bias must be [O]"
            );
        }
        Conv2d {
            weight,
            bias,
            stride: opts.stride,
            padding: opts.padding,
            dilation: opts.dilation,
            groups: opts.groups,
        }
    }

    /// The layer's stride, padding, dilation and groups.
    ///
    /// ```
    /// use cotangent::{Conv2dOptions, DType};
    /// use cotangent_nn::{Conv2d, Init};
    /// let o = Conv2dOptions::default().stride(2);
    /// assert_eq!(Conv2d::new(1, 1, (3, 3), o, &mut Init::new(0, DType::F32)).options(), o);
    /// ```
    pub fn options(&self) -> Conv2dOptions {
        Conv2dOptions {
            stride: self.stride,
            padding: self.padding,
            dilation: self.dilation,
            groups: self.groups,
        }
    }

    /// The convolution of `x: [N, C, H, W]`; see [`Tensor::conv2d`].
    ///
    /// ```
    /// use cotangent::{Conv2dOptions, DType, Tensor};
    /// use cotangent_nn::{Conv2d, Init};
    /// let c = Conv2d::new(1, 2, (2, 2), Conv2dOptions::default().stride(2), &mut Init::new(0, DType::F64));
    /// assert_eq!(c.forward(&Tensor::zeros(&[1, 1, 4, 4], DType::F64)).dims(), &[1, 2, 2, 2]);
    /// ```
    #[track_caller]
    pub fn forward(&self, x: &Tensor) -> Tensor {
        x.conv2d(&self.weight, self.bias.as_ref(), self.options())
    }
}

/// 2-D max pooling `[N, C, H, W] → [N, C, Ho, Wo]`, as `torch.nn.MaxPool2d`; no parameters.
///
/// ```
/// use cotangent::{DType, Tensor};
/// use cotangent_nn::MaxPool2d;
/// let pool = MaxPool2d::new((2, 2));
/// let x = Tensor::arange(0.0, 16.0, 1.0, DType::F64).reshape(&[1, 1, 4, 4]);
/// assert_eq!(pool.forward(&x).to_vec::<f64>(), vec![5.0, 7.0, 13.0, 15.0]);
/// ```
#[derive(Clone, Debug, Module)]
pub struct MaxPool2d {
    /// `(kh, kw)`.
    pub kernel: (usize, usize),
    /// `(sh, sw)`.
    pub stride: (usize, usize),
    /// `(ph, pw)`, treated as `-inf`; at most half the kernel.
    pub padding: (usize, usize),
}

impl MaxPool2d {
    /// Non-overlapping windows: stride equal to the kernel, no padding (PyTorch's default).
    ///
    /// ```
    /// let p = cotangent_nn::MaxPool2d::new((3, 2));
    /// assert_eq!((p.stride, p.padding), ((3, 2), (0, 0)));
    /// ```
    pub fn new(kernel: (usize, usize)) -> MaxPool2d {
        MaxPool2d {
            kernel,
            stride: kernel,
            padding: (0, 0),
        }
    }

    /// The pooling of `x: [N, C, H, W]`; see [`Tensor::max_pool2d`].
    ///
    /// ```
    /// use cotangent::{DType, Tensor};
    /// let p = cotangent_nn::MaxPool2d { kernel: (3, 3), stride: (1, 1), padding: (1, 1) };
    /// assert_eq!(p.forward(&Tensor::zeros(&[1, 2, 4, 4], DType::F64)).dims(), &[1, 2, 4, 4]);
    /// ```
    #[track_caller]
    pub fn forward(&self, x: &Tensor) -> Tensor {
        x.max_pool2d(self.kernel, self.stride, self.padding)
    }
}

/// A 2-D transposed convolution `[N, C, H, W] → [N, O, Ho, Wo]` with weight
/// `[C, O/groups, kh, kw]` and an optional bias `[O]`, as `torch.nn.ConvTranspose2d` (an
/// upsampling layer: with stride 2 and output padding 1 it doubles `H` and `W`).
///
/// ```
/// use cotangent::{ConvTranspose2dOptions, DType, Tensor};
/// use cotangent_nn::{ConvTranspose2d, Init};
/// let o = ConvTranspose2dOptions::default().stride(2).padding(1).output_padding(1);
/// let up = ConvTranspose2d::new(4, 2, (3, 3), o, &mut Init::new(0, DType::F32));
/// assert_eq!(up.weight.dims(), &[4, 2, 3, 3]);
/// assert_eq!(up.forward(&Tensor::zeros(&[1, 4, 5, 5], DType::F32)).dims(), &[1, 2, 10, 10]);
/// ```
#[derive(Clone, Debug, Module)]
pub struct ConvTranspose2d {
    /// `[C, O/groups, kh, kw]`.
    pub weight: Tensor,
    /// `[O]`, if the layer has a bias.
    pub bias: Option<Tensor>,
    /// `(sh, sw)`.
    pub stride: (usize, usize),
    /// `(ph, pw)` removed at both ends of the output.
    pub padding: (usize, usize),
    /// `(oh, ow)` added at the end of the output.
    pub output_padding: (usize, usize),
    /// `(dh, dw)`.
    pub dilation: (usize, usize),
    /// Channel groups.
    pub groups: usize,
}

impl ConvTranspose2d {
    /// A Kaiming-uniform weight (fan-in `O/groups · kh · kw`, as PyTorch computes it for this
    /// layer) and a zero bias. See the type's example.
    #[track_caller]
    pub fn new(
        in_channels: usize,
        out_channels: usize,
        kernel: (usize, usize),
        opts: ConvTranspose2dOptions,
        init: &mut Init,
    ) -> ConvTranspose2d {
        let g = opts.groups;
        assert!(
            g > 0 && in_channels % g == 0 && out_channels % g == 0,
            "ConvTranspose2d: {in_channels} input and {out_channels} output channels do not \
             split into {g} groups"
        );
        let og = out_channels / g;
        let weight = init
            .make(
                WeightInit::KaimingUniform,
                &[og * kernel.0 * kernel.1, in_channels],
            )
            .t()
            .reshape(&[in_channels, og, kernel.0, kernel.1]);
        ConvTranspose2d {
            weight,
            bias: Some(init.zeros(&[out_channels])),
            stride: opts.stride,
            padding: opts.padding,
            output_padding: opts.output_padding,
            dilation: opts.dilation,
            groups: g,
        }
    }

    /// The layer's options.
    ///
    /// ```
    /// use cotangent::{ConvTranspose2dOptions, DType};
    /// use cotangent_nn::{ConvTranspose2d, Init};
    /// let o = ConvTranspose2dOptions::default().stride(2);
    /// assert_eq!(ConvTranspose2d::new(1, 1, (2, 2), o, &mut Init::new(0, DType::F32)).options(), o);
    /// ```
    pub fn options(&self) -> ConvTranspose2dOptions {
        ConvTranspose2dOptions {
            stride: self.stride,
            padding: self.padding,
            output_padding: self.output_padding,
            dilation: self.dilation,
            groups: self.groups,
        }
    }

    /// The transposed convolution of `x: [N, C, H, W]`; see [`Tensor::conv_transpose2d`].
    #[track_caller]
    pub fn forward(&self, x: &Tensor) -> Tensor {
        x.conv_transpose2d(&self.weight, self.bias.as_ref(), self.options())
    }
}
