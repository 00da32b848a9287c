//! Custom derivative rules: `custom_vjp` (a user function with a user-supplied reverse rule) and
//! `custom_jvp` (with a user-supplied forward rule). Each traces the function and binds one
//! primitive carrying the graph and the rule (see `transform::function`), so every
//! transformation sees one node with the user's rule. Rules written with tensor ops are
//! themselves differentiable, so Hessians work through them.
//!
//! A `custom_vjp` function in forward mode differentiates the traced function (the custom rule
//! is for reverse mode). A `custom_jvp` function in reverse mode transposes the user's linear
//! JVP rule by reverse-differentiating it with respect to the tangents.

use std::panic::Location;
use std::sync::Arc;

use crate::core::Tensor;
use crate::transform::function::{apply, Fun, JvpRule, Rule, VjpRule};

/// `f` with a user-supplied reverse-mode rule `rule(primals, output, cotangent) -> one
/// cotangent per input` (JAX's `custom_vjp`).
///
/// `f` runs once per call: on values when no trace is running (so it may read them), traced
/// under `jit` and `vmap`. Its graph is kept for forward mode and batching. The rule only sees
/// `f`'s arguments, so `f` must not close over a tensor that a transformation tracks: that
/// panics, naming the op that used it (pass it as an argument instead).
///
/// ```
/// use cotangent::{custom_vjp, grad, Tensor};
/// // Identity in the forward pass, gradient clipped to [-1, 1] in the backward pass.
/// let clip_grad = custom_vjp(
///     |xs: &[Tensor]| xs[0].clone(),
///     |_, _, g: &Tensor| vec![g.maximum(&Tensor::scalar(-1.0)).minimum(&Tensor::scalar(1.0))],
/// );
/// let f = |x: &Tensor| clip_grad(&[x * 10.0]);
/// assert_eq!(grad(f)(&Tensor::scalar(1.0)).item::<f64>(), 10.0); // 10 · clip(1) = 10
/// ```
#[track_caller]
pub fn custom_vjp<F, R>(f: F, rule: R) -> impl Fn(&[Tensor]) -> Tensor
where
    F: Fn(&[Tensor]) -> Tensor + Send + Sync + 'static,
    R: Fn(&[Tensor], &Tensor, &Tensor) -> Vec<Tensor> + Send + Sync + 'static,
{
    custom_vjp_at(Arc::new(f), Arc::new(rule), Location::caller())
}

/// [`custom_vjp`] reporting at `location` (the line that made it).
pub(crate) fn custom_vjp_at(
    f: Fun,
    rule: VjpRule,
    location: &'static Location<'static>,
) -> impl Fn(&[Tensor]) -> Tensor {
    move |xs: &[Tensor]| {
        apply(Rule::Vjp(rule.clone()), &f, xs, location).unwrap_or_else(|e| panic!("{e}"))
    }
}

/// `f` with a user-supplied forward-mode rule `rule(primals, tangents) -> output tangent`, linear
/// in the tangents (JAX's `custom_jvp`). Reverse mode transposes the rule automatically. `f`
/// runs and may close over tensors as for [`custom_vjp`].
///
/// ```
/// use cotangent::{custom_jvp, grad, Tensor};
/// // log(1 + e^x) with the stable derivative sigmoid(x).
/// let softplus = custom_jvp(
///     |xs: &[Tensor]| xs[0].exp().log1p(),
///     |p: &[Tensor], t: &[Tensor]| &t[0] * &p[0].sigmoid(),
/// );
/// let g = grad(|x: &Tensor| softplus(&[x.clone()]))(&Tensor::scalar(0.0));
/// assert_eq!(g.item::<f64>(), 0.5);
/// ```
#[track_caller]
pub fn custom_jvp<F, R>(f: F, rule: R) -> impl Fn(&[Tensor]) -> Tensor
where
    F: Fn(&[Tensor]) -> Tensor + Send + Sync + 'static,
    R: Fn(&[Tensor], &[Tensor]) -> Tensor + Send + Sync + 'static,
{
    let f: Fun = Arc::new(f);
    let rule: JvpRule = Arc::new(rule);
    let location = Location::caller();
    move |xs: &[Tensor]| {
        apply(Rule::Jvp(rule.clone()), &f, xs, location).unwrap_or_else(|e| panic!("{e}"))
    }
}
