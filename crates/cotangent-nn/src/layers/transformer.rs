//! [`TransformerBlock`]: the pre-norm residual block of GPT-2 and most modern decoders,
//! `x + attn(ln₁(x))` then `+ mlp(ln₂(x))`.

use cotangent::Tensor;

use crate::init::Init;
use crate::layers::{Activation, Dropout, LayerNorm, Mlp, MultiHeadAttention};
use crate::module::Module;

/// `h = x + drop(attn(ln1(x)))`, `y = h + drop(mlp(ln2(h)))` on `[batch, time, dim]`, with a
/// GELU MLP of hidden width `mlp_ratio · dim`.
///
/// ```
/// use cotangent::{DType, Tensor};
/// use cotangent_nn::{Init, Module, TransformerBlock};
/// let block = TransformerBlock::new(16, 4, 4, true, 0.0, &mut Init::new(0, DType::F32));
/// let y = block.forward(&Tensor::randn(&[2, 6, 16], 0, DType::F32));
/// assert_eq!(y.dims(), &[2, 6, 16]);
/// assert_eq!(block.params()[0].0, "ln1.gamma");
/// ```
#[derive(Clone, Debug, Module)]
pub struct TransformerBlock {
    /// Norm before attention.
    pub ln1: LayerNorm,
    /// Self-attention.
    pub attn: MultiHeadAttention,
    /// Norm before the MLP.
    pub ln2: LayerNorm,
    /// `dim → mlp_ratio·dim → dim` with GELU.
    pub mlp: Mlp,
    /// On both residual branches (probability 0 disables it).
    pub dropout: Dropout,
}

impl TransformerBlock {
    /// A block of width `dim` with `heads` heads, an MLP `mlp_ratio` times wider, causal or
    /// not, and residual dropout `p_drop` (seeded from `init`).
    ///
    /// ```
    /// use cotangent::DType;
    /// use cotangent_nn::{Init, Module, TransformerBlock};
    /// let block = TransformerBlock::new(8, 2, 4, true, 0.1, &mut Init::new(0, DType::F32));
    /// assert_eq!(block.num_params(), 2 * 16 + (8 * 24 + 24 + 64 + 8) + (8 * 32 + 32 + 32 * 8 + 8));
    /// ```
    pub fn new(
        dim: usize,
        heads: usize,
        mlp_ratio: usize,
        causal: bool,
        p_drop: f64,
        init: &mut Init,
    ) -> TransformerBlock {
        TransformerBlock {
            ln1: LayerNorm::new(dim, init),
            attn: MultiHeadAttention::new(dim, heads, causal, init),
            ln2: LayerNorm::new(dim, init),
            mlp: Mlp::new(&[dim, mlp_ratio * dim, dim], Activation::Gelu, init),
            dropout: Dropout::new(p_drop, init.next_seed()),
        }
    }

    /// Apply the block to `x: [batch, time, dim]`.
    ///
    /// ```
    /// use cotangent::{DType, Tensor};
    /// use cotangent_nn::{Init, TransformerBlock};
    /// let block = TransformerBlock::new(4, 1, 2, false, 0.0, &mut Init::new(0, DType::F64));
    /// let x = Tensor::randn(&[1, 3, 4], 0, DType::F64);
    /// assert_eq!(block.forward(&x).dims(), x.dims());
    /// ```
    #[track_caller]
    pub fn forward(&self, x: &Tensor) -> Tensor {
        let h = x + self
            .dropout
            .forward(&self.attn.forward(&self.ln1.forward(x)));
        let m = self
            .dropout
            .forward(&self.mlp.forward(&self.ln2.forward(&h)));
        h + m
    }
}
