//! [`Embedding`]: a lookup table of vectors indexed by integer ids (`index_select` on its rows,
//! so the gradient scatter-adds into the rows that were used).

use cotangent::{DType, Tensor};

use crate::init::{Init, WeightInit};
use crate::module::Module;

/// A table `weight: [vocab, dim]`; `forward(ids)` maps i64 ids of any shape `[...]` to
/// `[..., dim]`.
///
/// ```
/// use cotangent::{DType, Tensor};
/// use cotangent_nn::{Embedding, Init};
/// let emb = Embedding::new(10, 4, &mut Init::new(0, DType::F32));
/// let ids = Tensor::from_vec(vec![1i64, 2, 3, 1, 2, 3], &[2, 3]);
/// assert_eq!(emb.forward(&ids).dims(), &[2, 3, 4]);
/// ```
#[derive(Clone, Debug, Module)]
pub struct Embedding {
    /// `[vocab, dim]`.
    pub weight: Tensor,
}

impl Embedding {
    /// A table drawn from `N(0, 1)` (PyTorch's default).
    ///
    /// ```
    /// use cotangent::DType;
    /// let emb = cotangent_nn::Embedding::new(10, 4, &mut cotangent_nn::Init::new(0, DType::F32));
    /// assert_eq!(emb.weight.dims(), &[10, 4]);
    /// ```
    pub fn new(vocab: usize, dim: usize, init: &mut Init) -> Embedding {
        Self::with_init(vocab, dim, WeightInit::Normal(1.0), init)
    }

    /// A table drawn by `how` (GPT-2 uses `WeightInit::Normal(0.02)`).
    ///
    /// ```
    /// use cotangent::DType;
    /// use cotangent_nn::{init::WeightInit, Embedding, Init};
    /// let emb = Embedding::with_init(10, 4, WeightInit::Normal(0.02), &mut Init::new(0, DType::F32));
    /// assert!(emb.weight.abs().max().item::<f32>() < 0.2);
    /// ```
    pub fn with_init(vocab: usize, dim: usize, how: WeightInit, init: &mut Init) -> Embedding {
        Embedding {
            weight: init.make(how, &[vocab, dim]),
        }
    }

    /// A layer with the given table `[vocab, dim]`.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let emb = cotangent_nn::Embedding::from_weight(Tensor::from_vec(vec![0.0, 1.0, 2.0], &[3, 1]));
    /// let y = emb.forward(&Tensor::from_vec(vec![2i64, 0], &[2]));
    /// assert_eq!(y.to_vec::<f64>(), vec![2.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn from_weight(weight: Tensor) -> Embedding {
        assert_eq!(
            weight.rank(),
            2,
            "Embedding: the table must be [vocab, dim]"
        );
        Embedding { weight }
    }

    /// Number of rows.
    ///
    /// ```
    /// use cotangent::DType;
    /// assert_eq!(cotangent_nn::Embedding::new(7, 2, &mut cotangent_nn::Init::new(0, DType::F32)).vocab(), 7);
    /// ```
    pub fn vocab(&self) -> usize {
        self.weight.dims()[0]
    }

    /// Width of each row.
    ///
    /// ```
    /// use cotangent::DType;
    /// assert_eq!(cotangent_nn::Embedding::new(7, 2, &mut cotangent_nn::Init::new(0, DType::F32)).dim(), 2);
    /// ```
    pub fn dim(&self) -> usize {
        self.weight.dims()[1]
    }

    /// The rows at `ids` (i64, any shape): `[..., dim]`. Panics on ids outside `0..vocab`.
    ///
    /// ```
    /// use cotangent::{DType, Tensor};
    /// use cotangent_nn::{Embedding, Init};
    /// let emb = Embedding::new(5, 3, &mut Init::new(0, DType::F64));
    /// let y = emb.forward(&Tensor::scalar(4i64));
    /// assert_eq!(y.to_vec::<f64>(), emb.weight.narrow(0, 4, 1).flatten().to_vec::<f64>());
    /// ```
    #[track_caller]
    pub fn forward(&self, ids: &Tensor) -> Tensor {
        assert_eq!(ids.dtype(), DType::I64, "Embedding: ids must be i64");
        let mut dims = ids.dims().to_vec();
        dims.push(self.dim());
        self.weight.index_select(0, &ids.flatten()).reshape(&dims)
    }
}
