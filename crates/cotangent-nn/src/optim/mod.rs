//! Optimizers, learning-rate schedules and gradient clipping.
//!
//! An [`Optimizer`] maps parameters and their gradients to new parameters, in place in the
//! caller's list. Every update runs under [`cotangent::no_grad`] on detached tensors, so it never
//! records a graph and never keeps the training step's graph alive.

mod adam;
mod clip;
pub(crate) mod hyper;
mod schedule;
mod sgd;

pub use adam::{Adam, AdamW};
pub use clip::{clip_grad_norm, global_norm};
pub use schedule::{ConstantLr, LrSchedule, StepLr, WarmupCosine};
pub use sgd::Sgd;

use cotangent::Tensor;

/// A rule that turns gradients into parameter updates.
///
/// ```
/// use cotangent::Tensor;
/// use cotangent_nn::{Optimizer, Sgd};
/// let mut params = vec![Tensor::scalar(1.0)];
/// let mut opt = Sgd::new(0.1);
/// opt.step(&mut params, &[Tensor::scalar(2.0)]);
/// assert!((params[0].item::<f64>() - 0.8).abs() < 1e-15);
/// ```
pub trait Optimizer {
    /// Replace each `params[i]` by its updated value given `grads[i]` (same shapes and order on
    /// every call: the optimizer's per-parameter state follows the position). The new
    /// parameters are untracked.
    fn step(&mut self, params: &mut [Tensor], grads: &[Tensor]);

    /// The current learning rate.
    fn lr(&self) -> f64;

    /// Change the learning rate (what a schedule does between steps).
    fn set_lr(&mut self, lr: f64);
}

/// Check that `grads` match `params` one to one.
#[track_caller]
pub(crate) fn check_pairs(op: &str, params: &[Tensor], grads: &[Tensor]) {
    assert_eq!(
        params.len(),
        grads.len(),
        "{op}: {} parameters but {} gradients",
        params.len(),
        grads.len()
    );
    for (i, (p, g)) in params.iter().zip(grads).enumerate() {
        assert!(
            p.dims() == g.dims() && p.dtype() == g.dtype(),
            "{op}: parameter {i} is {}{:?} but its gradient is {}{:?}",
            p.dtype(),
            p.dims(),
            g.dtype(),
            g.dims()
        );
    }
}

/// Per-parameter state that follows the position in the parameter list.
#[track_caller]
pub(crate) fn check_state(op: &str, state_len: usize, n: usize) {
    assert!(
        state_len == 0 || state_len == n,
        "{op}: stepped with {n} parameters after {state_len} before"
    );
}
