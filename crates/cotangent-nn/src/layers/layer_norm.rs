//! [`LayerNorm`]: normalize the last axis to zero mean and unit variance, then scale and shift.

use cotangent::Tensor;

use crate::init::Init;
use crate::module::Module;

/// `(x - mean) / √(var + eps) · gamma + beta` over the last axis (population variance, as
/// PyTorch and JAX).
///
/// ```
/// use cotangent::Tensor;
/// use cotangent::DType;
/// use cotangent_nn::{Init, LayerNorm};
/// let ln = LayerNorm::new(2, &mut Init::new(0, DType::F64));
/// let y = ln.forward(&Tensor::from_vec(vec![1.0, 3.0], &[1, 2]));
/// let v = y.to_vec::<f64>();
/// assert!((v[0] + 1.0).abs() < 1e-5 && (v[1] - 1.0).abs() < 1e-5);
/// ```
#[derive(Clone, Debug, Module)]
pub struct LayerNorm {
    /// Scale `[dim]`, initially ones.
    pub gamma: Tensor,
    /// Shift `[dim]`, initially zeros.
    pub beta: Tensor,
    /// Added to the variance (1e-5 by default).
    pub eps: f64,
}

impl LayerNorm {
    /// Ones for the scale, zeros for the shift, `eps = 1e-5`.
    ///
    /// ```
    /// use cotangent::DType;
    /// let ln = cotangent_nn::LayerNorm::new(8, &mut cotangent_nn::Init::new(0, DType::F32));
    /// assert_eq!(ln.gamma.dims(), &[8]);
    /// ```
    pub fn new(dim: usize, init: &mut Init) -> LayerNorm {
        LayerNorm {
            gamma: init.ones(&[dim]),
            beta: init.zeros(&[dim]),
            eps: 1e-5,
        }
    }

    /// Normalize `x: [..., dim]` over its last axis.
    ///
    /// ```
    /// use cotangent::{DType, Tensor};
    /// use cotangent_nn::{Init, LayerNorm};
    /// let ln = LayerNorm::new(4, &mut Init::new(0, DType::F64));
    /// let y = ln.forward(&Tensor::randn(&[3, 4], 0, DType::F64));
    /// let m = y.mean_axes(&[-1], false).to_vec::<f64>();
    /// assert!(m.iter().all(|v| v.abs() < 1e-12));
    /// ```
    #[track_caller]
    pub fn forward(&self, x: &Tensor) -> Tensor {
        let mu = x.mean_axes(&[-1], true);
        let d = x - &mu;
        let var = d.square().mean_axes(&[-1], true);
        let inv = (var + self.eps).sqrt().recip();
        d * inv * &self.gamma + &self.beta
    }
}
