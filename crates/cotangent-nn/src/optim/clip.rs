//! Gradient clipping by global norm: scale all gradients together so that the L2 norm of their
//! concatenation is at most a bound (as `torch.nn.utils.clip_grad_norm_`).

use cotangent::{Tensor, no_grad};

/// `√(Σᵢ ‖gᵢ‖²)` over all gradients (accumulated in f64).
///
/// ```
/// use cotangent::Tensor;
/// let g = [Tensor::from_vec(vec![3.0], &[1]), Tensor::from_vec(vec![4.0], &[1])];
/// assert_eq!(cotangent_nn::global_norm(&g), 5.0);
/// ```
pub fn global_norm(grads: &[Tensor]) -> f64 {
    no_grad(|| {
        grads
            .iter()
            // In f64: an f32 gradient's squares overflow f32 above 1.8e19 (the norm would be
            // inf and nothing clipped); f64 holds the square of any finite f32.
            .map(|g| {
                g.detach()
                    .cast(cotangent::DType::F64)
                    .square()
                    .sum()
                    .item_f64()
            })
            .sum::<f64>()
            .sqrt()
    })
}

/// Gradients scaled by `max_norm / norm` when their global norm exceeds `max_norm` (unchanged
/// otherwise), and the global norm before clipping. The results are untracked.
///
/// ```
/// use cotangent::Tensor;
/// let g = [Tensor::from_vec(vec![3.0, 4.0], &[2])];
/// let (clipped, norm) = cotangent_nn::clip_grad_norm(&g, 1.0);
/// assert_eq!(norm, 5.0);
/// let c = clipped[0].to_vec::<f64>();
/// assert!((c[0] - 0.6).abs() < 1e-15 && (c[1] - 0.8).abs() < 1e-15);
/// ```
pub fn clip_grad_norm(grads: &[Tensor], max_norm: f64) -> (Vec<Tensor>, f64) {
    let norm = global_norm(grads);
    let clipped = no_grad(|| {
        if norm > max_norm && norm.is_finite() {
            let s = max_norm / norm;
            grads.iter().map(|g| g.detach() * s).collect()
        } else {
            grads.iter().map(Tensor::detach).collect()
        }
    });
    (clipped, norm)
}
