//! [`adam`] (with optional L2 weight decay folded into the gradient) and [`adamw`] (decoupled
//! weight decay): the updates of [`crate::Adam`] / [`crate::AdamW`] as pure functions.

use cotangent::Tensor;
use cotangent::tree::{self, Tree};

use super::sgd::leaves_like;
use super::{GradientTransformation, next_count, zero_count};
use crate::optim::hyper::{non_negative, unit_interval};

/// The functional Adam built by [`adam`] or [`adamw`]. Per step `t` (from 1), with gradient `g`
/// and parameter `p`:
///
/// ```text
/// g ← g + wd·p                          (adam with weight decay: L2, as torch.optim.Adam)
/// m ← β₁·m + (1 - β₁)·g
/// v ← β₂·v + (1 - β₂)·g²
/// s = lr · (m / (1 - β₁ᵗ)) / (√(v / (1 - β₂ᵗ)) + ε)
/// update = -s                           (adam)
/// update = -s - lr·wd·p                 (adamw: decoupled, as torch.optim.AdamW)
/// ```
///
/// The bias corrections `1 - βᵗ` are computed in f64 from the count and then cast to the
/// parameter's dtype, as the stateful optimizer does on the host.
///
/// ```
/// use cotangent::Tensor;
/// use cotangent_nn::optax::{self, GradientTransformation};
/// let opt = optax::adam(0.1);
/// let p = Tensor::scalar(1.0);
/// let (u, s) = opt.update(&Tensor::scalar(3.0), &opt.init(&p), &p);
/// // The first step moves by lr·g/|g| (up to ε).
/// assert!((u.item::<f64>() + 0.1).abs() < 1e-8);
/// assert_eq!(s.count.item::<f64>(), 1.0);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Adam {
    lr: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
    weight_decay: f64,
    decoupled: bool,
}

/// Adam's state: the step count and the first and second moment estimates (shaped like the
/// parameters; zeros before the first step).
///
/// ```
/// use cotangent::Tensor;
/// use cotangent_nn::optax::{self, GradientTransformation};
/// let s = optax::adam(1e-3).init(&vec![Tensor::scalar(1.0)]);
/// assert_eq!(cotangent::tree::paths(&s), ["count", "mu.0", "nu.0"]);
/// ```
#[derive(Debug, Clone, cotangent::tree::Tree)]
pub struct AdamState<P> {
    /// Steps taken so far (rank-0 f64).
    pub count: Tensor,
    /// First moment estimates `m`.
    pub mu: P,
    /// Second moment estimates `v`.
    pub nu: P,
}

/// Adam with learning rate `lr`, β₁ = 0.9, β₂ = 0.999, ε = 1e-8 and no weight decay (change
/// them with the builder methods). Panics unless `lr` is finite and ≥ 0.
///
/// ```
/// let opt = cotangent_nn::optax::adam(1e-3).betas(0.9, 0.99).eps(1e-6).weight_decay(1e-4);
/// assert_eq!(opt.lr(), 1e-3);
/// ```
#[track_caller]
pub fn adam(lr: f64) -> Adam {
    Adam {
        lr: non_negative("optax::adam", "learning rate", lr),
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weight_decay: 0.0,
        decoupled: false,
    }
}

/// AdamW: Adam with decoupled weight decay, default 0.01 (as `torch.optim.AdamW`; change it with
/// [`Adam::weight_decay`]). Panics unless `lr` is finite and ≥ 0.
///
/// ```
/// use cotangent::Tensor;
/// use cotangent_nn::optax::{self, GradientTransformation};
/// let opt = optax::adamw(0.1).weight_decay(0.5);
/// let p = Tensor::scalar(2.0);
/// // A zero gradient: only the decay moves the parameter, by -lr·wd·p.
/// let (u, _) = opt.update(&Tensor::scalar(0.0), &opt.init(&p), &p);
/// assert!((u.item::<f64>() + 0.1).abs() < 1e-15);
/// ```
#[track_caller]
pub fn adamw(lr: f64) -> Adam {
    Adam {
        lr: non_negative("optax::adamw", "learning rate", lr),
        weight_decay: 0.01,
        decoupled: true,
        ..adam(lr)
    }
}

impl Adam {
    fn name(&self) -> &'static str {
        if self.decoupled {
            "optax::adamw"
        } else {
            "optax::adam"
        }
    }

    /// With moment decay rates `beta1`, `beta2` (each in `[0, 1)`).
    ///
    /// ```
    /// let opt = cotangent_nn::optax::adamw(1e-3).betas(0.9, 0.95);
    /// ```
    #[track_caller]
    pub fn betas(mut self, beta1: f64, beta2: f64) -> Adam {
        self.beta1 = unit_interval(self.name(), "beta1", beta1);
        self.beta2 = unit_interval(self.name(), "beta2", beta2);
        self
    }

    /// With `eps` added to the denominator.
    ///
    /// ```
    /// let opt = cotangent_nn::optax::adam(1e-3).eps(1e-6);
    /// ```
    #[track_caller]
    pub fn eps(mut self, eps: f64) -> Adam {
        self.eps = non_negative(self.name(), "eps", eps);
        self
    }

    /// With weight decay `wd`: added to the gradient for [`adam`] (L2), applied to the
    /// parameter directly for [`adamw`].
    ///
    /// ```
    /// let opt = cotangent_nn::optax::adam(1e-3).weight_decay(1e-4);
    /// ```
    #[track_caller]
    pub fn weight_decay(mut self, wd: f64) -> Adam {
        self.weight_decay = non_negative(self.name(), "weight decay", wd);
        self
    }

    /// The learning rate.
    ///
    /// ```
    /// assert_eq!(cotangent_nn::optax::adamw(0.5).lr(), 0.5);
    /// ```
    pub fn lr(&self) -> f64 {
        self.lr
    }
}

impl<P: Tree> GradientTransformation<P> for Adam {
    type State = AdamState<P>;

    fn init(&self, params: &P) -> AdamState<P> {
        AdamState {
            count: zero_count(),
            mu: tree::zeros_like(params),
            nu: tree::zeros_like(params),
        }
    }

    #[track_caller]
    fn update(&self, grads: &P, state: &AdamState<P>, params: &P) -> (P, AdamState<P>) {
        let gs = tree::flatten(grads);
        let ps = leaves_like(params, grads);
        let ms = leaves_like(&state.mu, grads);
        let vs = leaves_like(&state.nu, grads);
        let count = next_count(&state.count);
        // 1 - βᵗ in f64 (the count's dtype), cast to each parameter's dtype below.
        let c1 = 1.0 - Tensor::scalar(self.beta1).pow(&count);
        let c2 = 1.0 - Tensor::scalar(self.beta2).pow(&count);
        let (mut new_m, mut new_v, mut updates) = (Vec::new(), Vec::new(), Vec::new());
        for (((g, p), m), v) in gs.iter().zip(&ps).zip(&ms).zip(&vs) {
            let mut g = g.clone();
            if self.weight_decay != 0.0 && !self.decoupled {
                g += p * self.weight_decay;
            }
            let m = m * self.beta1 + &g * (1.0 - self.beta1);
            let v = v * self.beta2 + g.square() * (1.0 - self.beta2);
            let m_hat = &m / &c1.cast(m.dtype());
            let v_hat = &v / &c2.cast(v.dtype());
            let step = m_hat / (v_hat.sqrt() + self.eps) * self.lr;
            let u = if self.weight_decay != 0.0 && self.decoupled {
                -step - p * (self.lr * self.weight_decay)
            } else {
                -step
            };
            updates.push(u);
            new_m.push(m);
            new_v.push(v);
        }
        let state = AdamState {
            count,
            mu: tree::unflatten(&state.mu, new_m),
            nu: tree::unflatten(&state.nu, new_v),
        };
        (tree::unflatten(grads, updates), state)
    }
}
