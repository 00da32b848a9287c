//! [`MultiHeadAttention`]: scaled dot-product self-attention over `[batch, time, dim]`, with
//! the query/key/value projections fused into one matrix and an optional causal mask.

use cotangent::{DType, Tensor};

use crate::init::Init;
use crate::layers::Linear;
use crate::module::Module;

/// Additive causal mask `[t, t]`: 0 where key `j ≤` query `i`, `-1e9` above the diagonal (a
/// large finite number rather than `-inf`, so no rule can meet `0 · ∞`).
///
/// ```
/// use cotangent::DType;
/// let m = cotangent_nn::layers::causal_bias(2, DType::F64);
/// assert_eq!(m.to_vec::<f64>(), vec![0.0, -1e9, 0.0, 0.0]);
/// ```
pub fn causal_bias(t: usize, dtype: DType) -> Tensor {
    let data: Vec<f64> = (0..t * t)
        .map(|k| if k % t > k / t { -1e9 } else { 0.0 })
        .collect();
    Tensor::from_vec(data, &[t, t]).cast(dtype)
}

/// Multi-head self-attention, batch first.
///
/// `qkv = x @ Wqkv + bqkv` (`Wqkv: [dim, 3·dim]`, columns `[q | k | v]`); each of q, k, v is
/// split into `heads` heads of `dim / heads` features; per head
/// `softmax(q kᵀ / √(dim/heads) + mask) v`; the heads are concatenated and projected by `out`.
/// This is `torch.nn.MultiheadAttention(batch_first=True)` with
/// `in_proj_weight = Wqkvᵀ` and `out_proj.weight = Woutᵀ`.
///
/// ```
/// use cotangent::{DType, Tensor};
/// use cotangent_nn::{Init, MultiHeadAttention};
/// let attn = MultiHeadAttention::new(16, 4, true, &mut Init::new(0, DType::F32));
/// let y = attn.forward(&Tensor::randn(&[2, 5, 16], 0, DType::F32));
/// assert_eq!(y.dims(), &[2, 5, 16]);
/// ```
#[derive(Clone, Debug, Module)]
pub struct MultiHeadAttention {
    /// The fused input projection `[dim, 3·dim]`.
    pub qkv: Linear,
    /// The output projection `[dim, dim]`.
    pub out: Linear,
    /// Number of heads (divides `dim`).
    pub heads: usize,
    /// Whether position `i` may attend only to positions `≤ i`.
    pub causal: bool,
}

impl MultiHeadAttention {
    /// Xavier-uniform projections with zero biases.
    ///
    /// ```
    /// use cotangent::DType;
    /// use cotangent_nn::{Init, Module, MultiHeadAttention};
    /// let attn = MultiHeadAttention::new(8, 2, false, &mut Init::new(0, DType::F32));
    /// assert_eq!(attn.num_params(), 8 * 24 + 24 + 8 * 8 + 8);
    /// ```
    #[track_caller]
    pub fn new(dim: usize, heads: usize, causal: bool, init: &mut Init) -> MultiHeadAttention {
        assert!(
            heads > 0 && dim % heads == 0,
            "MultiHeadAttention: {heads} heads do not divide dim {dim}"
        );
        MultiHeadAttention {
            qkv: Linear::new(dim, 3 * dim, init),
            out: Linear::new(dim, dim, init),
            heads,
            causal,
        }
    }

    /// The model width.
    ///
    /// ```
    /// use cotangent::DType;
    /// use cotangent_nn::{Init, MultiHeadAttention};
    /// assert_eq!(MultiHeadAttention::new(8, 2, false, &mut Init::new(0, DType::F32)).dim(), 8);
    /// ```
    pub fn dim(&self) -> usize {
        self.out.out_dim()
    }

    /// Attention of `x: [batch, time, dim]` over itself: `[batch, time, dim]`.
    ///
    /// ```
    /// use cotangent::{DType, Tensor};
    /// use cotangent_nn::{Init, MultiHeadAttention};
    /// // With a causal mask, the first output position sees only the first input position.
    /// let attn = MultiHeadAttention::new(4, 2, true, &mut Init::new(1, DType::F64));
    /// let x = Tensor::randn(&[1, 3, 4], 2, DType::F64);
    /// let y0 = attn.forward(&x).narrow(1, 0, 1);
    /// let y0_alone = attn.forward(&x.narrow(1, 0, 1));
    /// assert!((y0 - y0_alone).abs().max().item::<f64>() < 1e-12);
    /// ```
    #[track_caller]
    pub fn forward(&self, x: &Tensor) -> Tensor {
        assert_eq!(
            x.rank(),
            3,
            "MultiHeadAttention: x must be [batch, time, dim]"
        );
        let (b, t, d) = (x.dims()[0], x.dims()[1], x.dims()[2]);
        let (h, dh) = (self.heads, d / self.heads);
        // [B, T, 3D] -> [B, T, 3, H, Dh] -> [3, B, H, T, Dh]
        let qkv = self
            .qkv
            .forward(x)
            .reshape(&[b, t, 3, h, dh])
            .permute(&[2, 0, 3, 1, 4]);
        let head = |i: usize| qkv.narrow(0, i, 1).squeeze(0);
        let (q, k, v) = (head(0), head(1), head(2));
        let mut scores = q.matmul(&k.transpose(-1, -2)) * (1.0 / (dh as f64).sqrt());
        if self.causal {
            scores += causal_bias(t, x.dtype());
        }
        let weights = scores.softmax(-1);
        let ctx = weights.matmul(&v).transpose(1, 2).reshape(&[b, t, d]);
        self.out.forward(&ctx)
    }
}
