//! [`AdditionModel`]: token and learned position embeddings, pre-norm causal transformer
//! blocks, a final layer norm and a linear head over the vocabulary (a GPT in miniature).

use cotangent::Tensor;

use super::data::{SEQ_LEN, VOCAB};
use crate::init::{Init, WeightInit};
use crate::layers::{Embedding, LayerNorm, Linear, TransformerBlock};
use crate::module::Module;

/// A decoder-only transformer over the addition vocabulary.
///
/// ```
/// use cotangent::{DType, Tensor};
/// use cotangent_nn::demos::addition::AdditionModel;
/// use cotangent_nn::Init;
/// let m = AdditionModel::new(32, 4, 2, &mut Init::new(0, DType::F32));
/// let logits = m.forward(&Tensor::zeros(&[3, 5], DType::I64));
/// assert_eq!(logits.dims(), &[3, 5, 12]);
/// ```
#[derive(Clone, Debug, Module)]
pub struct AdditionModel {
    /// Token embeddings `[VOCAB, dim]`.
    pub tok: Embedding,
    /// Learned position embeddings `[SEQ_LEN, dim]`.
    pub pos: Embedding,
    /// Causal pre-norm blocks.
    pub blocks: Vec<TransformerBlock>,
    /// The final norm.
    pub ln_f: LayerNorm,
    /// `[dim, VOCAB]` logits.
    pub head: Linear,
}

impl AdditionModel {
    /// `layers` causal blocks of width `dim` with `heads` heads and a 4× GELU MLP, embeddings
    /// drawn from `N(0, 0.02²)` as in GPT-2, no dropout.
    ///
    /// ```
    /// use cotangent::DType;
    /// use cotangent_nn::demos::addition::AdditionModel;
    /// use cotangent_nn::{Init, Module};
    /// let m = AdditionModel::new(64, 4, 2, &mut Init::new(0, DType::F32));
    /// assert_eq!(m.params()[0].0, "tok.weight");
    /// ```
    pub fn new(dim: usize, heads: usize, layers: usize, init: &mut Init) -> AdditionModel {
        AdditionModel {
            tok: Embedding::with_init(VOCAB, dim, WeightInit::Normal(0.02), init),
            pos: Embedding::with_init(SEQ_LEN, dim, WeightInit::Normal(0.02), init),
            blocks: (0..layers)
                .map(|_| TransformerBlock::new(dim, heads, 4, true, 0.0, init))
                .collect(),
            ln_f: LayerNorm::new(dim, init),
            head: Linear::new(dim, VOCAB, init),
        }
    }

    /// Next-token logits `[batch, time, VOCAB]` for i64 tokens `[batch, time]`,
    /// `time ≤ SEQ_LEN`.
    ///
    /// ```
    /// use cotangent::{DType, Tensor};
    /// use cotangent_nn::demos::addition::AdditionModel;
    /// use cotangent_nn::Init;
    /// let m = AdditionModel::new(16, 2, 1, &mut Init::new(0, DType::F32));
    /// assert_eq!(m.forward(&Tensor::zeros(&[1, 8], DType::I64)).dims(), &[1, 8, 12]);
    /// ```
    #[track_caller]
    pub fn forward(&self, tokens: &Tensor) -> Tensor {
        let t = tokens.dims()[1];
        assert!(t <= SEQ_LEN, "AdditionModel: {t} tokens, at most {SEQ_LEN}");
        let positions = Tensor::arange(0.0, t as f64, 1.0, cotangent::DType::I64);
        let mut h = self.tok.forward(tokens) + self.pos.forward(&positions);
        for block in &self.blocks {
            h = block.forward(&h);
        }
        self.head.forward(&self.ln_f.forward(&h))
    }
}
