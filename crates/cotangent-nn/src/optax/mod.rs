//! Functional optimizers in the style of JAX's optax: a [`GradientTransformation`] keeps its
//! hyper-parameters and nothing else; its state is a separate value (a [`Tree`]) that `init`
//! creates and `update` returns anew. Gradients go in, *updates* come out, and
//! [`apply_updates`] adds them to the parameters.
//!
//! Parameters, gradients, updates and the state's moment estimates all have the shape of the
//! parameter tree (a `#[derive(Module)]` model, a `Vec<Tensor>`, a tuple …). Every state is
//! itself a tree whose step count is a rank-0 `f64` tensor, not a Rust number, so a whole
//! training step (loss, gradient, `update`, [`apply_updates`]) can be wrapped in
//! [`cotangent::tree::jit`] and is traced once: the count changes every step, but as a leaf
//! value, not as static data that would key a new trace. (The count is a float because the
//! core's arithmetic is defined on floating-point tensors only; f64 counts exactly up to 2⁵³
//! steps.)
//!
//! The transformations compute exactly what the stateful optimizers of [`crate::optim`] compute
//! ([`sgd`] ↔ [`Sgd`](crate::Sgd), [`adam`] ↔ [`Adam`](crate::Adam), [`adamw`] ↔
//! [`AdamW`](crate::AdamW), [`clip_by_global_norm`] ↔ [`clip_grad_norm`](crate::clip_grad_norm)),
//! to the last bit or a few ulps (`tests/optax.rs` measures it). Unlike those, `update` does not
//! detach anything: it is an ordinary differentiable function of its inputs.
//!
//! ```
//! use cotangent::{tree, DType, Tensor};
//! use cotangent_nn::optax::{self, GradientTransformation};
//! use cotangent_nn::{loss, Init, Linear};
//!
//! let model = Linear::new(3, 1, &mut Init::new(0, DType::F64));
//! let x = Tensor::randn(&[16, 3], 1, DType::F64);
//! let y = Tensor::randn(&[16, 1], 2, DType::F64);
//! let mse = |m: &Linear| loss::mse(&m.forward(&x), &y);
//!
//! let opt = optax::chain(optax::clip_by_global_norm(1.0), optax::adam(0.05));
//! let (mut params, mut state) = (model.clone(), opt.init(&model));
//! let first = mse(&params).item::<f64>();
//! for _ in 0..20 {
//!     let grads = tree::grad(mse)(&params);
//!     let (updates, next) = opt.update(&grads, &state, &params);
//!     params = optax::apply_updates(&params, &updates);
//!     state = next;
//! }
//! assert!(mse(&params).item::<f64>() < first);
//! assert_eq!(state.1.count.item::<f64>(), 20.0);
//! ```

mod adam;
mod chain;
mod clip;
mod sgd;

pub use adam::{Adam, AdamState, adam, adamw};
pub use chain::{Chain, chain};
pub use clip::{ClipByGlobalNorm, clip_by_global_norm, global_norm};
pub use sgd::{Sgd, SgdState, sgd};

use cotangent::tree::{self, Tree};
use cotangent::{DType, Tensor};

/// An optimizer as a pure function: `init` makes the state for a parameter tree, `update` maps
/// gradients (and the parameters, for weight decay) to updates and the next state.
///
/// `P` is the parameter tree's type; gradients and updates have the same type. The state is a
/// [`Tree`], so it can be passed through [`cotangent::tree::jit`], differentiated through, or
/// saved.
///
/// ```
/// use cotangent::Tensor;
/// use cotangent_nn::optax::{self, GradientTransformation};
/// let params = vec![Tensor::scalar(1.0)];
/// let opt = optax::sgd(0.1);
/// let state = opt.init(&params);
/// let (updates, _state) = opt.update(&vec![Tensor::scalar(2.0)], &state, &params);
/// assert!((updates[0].item::<f64>() + 0.2).abs() < 1e-15);
/// ```
pub trait GradientTransformation<P: Tree> {
    /// What the transformation carries from one step to the next.
    type State: Tree;

    /// The state before the first step, for parameters shaped like `params`.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// use cotangent_nn::optax::{self, GradientTransformation};
    /// let s = optax::adam(1e-3).init(&(Tensor::scalar(1.0), Tensor::scalar(2.0)));
    /// assert_eq!(s.count.item::<f64>(), 0.0);
    /// assert_eq!(s.mu.0.item::<f64>(), 0.0);
    /// ```
    fn init(&self, params: &P) -> Self::State;

    /// The updates for gradients `grads` at parameters `params` (add them with
    /// [`apply_updates`]), and the next state. Panics if the trees' structures differ.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// use cotangent_nn::optax::{self, GradientTransformation};
    /// let p = Tensor::scalar(1.0);
    /// let opt = optax::sgd(0.5).momentum(0.9);
    /// let s0 = opt.init(&p);
    /// let (u1, s1) = opt.update(&Tensor::scalar(1.0), &s0, &p);
    /// let (u2, _) = opt.update(&Tensor::scalar(1.0), &s1, &p);
    /// assert_eq!((u1.item::<f64>(), u2.item::<f64>()), (-0.5, -0.95));
    /// ```
    fn update(&self, grads: &P, state: &Self::State, params: &P) -> (P, Self::State);
}

/// `params + updates`, leaf by leaf (optax's `apply_updates`). Panics if the structures differ.
///
/// ```
/// use cotangent::Tensor;
/// use cotangent_nn::optax;
/// let p = (Tensor::scalar(1.0), vec![Tensor::scalar(2.0)]);
/// let u = (Tensor::scalar(-0.5), vec![Tensor::scalar(0.25)]);
/// let q = optax::apply_updates(&p, &u);
/// assert_eq!((q.0.item::<f64>(), q.1[0].item::<f64>()), (0.5, 2.25));
/// ```
#[track_caller]
pub fn apply_updates<P: Tree>(params: &P, updates: &P) -> P {
    tree::tree_map2(params, updates, |p, u| p + u)
}

/// A fresh step count: a rank-0 f64 zero (f64 whatever the parameters' dtype, so that the
/// count stays exact; the core has no integer arithmetic to count in `i64`).
fn zero_count() -> Tensor {
    Tensor::zeros(&[], DType::F64)
}

/// The count after one more step.
fn next_count(count: &Tensor) -> Tensor {
    count + 1.0
}
