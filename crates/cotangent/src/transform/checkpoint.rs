//! Rematerialization: `checkpoint(f)` keeps only the inputs of `f` during the forward pass and
//! recomputes `f` when a derivative is needed, trading compute for activation memory. The
//! function is traced and bound as one primitive (see `transform::function`) whose derivatives
//! differentiate the traced graph again; tracked tensors it closes over are differentiated like
//! its arguments. Under `vmap` the block stays one checkpoint, of the mapped graph.

use std::panic::Location;
use std::sync::Arc;

use crate::core::Tensor;
use crate::transform::function::{apply, Fun, Rule};

/// `f`, recomputed during differentiation instead of storing its intermediates.
///
/// `f` runs once per call: on values when no trace is running (so it may read them, as in
/// PyTorch), traced under `jit` and `vmap`. Derivatives replay the graph it left, so they
/// follow the branches taken at the call. Tracked tensors `f` closes over are differentiated
/// like its arguments.
///
/// ```
/// use cotangent::{checkpoint, grad, Tensor};
/// let block = checkpoint(|xs: &[Tensor]| xs[0].sin().exp());
/// let g = grad(|x: &Tensor| block(&[x.clone()]))(&Tensor::scalar(0.0));
/// assert!((g.item::<f64>() - 1.0).abs() < 1e-15);
/// ```
#[track_caller]
pub fn checkpoint<F>(f: F) -> impl Fn(&[Tensor]) -> Tensor
where
    F: Fn(&[Tensor]) -> Tensor + Send + Sync + 'static,
{
    checkpoint_at(Arc::new(f), Location::caller())
}

/// [`checkpoint`] reporting at `location` (the line that made it).
pub(crate) fn checkpoint_at(
    f: Fun,
    location: &'static Location<'static>,
) -> impl Fn(&[Tensor]) -> Tensor {
    move |xs: &[Tensor]| apply(Rule::Recompute, &f, xs, location).unwrap_or_else(|e| panic!("{e}"))
}
