//! [`Adam`] (with optional L2 weight decay folded into the gradient) and [`AdamW`] (with
//! decoupled weight decay), following `torch.optim.Adam` / `AdamW`.

use cotangent::{Tensor, no_grad};

use super::hyper::{non_negative, unit_interval};
use super::{Optimizer, check_pairs, check_state};

/// First and second moment estimates and the step count.
#[derive(Debug, Clone, Default)]
struct Moments {
    t: i32,
    m: Vec<Tensor>,
    v: Vec<Tensor>,
}

/// Hyper-parameters shared by both variants.
#[derive(Debug, Clone, Copy)]
struct Hyper {
    lr: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
    weight_decay: f64,
}

impl Hyper {
    #[track_caller]
    fn new(opt: &str, lr: f64, weight_decay: f64) -> Hyper {
        Hyper {
            lr: non_negative(opt, "learning rate", lr),
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: non_negative(opt, "weight decay", weight_decay),
        }
    }

    #[track_caller]
    fn betas(&mut self, opt: &str, beta1: f64, beta2: f64) {
        self.beta1 = unit_interval(opt, "beta1", beta1);
        self.beta2 = unit_interval(opt, "beta2", beta2);
    }
}

/// One Adam step over all parameters; `decoupled` picks AdamW's decay.
#[track_caller]
fn adam_step(
    op: &str,
    h: Hyper,
    decoupled: bool,
    s: &mut Moments,
    params: &mut [Tensor],
    grads: &[Tensor],
) {
    check_pairs(op, params, grads);
    check_state(op, s.m.len(), params.len());
    s.t += 1;
    let c1 = 1.0 - h.beta1.powi(s.t);
    let c2 = 1.0 - h.beta2.powi(s.t);
    let first = s.m.is_empty();
    no_grad(|| {
        for (i, (p, g)) in params.iter_mut().zip(grads).enumerate() {
            let mut old = p.detach();
            let mut g = g.detach();
            if h.weight_decay != 0.0 {
                if decoupled {
                    old = &old * (1.0 - h.lr * h.weight_decay);
                } else {
                    g += &old * h.weight_decay;
                }
            }
            let (m, v) = if first {
                (&g * (1.0 - h.beta1), g.square() * (1.0 - h.beta2))
            } else {
                (
                    &s.m[i] * h.beta1 + &g * (1.0 - h.beta1),
                    &s.v[i] * h.beta2 + g.square() * (1.0 - h.beta2),
                )
            };
            let m_hat = &m / c1;
            let v_hat = &v / c2;
            *p = old - m_hat / (v_hat.sqrt() + h.eps) * h.lr;
            if first {
                s.m.push(m);
                s.v.push(v);
            } else {
                s.m[i] = m;
                s.v[i] = v;
            }
        }
    });
}

/// Adam. Per step `t` (from 1), with gradient `g` and parameter `p`:
///
/// ```text
/// g ← g + wd·p                      (if weight decay: L2, as torch.optim.Adam)
/// m ← β₁·m + (1 - β₁)·g
/// v ← β₂·v + (1 - β₂)·g²
/// p ← p - lr · (m / (1 - β₁ᵗ)) / (√(v / (1 - β₂ᵗ)) + ε)
/// ```
///
/// Defaults: β₁ = 0.9, β₂ = 0.999, ε = 1e-8, no weight decay.
///
/// ```
/// use cotangent::Tensor;
/// use cotangent_nn::{Adam, Optimizer};
/// let mut p = vec![Tensor::scalar(1.0)];
/// Adam::new(0.1).step(&mut p, &[Tensor::scalar(3.0)]);
/// // The first Adam step moves every parameter by about lr, whatever the gradient's scale.
/// assert!((p[0].item::<f64>() - 0.9).abs() < 1e-8);
/// ```
#[derive(Debug, Clone)]
pub struct Adam {
    h: Hyper,
    s: Moments,
}

impl Adam {
    /// Adam with learning rate `lr` and the default β₁, β₂, ε.
    ///
    /// ```
    /// use cotangent_nn::Optimizer;
    /// assert_eq!(cotangent_nn::Adam::new(1e-3).lr(), 1e-3);
    /// ```
    #[track_caller]
    pub fn new(lr: f64) -> Adam {
        Adam {
            h: Hyper::new("Adam", lr, 0.0),
            s: Moments::default(),
        }
    }

    /// With moment decay rates `beta1`, `beta2`.
    ///
    /// ```
    /// let opt = cotangent_nn::Adam::new(1e-3).betas(0.9, 0.98);
    /// ```
    #[track_caller]
    pub fn betas(mut self, beta1: f64, beta2: f64) -> Adam {
        self.h.betas("Adam", beta1, beta2);
        self
    }

    /// With `eps` added to the denominator.
    ///
    /// ```
    /// let opt = cotangent_nn::Adam::new(1e-3).eps(1e-6);
    /// ```
    #[track_caller]
    pub fn eps(mut self, eps: f64) -> Adam {
        self.h.eps = non_negative("Adam", "eps", eps);
        self
    }

    /// With L2 weight decay `wd` added to the gradient (use [`AdamW`] for decoupled decay).
    ///
    /// ```
    /// let opt = cotangent_nn::Adam::new(1e-3).weight_decay(1e-4);
    /// ```
    #[track_caller]
    pub fn weight_decay(mut self, wd: f64) -> Adam {
        self.h.weight_decay = non_negative("Adam", "weight decay", wd);
        self
    }
}

impl Optimizer for Adam {
    #[track_caller]
    fn step(&mut self, params: &mut [Tensor], grads: &[Tensor]) {
        adam_step("Adam", self.h, false, &mut self.s, params, grads);
    }
    fn lr(&self) -> f64 {
        self.h.lr
    }
    #[track_caller]
    fn set_lr(&mut self, lr: f64) {
        self.h.lr = non_negative("Adam", "learning rate", lr);
    }
}

/// AdamW: Adam with decoupled weight decay (Loshchilov & Hutter). Each step first shrinks the
/// parameter, `p ← p · (1 - lr·wd)`, then applies the Adam update with the raw gradient.
///
/// Defaults: β₁ = 0.9, β₂ = 0.999, ε = 1e-8.
///
/// ```
/// use cotangent::Tensor;
/// use cotangent_nn::{AdamW, Optimizer};
/// let mut p = vec![Tensor::scalar(1.0)];
/// AdamW::new(0.1, 0.5).step(&mut p, &[Tensor::scalar(0.0)]);
/// assert!((p[0].item::<f64>() - 0.95).abs() < 1e-12); // decay only: the gradient is 0
/// ```
#[derive(Debug, Clone)]
pub struct AdamW {
    h: Hyper,
    s: Moments,
}

impl AdamW {
    /// AdamW with learning rate `lr` and decoupled weight decay `weight_decay` (0.01 is
    /// PyTorch's default).
    ///
    /// ```
    /// use cotangent_nn::Optimizer;
    /// assert_eq!(cotangent_nn::AdamW::new(1e-3, 0.01).lr(), 1e-3);
    /// ```
    #[track_caller]
    pub fn new(lr: f64, weight_decay: f64) -> AdamW {
        AdamW {
            h: Hyper::new("AdamW", lr, weight_decay),
            s: Moments::default(),
        }
    }

    /// With moment decay rates `beta1`, `beta2`.
    ///
    /// ```
    /// let opt = cotangent_nn::AdamW::new(1e-3, 0.01).betas(0.9, 0.95);
    /// ```
    #[track_caller]
    pub fn betas(mut self, beta1: f64, beta2: f64) -> AdamW {
        self.h.betas("AdamW", beta1, beta2);
        self
    }

    /// With `eps` added to the denominator.
    ///
    /// ```
    /// let opt = cotangent_nn::AdamW::new(1e-3, 0.01).eps(1e-6);
    /// ```
    #[track_caller]
    pub fn eps(mut self, eps: f64) -> AdamW {
        self.h.eps = non_negative("AdamW", "eps", eps);
        self
    }
}

impl Optimizer for AdamW {
    #[track_caller]
    fn step(&mut self, params: &mut [Tensor], grads: &[Tensor]) {
        adam_step("AdamW", self.h, true, &mut self.s, params, grads);
    }
    fn lr(&self) -> f64 {
        self.h.lr
    }
    #[track_caller]
    fn set_lr(&mut self, lr: f64) {
        self.h.lr = non_negative("AdamW", "learning rate", lr);
    }
}
