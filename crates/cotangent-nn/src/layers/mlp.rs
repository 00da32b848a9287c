//! [`Mlp`]: a stack of [`Linear`] layers with an activation (and optional dropout) between
//! them — the digits classifier, and the feed-forward half of a transformer block.

use cotangent::Tensor;

use crate::init::Init;
use crate::layers::{Activation, Dropout, Linear};
use crate::module::Module;

/// `Linear → act → [dropout] → Linear → … → Linear`: no activation after the last layer.
///
/// ```
/// use cotangent::{DType, Tensor};
/// use cotangent_nn::{Activation, Init, Mlp, Module};
/// let mlp = Mlp::new(&[64, 32, 10], Activation::Relu, &mut Init::new(0, DType::F32));
/// assert_eq!(mlp.forward(&Tensor::zeros(&[5, 64], DType::F32)).dims(), &[5, 10]);
/// assert_eq!(mlp.params()[2].0, "layers.1.weight");
/// ```
#[derive(Clone, Debug, Module)]
pub struct Mlp {
    /// The dense layers, in order.
    pub layers: Vec<Linear>,
    /// Applied after every layer but the last.
    pub activation: Activation,
    /// Applied after every activation, if set.
    pub dropout: Option<Dropout>,
}

impl Mlp {
    /// Layers of widths `sizes[0] → sizes[1] → … → sizes[n]` (at least two sizes). Hidden
    /// layers use Kaiming-uniform weights for ReLU and Xavier-uniform otherwise; the last layer
    /// Xavier-uniform.
    ///
    /// ```
    /// use cotangent::DType;
    /// use cotangent_nn::{Activation, Init, Mlp};
    /// let mlp = Mlp::new(&[3, 8, 8, 2], Activation::Gelu, &mut Init::new(0, DType::F32));
    /// assert_eq!(mlp.layers.len(), 3);
    /// ```
    #[track_caller]
    pub fn new(sizes: &[usize], activation: Activation, init: &mut Init) -> Mlp {
        use crate::init::WeightInit;
        assert!(
            sizes.len() >= 2,
            "Mlp: give at least input and output sizes"
        );
        let n = sizes.len() - 1;
        let layers = (0..n)
            .map(|i| {
                let how = if i + 1 < n && activation == Activation::Relu {
                    WeightInit::KaimingUniform
                } else {
                    WeightInit::XavierUniform
                };
                Linear::with_init(sizes[i], sizes[i + 1], how, true, init)
            })
            .collect();
        Mlp {
            layers,
            activation,
            dropout: None,
        }
    }

    /// The same stack with dropout of probability `p` (masks seeded by `seed`) after each
    /// hidden activation.
    ///
    /// ```
    /// use cotangent::DType;
    /// use cotangent_nn::{Activation, Init, Mlp};
    /// let mlp = Mlp::new(&[3, 8, 2], Activation::Relu, &mut Init::new(0, DType::F32)).with_dropout(0.1, 7);
    /// assert!(mlp.dropout.is_some());
    /// ```
    pub fn with_dropout(mut self, p: f64, seed: u64) -> Mlp {
        self.dropout = Some(Dropout::new(p, seed));
        self
    }

    /// Run the stack on `x: [..., sizes[0]]`.
    ///
    /// ```
    /// use cotangent::{DType, Tensor};
    /// use cotangent_nn::{Activation, Init, Mlp};
    /// let mlp = Mlp::new(&[4, 4, 1], Activation::Tanh, &mut Init::new(0, DType::F64));
    /// assert_eq!(mlp.forward(&Tensor::zeros(&[2, 3, 4], DType::F64)).dims(), &[2, 3, 1]);
    /// ```
    #[track_caller]
    pub fn forward(&self, x: &Tensor) -> Tensor {
        let last = self.layers.len() - 1;
        let mut h = x.clone();
        for (i, layer) in self.layers.iter().enumerate() {
            h = layer.forward(&h);
            if i < last {
                h = self.activation.apply(&h);
                if let Some(d) = &self.dropout {
                    h = d.forward(&h);
                }
            }
        }
        h
    }
}
