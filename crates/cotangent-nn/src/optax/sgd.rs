//! [`sgd`]: stochastic gradient descent with momentum, dampening, Nesterov momentum and L2
//! weight decay, the update of [`crate::Sgd`] (`torch.optim.SGD`) as a pure function.

use cotangent::Tensor;
use cotangent::tree::{self, Tree};

use super::{GradientTransformation, next_count, zero_count};
use crate::optim::hyper::non_negative;

/// The functional SGD built by [`sgd`]. Per step, with gradient `g` and parameter `p`:
///
/// ```text
/// g ← g + wd·p                                   (if weight decay)
/// b ← g on the first step, else μ·b + (1 - τ)·g   (if momentum μ; τ = dampening)
/// g ← g + μ·b if Nesterov, else b
/// update = -lr·g
/// ```
///
/// ```
/// use cotangent::Tensor;
/// use cotangent_nn::optax::{self, GradientTransformation};
/// let opt = optax::sgd(0.1).momentum(0.9).nesterov(true).weight_decay(1e-4);
/// let p = vec![Tensor::scalar(1.0)];
/// let (u, s) = opt.update(&vec![Tensor::scalar(1.0)], &opt.init(&p), &p);
/// assert!(s.trace.is_some());
/// assert!(u[0].item::<f64>() < 0.0);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Sgd {
    lr: f64,
    momentum: f64,
    dampening: f64,
    nesterov: bool,
    weight_decay: f64,
}

/// SGD's state: the step count and, with momentum, the momentum buffers (shaped like the
/// parameters; zeros before the first step).
///
/// ```
/// use cotangent::Tensor;
/// use cotangent_nn::optax::{self, GradientTransformation};
/// let p = Tensor::scalar(1.0);
/// assert!(optax::sgd(0.1).init(&p).trace.is_none());
/// let s = optax::sgd(0.1).momentum(0.9).init(&p);
/// assert_eq!(cotangent::tree::paths(&s), ["count", "trace"]);
/// ```
#[derive(Debug, Clone, cotangent::tree::Tree)]
pub struct SgdState<P> {
    /// Steps taken so far (rank-0 f64).
    pub count: Tensor,
    /// The momentum buffers, `None` without momentum.
    pub trace: Option<P>,
}

/// Plain SGD with learning rate `lr`: `update = -lr·g`. Panics unless `lr` is finite and ≥ 0.
///
/// ```
/// use cotangent::Tensor;
/// use cotangent_nn::optax::{self, GradientTransformation};
/// let p = Tensor::scalar(1.0);
/// let opt = optax::sgd(0.1);
/// let (u, _) = opt.update(&Tensor::scalar(3.0), &opt.init(&p), &p);
/// assert!((optax::apply_updates(&p, &u).item::<f64>() - 0.7).abs() < 1e-15);
/// ```
#[track_caller]
pub fn sgd(lr: f64) -> Sgd {
    Sgd {
        lr: non_negative("optax::sgd", "learning rate", lr),
        momentum: 0.0,
        dampening: 0.0,
        nesterov: false,
        weight_decay: 0.0,
    }
}

impl Sgd {
    /// With momentum `mu` (0.9 is usual).
    ///
    /// ```
    /// let opt = cotangent_nn::optax::sgd(0.1).momentum(0.9);
    /// ```
    #[track_caller]
    pub fn momentum(mut self, mu: f64) -> Sgd {
        self.momentum = non_negative("optax::sgd", "momentum", mu);
        self
    }

    /// With dampening `tau` of the momentum buffer (PyTorch's `dampening`; default 0).
    ///
    /// ```
    /// let opt = cotangent_nn::optax::sgd(0.1).momentum(0.9).dampening(0.1);
    /// ```
    #[track_caller]
    pub fn dampening(mut self, tau: f64) -> Sgd {
        self.dampening = non_negative("optax::sgd", "dampening", tau);
        self
    }

    /// With Nesterov momentum (needs a non-zero momentum: `init` panics otherwise).
    ///
    /// ```
    /// let opt = cotangent_nn::optax::sgd(0.1).momentum(0.9).nesterov(true);
    /// ```
    pub fn nesterov(mut self, on: bool) -> Sgd {
        self.nesterov = on;
        self
    }

    /// With L2 weight decay `wd` added to the gradient.
    ///
    /// ```
    /// let opt = cotangent_nn::optax::sgd(0.1).weight_decay(1e-4);
    /// ```
    #[track_caller]
    pub fn weight_decay(mut self, wd: f64) -> Sgd {
        self.weight_decay = non_negative("optax::sgd", "weight decay", wd);
        self
    }

    /// The learning rate.
    ///
    /// ```
    /// assert_eq!(cotangent_nn::optax::sgd(0.5).lr(), 0.5);
    /// ```
    pub fn lr(&self) -> f64 {
        self.lr
    }

    #[track_caller]
    fn check(&self) {
        assert!(
            !self.nesterov || self.momentum != 0.0,
            "optax::sgd: Nesterov needs a non-zero momentum"
        );
    }
}

impl<P: Tree> GradientTransformation<P> for Sgd {
    type State = SgdState<P>;

    #[track_caller]
    fn init(&self, params: &P) -> SgdState<P> {
        self.check();
        SgdState {
            count: zero_count(),
            trace: (self.momentum != 0.0).then(|| tree::zeros_like(params)),
        }
    }

    #[track_caller]
    fn update(&self, grads: &P, state: &SgdState<P>, params: &P) -> (P, SgdState<P>) {
        self.check();
        let gs = tree::flatten(grads);
        let ps = leaves_like(params, grads);
        let bs = match &state.trace {
            Some(t) => Some(leaves_like(t, grads)),
            None => {
                assert!(
                    self.momentum == 0.0,
                    "optax::sgd: the state has no momentum buffers (made by an SGD without momentum)"
                );
                None
            }
        };
        // `b = g` on the first step (PyTorch), chosen by the count so that jit sees one program.
        let first = state.count.eq(&Tensor::zeros(&[], state.count.dtype()));
        let mut new_bs = Vec::new();
        let mut updates = Vec::with_capacity(gs.len());
        for (i, (g, p)) in gs.iter().zip(&ps).enumerate() {
            let mut g = g.clone();
            if self.weight_decay != 0.0 {
                g += p * self.weight_decay;
            }
            if self.momentum != 0.0 {
                let old = &bs.as_ref().expect("momentum buffers")[i];
                let b = first.select(&g, &(old * self.momentum + &g * (1.0 - self.dampening)));
                g = if self.nesterov {
                    g + &b * self.momentum
                } else {
                    b.clone()
                };
                new_bs.push(b);
            }
            updates.push(-(g * self.lr));
        }
        // Without momentum the buffers (if a state from elsewhere has any) are left as they are.
        let trace = match &state.trace {
            Some(t) if self.momentum != 0.0 => Some(tree::unflatten(t, new_bs)),
            other => other.clone(),
        };
        let state = SgdState {
            count: next_count(&state.count),
            trace,
        };
        (tree::unflatten(grads, updates), state)
    }
}

/// The leaves of `t`, which must have the structure of `like`.
#[track_caller]
pub(super) fn leaves_like<P: Tree>(t: &P, like: &P) -> Vec<Tensor> {
    tree::tree_zip(like, t)
        .into_iter()
        .map(|(_, x)| x)
        .collect()
}
