//! [`Linear`]: `y = x @ W + b`, with `W` stored `[in, out]`.

use cotangent::Tensor;

use crate::init::{Init, WeightInit};
use crate::module::Module;

/// A dense layer `y = x @ weight + bias` over the last axis of `x` (any leading dims).
///
/// ```
/// use cotangent::{DType, Tensor};
/// use cotangent_nn::{Init, Linear};
/// let fc = Linear::new(4, 3, &mut Init::new(0, DType::F32));
/// let y = fc.forward(&Tensor::zeros(&[2, 5, 4], DType::F32));
/// assert_eq!(y.dims(), &[2, 5, 3]);
/// ```
#[derive(Clone, Debug, Module)]
pub struct Linear {
    /// `[in, out]`.
    pub weight: Tensor,
    /// `[out]`, if the layer has a bias.
    pub bias: Option<Tensor>,
}

impl Linear {
    /// Xavier-uniform weight and zero bias.
    ///
    /// ```
    /// use cotangent::DType;
    /// let fc = cotangent_nn::Linear::new(4, 3, &mut cotangent_nn::Init::new(0, DType::F32));
    /// assert_eq!(fc.bias.unwrap().to_vec::<f32>(), vec![0.0; 3]);
    /// ```
    pub fn new(in_dim: usize, out_dim: usize, init: &mut Init) -> Linear {
        Self::with_init(in_dim, out_dim, WeightInit::XavierUniform, true, init)
    }

    /// A weight drawn by `how`, and a zero bias if `bias` is set.
    ///
    /// ```
    /// use cotangent::DType;
    /// use cotangent_nn::{init::WeightInit, Init, Linear};
    /// let fc = Linear::with_init(4, 3, WeightInit::KaimingNormal, false, &mut Init::new(0, DType::F32));
    /// assert!(fc.bias.is_none());
    /// ```
    pub fn with_init(
        in_dim: usize,
        out_dim: usize,
        how: WeightInit,
        bias: bool,
        init: &mut Init,
    ) -> Linear {
        Linear {
            weight: init.make(how, &[in_dim, out_dim]),
            bias: bias.then(|| init.zeros(&[out_dim])),
        }
    }

    /// A layer with the given weight `[in, out]` and optional bias `[out]`.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let fc = cotangent_nn::Linear::from_tensors(Tensor::from_vec(vec![2.0], &[1, 1]), None);
    /// assert_eq!(fc.forward(&Tensor::from_vec(vec![3.0], &[1])).to_vec::<f64>(), vec![6.0]);
    /// ```
    #[track_caller]
    pub fn from_tensors(weight: Tensor, bias: Option<Tensor>) -> Linear {
        assert_eq!(weight.rank(), 2, "Linear: the weight must be [in, out]");
        if let Some(b) = &bias {
            assert_eq!(
                b.dims(),
                &[weight.dims()[1]],
                "Linear: the bias must be [out]"
            );
        }
        Linear { weight, bias }
    }

    /// Input features.
    ///
    /// ```
    /// use cotangent::DType;
    /// assert_eq!(cotangent_nn::Linear::new(4, 3, &mut cotangent_nn::Init::new(0, DType::F32)).in_dim(), 4);
    /// ```
    pub fn in_dim(&self) -> usize {
        self.weight.dims()[0]
    }

    /// Output features.
    ///
    /// ```
    /// use cotangent::DType;
    /// assert_eq!(cotangent_nn::Linear::new(4, 3, &mut cotangent_nn::Init::new(0, DType::F32)).out_dim(), 3);
    /// ```
    pub fn out_dim(&self) -> usize {
        self.weight.dims()[1]
    }

    /// `x @ weight + bias` for `x: [..., in]`. Leading dims are flattened into one matrix
    /// product (one `gemm` call, not one per batch entry).
    ///
    /// ```
    /// use cotangent::Tensor;
    /// use cotangent_nn::Linear;
    /// let w = Tensor::from_vec(vec![1.0, 0.0, 0.0, 2.0], &[2, 2]);
    /// let fc = Linear::from_tensors(w, Some(Tensor::from_vec(vec![0.5, 0.5], &[2])));
    /// let y = fc.forward(&Tensor::from_vec(vec![1.0, 1.0], &[1, 2]));
    /// assert_eq!(y.to_vec::<f64>(), vec![1.5, 2.5]);
    /// ```
    #[track_caller]
    pub fn forward(&self, x: &Tensor) -> Tensor {
        let y = if x.rank() > 2 {
            let lead = &x.dims()[..x.rank() - 1];
            let rows: usize = lead.iter().product();
            let mut out_dims = lead.to_vec();
            out_dims.push(self.out_dim());
            x.reshape(&[rows, self.in_dim()])
                .matmul(&self.weight)
                .reshape(&out_dims)
        } else {
            x.matmul(&self.weight)
        };
        match &self.bias {
            Some(b) => y + b,
            None => y,
        }
    }
}
