//! Mixed-precision training: f32 master weights, a forward and backward pass in f16 or bf16,
//! and loss scaling for f16 (as `torch.amp` with `GradScaler`).
//!
//! The master parameters stay f32 and the optimizer updates them. Each step casts them to the
//! compute dtype inside the differentiated function ([`cast_params`], with a half copy of the
//! model from [`Module::to_dtype`](crate::Module::to_dtype) to receive them), so the cast is part of the graph and the
//! gradients come back to the master parameters as f32. f16's smallest normal number is 6.1e-5:
//! small gradients underflow to zero in an f16 backward pass. A [`LossScaler`] multiplies the
//! loss by a large power of two before differentiating and divides the gradients by it after,
//! skipping the step (and halving the scale) when a gradient overflowed. bf16 has f32's range
//! and needs no scaling.
//!
//! ```
//! use cotangent::{try_value_and_grad_n, DType, Tensor};
//! use cotangent_nn::mixed::{cast_params, LossScaler};
//! use cotangent_nn::{loss, Adam, Init, Linear, Module};
//!
//! let model = Linear::new(3, 2, &mut Init::new(0, DType::F32)); // f32 master weights
//! let half = model.to_dtype(DType::F16); // receives the f16 copies
//! let x = Tensor::randn(&[8, 3], 1, DType::F16);
//! let y = Tensor::from_vec(vec![0i64, 1, 0, 1, 1, 0, 0, 1], &[8]);
//! let mut params = model.param_tensors();
//! let (mut opt, mut scaler) = (Adam::new(0.1), LossScaler::new());
//! let step_loss = |ps: &[Tensor]| {
//!     let logits = half.with_params(&cast_params(ps, DType::F16)).forward(&x);
//!     loss::cross_entropy(&logits.cast(DType::F32), &y) // the loss in f32
//! };
//! let first = step_loss(&params).item::<f32>();
//! for _ in 0..20 {
//!     let (_, grads) = try_value_and_grad_n(|ps| scaler.scale_loss(&step_loss(ps)), &params).unwrap();
//!     assert_eq!(grads[0].dtype(), DType::F32);
//!     scaler.step(&mut opt, &mut params, &grads);
//! }
//! assert!(step_loss(&params).item::<f32>() < first);
//! ```

use cotangent::{DType, Tensor, no_grad};

use crate::optim::Optimizer;

/// The parameters cast to `dtype` (the float ones; the cast is recorded, so gradients flow
/// back to `params` in their own dtype).
///
/// ```
/// use cotangent::{grad_n, DType, Tensor};
/// use cotangent_nn::mixed::cast_params;
/// let w = Tensor::from_vec(vec![1.5f32, -2.0], &[2]);
/// let g = grad_n(|ps: &[Tensor]| cast_params(ps, DType::BF16)[0].square().sum())(&[w]);
/// assert_eq!((g[0].dtype(), g[0].to_vec::<f32>()), (DType::F32, vec![3.0, -4.0]));
/// ```
pub fn cast_params(params: &[Tensor], dtype: DType) -> Vec<Tensor> {
    params
        .iter()
        .map(|p| {
            if p.dtype().is_float() {
                p.cast(dtype)
            } else {
                p.clone()
            }
        })
        .collect()
}

/// Dynamic loss scaling, with PyTorch `GradScaler`'s defaults: the scale starts at 2^16, is
/// halved after every step whose gradients hold an inf or NaN (that step is skipped), and
/// doubles after 2,000 steps in a row without one.
///
/// ```
/// use cotangent::Tensor;
/// use cotangent_nn::{mixed::LossScaler, Sgd};
/// let mut scaler = LossScaler::new();
/// assert_eq!(scaler.scale(), 65536.0);
/// let mut params = vec![Tensor::scalar(1.0f32)];
/// // A gradient that overflowed: no step, and half the scale.
/// let taken = scaler.step(&mut Sgd::new(0.1), &mut params, &[Tensor::scalar(f32::INFINITY)]);
/// assert!(!taken);
/// assert_eq!((scaler.scale(), scaler.skipped(), params[0].item::<f32>()), (32768.0, 1, 1.0));
/// // A finite (scaled) gradient: divided by the scale, then the optimizer's step.
/// assert!(scaler.step(&mut Sgd::new(0.1), &mut params, &[Tensor::scalar(32768.0f32)]));
/// assert_eq!(params[0].item::<f32>(), 0.9);
/// ```
#[derive(Debug, Clone)]
pub struct LossScaler {
    scale: f64,
    growth_factor: f64,
    backoff_factor: f64,
    growth_interval: usize,
    good_steps: usize,
    skipped: usize,
}

impl Default for LossScaler {
    fn default() -> Self {
        LossScaler::new()
    }
}

impl LossScaler {
    /// A dynamic scaler with PyTorch's defaults (start 2^16, ×2 after 2,000 good steps, ×0.5
    /// after an overflow).
    ///
    /// ```
    /// assert_eq!(cotangent_nn::mixed::LossScaler::new().scale(), 65536.0);
    /// ```
    pub fn new() -> LossScaler {
        LossScaler {
            scale: 65536.0,
            growth_factor: 2.0,
            backoff_factor: 0.5,
            growth_interval: 2000,
            good_steps: 0,
            skipped: 0,
        }
    }

    /// A scaler that keeps the scale at `scale` (static loss scaling; 1.0 turns scaling off,
    /// while steps with non-finite gradients are still skipped).
    ///
    /// ```
    /// use cotangent_nn::mixed::LossScaler;
    /// let mut s = LossScaler::fixed(1.0);
    /// s.update(true);
    /// assert_eq!(s.scale(), 1.0);
    /// ```
    pub fn fixed(scale: f64) -> LossScaler {
        LossScaler {
            scale,
            growth_factor: 1.0,
            backoff_factor: 1.0,
            ..LossScaler::new()
        }
    }

    /// The initial scale (a power of two keeps scaling exact).
    ///
    /// ```
    /// assert_eq!(cotangent_nn::mixed::LossScaler::new().init_scale(1024.0).scale(), 1024.0);
    /// ```
    pub fn init_scale(mut self, scale: f64) -> LossScaler {
        self.scale = scale;
        self
    }

    /// Good steps in a row after which the scale grows.
    ///
    /// ```
    /// use cotangent_nn::mixed::LossScaler;
    /// let mut s = LossScaler::new().growth_interval(2);
    /// s.update(false);
    /// s.update(false);
    /// assert_eq!(s.scale(), 131072.0);
    /// ```
    pub fn growth_interval(mut self, steps: usize) -> LossScaler {
        self.growth_interval = steps.max(1);
        self
    }

    /// The current scale.
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// How many steps were skipped for non-finite gradients so far.
    pub fn skipped(&self) -> usize {
        self.skipped
    }

    /// `loss · scale`, to differentiate instead of `loss`.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let s = cotangent_nn::mixed::LossScaler::new().init_scale(8.0);
    /// assert_eq!(s.scale_loss(&Tensor::scalar(0.5f32)).item::<f32>(), 4.0);
    /// ```
    pub fn scale_loss(&self, loss: &Tensor) -> Tensor {
        loss * self.scale
    }

    /// The gradients divided by the scale, or `None` when one of them holds an inf or NaN
    /// (the step must be skipped). Does not change the scale; see [`LossScaler::update`].
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let s = cotangent_nn::mixed::LossScaler::new().init_scale(4.0);
    /// let g = s.unscale(&[Tensor::from_vec(vec![2.0f32, -8.0], &[2])]).unwrap();
    /// assert_eq!(g[0].to_vec::<f32>(), vec![0.5, -2.0]);
    /// assert!(s.unscale(&[Tensor::scalar(f32::NAN)]).is_none());
    /// ```
    pub fn unscale(&self, grads: &[Tensor]) -> Option<Vec<Tensor>> {
        no_grad(|| {
            // `0 · g` sums to NaN exactly when some element of `g` is inf or NaN.
            let finite = grads
                .iter()
                .all(|g| (g.detach() * 0.0).sum().item_f64().is_finite());
            finite.then(|| grads.iter().map(|g| g.detach() / self.scale).collect())
        })
    }

    /// Record one step's outcome: after an overflow the scale shrinks and the good-step count
    /// restarts; after `growth_interval` good steps in a row it grows.
    pub fn update(&mut self, found_inf: bool) {
        if found_inf {
            self.scale *= self.backoff_factor;
            self.good_steps = 0;
            self.skipped += 1;
            return;
        }
        self.good_steps += 1;
        if self.good_steps >= self.growth_interval {
            self.scale *= self.growth_factor;
            self.good_steps = 0;
        }
    }

    /// Unscale `grads` (gradients of [`LossScaler::scale_loss`]) and let `opt` step `params`
    /// with them, unless one is non-finite; then update the scale. Returns whether the step
    /// was taken.
    pub fn step(
        &mut self,
        opt: &mut dyn Optimizer,
        params: &mut [Tensor],
        grads: &[Tensor],
    ) -> bool {
        let unscaled = self.unscale(grads);
        self.update(unscaled.is_none());
        match unscaled {
            Some(g) => {
                opt.step(params, &g);
                true
            }
            None => false,
        }
    }
}
