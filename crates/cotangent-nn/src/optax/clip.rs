//! [`clip_by_global_norm`]: scale all gradients together so that the L2 norm of their
//! concatenation is at most a bound, the rule of [`crate::clip_grad_norm`] as a transformation
//! that stays on tensors (no read back to the host, so it can be jitted).

use cotangent::tree::{self, Tree};
use cotangent::{DType, Tensor};

use super::GradientTransformation;
use crate::optim::hyper::non_negative;

/// `√(Σᵢ ‖gᵢ‖²)` over every leaf of `grads`, as a rank-0 f64 tensor (the squares are summed in
/// f64, as [`crate::global_norm`] does).
///
/// ```
/// use cotangent::Tensor;
/// let g = (Tensor::from_vec(vec![3.0f32], &[1]), Tensor::from_vec(vec![4.0f32], &[1]));
/// assert_eq!(cotangent_nn::optax::global_norm(&g).item::<f64>(), 5.0);
/// ```
pub fn global_norm<P: Tree>(grads: &P) -> Tensor {
    tree::flatten(grads)
        .iter()
        .map(|g| g.cast(DType::F64).square().sum())
        .reduce(|a, b| a + b)
        .unwrap_or_else(|| Tensor::zeros(&[], DType::F64))
        .sqrt()
}

/// The transformation built by [`clip_by_global_norm`]; its state is `()`.
///
/// ```
/// use cotangent::Tensor;
/// use cotangent_nn::optax::{self, GradientTransformation};
/// let clip = optax::clip_by_global_norm(1.0);
/// let g = vec![Tensor::from_vec(vec![3.0, 4.0], &[2])];
/// let (c, ()) = clip.update(&g, &clip.init(&g), &g);
/// assert_eq!(c[0].to_vec::<f64>(), vec![0.6000000000000001, 0.8]);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct ClipByGlobalNorm {
    max_norm: f64,
}

/// Gradients scaled by `max_norm / norm` when their global norm exceeds `max_norm`, unchanged
/// otherwise (also when the norm is not finite, as [`crate::clip_grad_norm`]). Panics unless
/// `max_norm` is finite and ≥ 0.
///
/// ```
/// use cotangent::Tensor;
/// use cotangent_nn::optax::{self, GradientTransformation};
/// let clip = optax::clip_by_global_norm(10.0);
/// let g = Tensor::from_vec(vec![3.0, 4.0], &[2]);
/// let (c, ()) = clip.update(&g, &(), &g);
/// assert_eq!(c.to_vec::<f64>(), vec![3.0, 4.0]); // norm 5 ≤ 10: unchanged
/// ```
#[track_caller]
pub fn clip_by_global_norm(max_norm: f64) -> ClipByGlobalNorm {
    ClipByGlobalNorm {
        max_norm: non_negative("optax::clip_by_global_norm", "max norm", max_norm),
    }
}

impl<P: Tree> GradientTransformation<P> for ClipByGlobalNorm {
    type State = ();

    fn init(&self, _: &P) {}

    fn update(&self, grads: &P, _: &(), _: &P) -> (P, ()) {
        let norm = global_norm(grads);
        let max = Tensor::scalar(self.max_norm);
        let one = Tensor::scalar(1.0);
        let clip = norm.gt(&max);
        let scale = clip.select(&norm.isfinite().select(&(&max / &norm), &one), &one);
        (tree::tree_map(grads, |g| g * scale.cast(g.dtype())), ())
    }
}
