//! [`Sgd`]: stochastic gradient descent with momentum, Nesterov momentum and L2 weight decay,
//! following PyTorch's `torch.optim.SGD` update.

use cotangent::{Tensor, no_grad};

use super::hyper::non_negative;
use super::{Optimizer, check_pairs, check_state};

/// SGD. Per step, with gradient `g` and parameter `p`:
///
/// ```text
/// g ← g + wd·p                                   (if weight decay)
/// b ← g on the first step, else μ·b + (1 - τ)·g   (if momentum μ; τ = dampening)
/// g ← g + μ·b if Nesterov, else b
/// p ← p - lr·g
/// ```
///
/// ```
/// use cotangent::Tensor;
/// use cotangent_nn::{Optimizer, Sgd};
/// let mut p = vec![Tensor::scalar(1.0)];
/// let mut opt = Sgd::new(0.1).momentum(0.9);
/// opt.step(&mut p, &[Tensor::scalar(1.0)]); // b = 1,   p = 0.9
/// opt.step(&mut p, &[Tensor::scalar(1.0)]); // b = 1.9, p = 0.71
/// assert!((p[0].item::<f64>() - 0.71).abs() < 1e-12);
/// ```
#[derive(Debug, Clone)]
pub struct Sgd {
    lr: f64,
    momentum: f64,
    dampening: f64,
    nesterov: bool,
    weight_decay: f64,
    buffers: Vec<Tensor>,
}

impl Sgd {
    /// Plain SGD with learning rate `lr`.
    ///
    /// ```
    /// use cotangent_nn::Optimizer;
    /// assert_eq!(cotangent_nn::Sgd::new(0.5).lr(), 0.5);
    /// ```
    #[track_caller]
    pub fn new(lr: f64) -> Sgd {
        Sgd {
            lr: non_negative("Sgd", "learning rate", lr),
            momentum: 0.0,
            dampening: 0.0,
            nesterov: false,
            weight_decay: 0.0,
            buffers: Vec::new(),
        }
    }

    /// With momentum `mu` (0.9 is usual).
    ///
    /// ```
    /// let opt = cotangent_nn::Sgd::new(0.1).momentum(0.9);
    /// ```
    #[track_caller]
    pub fn momentum(mut self, mu: f64) -> Sgd {
        self.momentum = non_negative("Sgd", "momentum", mu);
        self
    }

    /// With dampening `tau` of the momentum buffer (PyTorch's `dampening`; default 0).
    ///
    /// ```
    /// let opt = cotangent_nn::Sgd::new(0.1).momentum(0.9).dampening(0.1);
    /// ```
    #[track_caller]
    pub fn dampening(mut self, tau: f64) -> Sgd {
        self.dampening = non_negative("Sgd", "dampening", tau);
        self
    }

    /// With Nesterov momentum (needs a non-zero momentum).
    ///
    /// ```
    /// let opt = cotangent_nn::Sgd::new(0.1).momentum(0.9).nesterov(true);
    /// ```
    pub fn nesterov(mut self, on: bool) -> Sgd {
        self.nesterov = on;
        self
    }

    /// With L2 weight decay `wd` added to the gradient.
    ///
    /// ```
    /// let opt = cotangent_nn::Sgd::new(0.1).weight_decay(1e-4);
    /// ```
    #[track_caller]
    pub fn weight_decay(mut self, wd: f64) -> Sgd {
        self.weight_decay = non_negative("Sgd", "weight decay", wd);
        self
    }
}

impl Optimizer for Sgd {
    #[track_caller]
    fn step(&mut self, params: &mut [Tensor], grads: &[Tensor]) {
        check_pairs("Sgd", params, grads);
        check_state("Sgd", self.buffers.len(), params.len());
        assert!(
            !self.nesterov || self.momentum != 0.0,
            "Sgd: Nesterov needs a non-zero momentum"
        );
        let first = self.buffers.is_empty();
        no_grad(|| {
            for (i, (p, g)) in params.iter_mut().zip(grads).enumerate() {
                let old = p.detach();
                let mut g = g.detach();
                if self.weight_decay != 0.0 {
                    g += &old * self.weight_decay;
                }
                if self.momentum != 0.0 {
                    let b = if first {
                        g.clone()
                    } else {
                        &self.buffers[i] * self.momentum + &g * (1.0 - self.dampening)
                    };
                    g = if self.nesterov {
                        g + &b * self.momentum
                    } else {
                        b.clone()
                    };
                    if first {
                        self.buffers.push(b);
                    } else {
                        self.buffers[i] = b;
                    }
                }
                *p = old - g * self.lr;
            }
        });
    }

    fn lr(&self) -> f64 {
        self.lr
    }

    #[track_caller]
    fn set_lr(&mut self, lr: f64) {
        self.lr = non_negative("Sgd", "learning rate", lr);
    }
}
