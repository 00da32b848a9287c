//! [`DigitsCnn`]: a small convolutional classifier for the 8×8 digits (two 3×3 convolutions,
//! a 2×2 max pool, a linear head), and the [`Classify`] trait the training loop and
//! [`super::accuracy`] use for it and for the MLP.

use cotangent::{Conv2dOptions, Tensor};

use crate::init::Init;
use crate::layers::{Conv2d, Linear, MaxPool2d, Mlp};
use crate::module::Module;

/// A model that maps flattened 8×8 images `[N, 64]` to logits `[N, 10]`.
pub trait Classify: Module + Clone {
    /// The logits of `images` (`[N, 64]`, pixels in [0, 1]).
    fn logits(&self, images: &Tensor) -> Tensor;
}

impl Classify for Mlp {
    fn logits(&self, images: &Tensor) -> Tensor {
        self.forward(images)
    }
}

/// `[N, 64] → [N, 1, 8, 8]` → conv 3×3 (16, ReLU) → conv 3×3 (32, ReLU) → max pool 2×2 →
/// `[N, 512]` → linear → `[N, 10]`. About 9,900 parameters (the default MLP has 9,610).
///
/// ```
/// use cotangent::{DType, Tensor};
/// use cotangent_nn::demos::digits::{Classify, DigitsCnn};
/// use cotangent_nn::{Init, Module};
/// let cnn = DigitsCnn::new(&mut Init::new(0, DType::F32));
/// assert_eq!(cnn.logits(&Tensor::zeros(&[3, 64], DType::F32)).dims(), &[3, 10]);
/// assert_eq!(cnn.num_params(), 160 + 4640 + 5130);
/// ```
#[derive(Clone, Debug, Module)]
pub struct DigitsCnn {
    /// 1 → 16 channels, 3×3, padding 1.
    pub conv1: Conv2d,
    /// 16 → 32 channels, 3×3, padding 1.
    pub conv2: Conv2d,
    /// 2×2, stride 2: 8×8 → 4×4.
    pub pool: MaxPool2d,
    /// 32·4·4 → 10.
    pub head: Linear,
}

impl DigitsCnn {
    /// Kaiming-uniform convolutions and a default-initialized head, drawn from `init`.
    pub fn new(init: &mut Init) -> DigitsCnn {
        let same = Conv2dOptions::default().padding(1);
        DigitsCnn {
            conv1: Conv2d::new(1, 16, (3, 3), same, init),
            conv2: Conv2d::new(16, 32, (3, 3), same, init),
            pool: MaxPool2d::new((2, 2)),
            head: Linear::new(32 * 4 * 4, 10, init),
        }
    }
}

impl Classify for DigitsCnn {
    fn logits(&self, images: &Tensor) -> Tensor {
        let n = images.dims()[0];
        let x = images.reshape(&[n, 1, 8, 8]);
        let x = self.conv1.forward(&x).relu();
        let x = self.conv2.forward(&x).relu();
        let x = self.pool.forward(&x).reshape(&[n, 32 * 4 * 4]);
        self.head.forward(&x)
    }
}
