//! Learning-rate schedules: a step number (from 0) in, a learning rate out. Apply one with
//! `opt.set_lr(schedule.lr_at(step))` before each step.

/// A learning rate for each step.
///
/// ```
/// use cotangent_nn::{LrSchedule, StepLr};
/// let s = StepLr::new(1.0, 10, 0.5);
/// assert_eq!((s.lr_at(0), s.lr_at(10), s.lr_at(25)), (1.0, 0.5, 0.25));
/// ```
pub trait LrSchedule {
    /// The learning rate at `step` (counted from 0).
    fn lr_at(&self, step: usize) -> f64;
}

/// The same rate at every step.
///
/// ```
/// use cotangent_nn::{ConstantLr, LrSchedule};
/// assert_eq!(ConstantLr(0.1).lr_at(1000), 0.1);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct ConstantLr(pub f64);

impl LrSchedule for ConstantLr {
    fn lr_at(&self, _: usize) -> f64 {
        self.0
    }
}

/// `base · gamma^⌊step / step_size⌋`: decay by `gamma` every `step_size` steps.
///
/// ```
/// use cotangent_nn::{LrSchedule, StepLr};
/// assert_eq!(StepLr::new(0.1, 100, 0.1).lr_at(99), 0.1);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct StepLr {
    /// The rate before the first decay.
    pub base: f64,
    /// Steps between decays (at least 1).
    pub step_size: usize,
    /// The factor of each decay.
    pub gamma: f64,
}

impl StepLr {
    /// A step schedule.
    ///
    /// ```
    /// let s = cotangent_nn::StepLr::new(0.1, 100, 0.5);
    /// assert_eq!(s.step_size, 100);
    /// ```
    #[track_caller]
    pub fn new(base: f64, step_size: usize, gamma: f64) -> StepLr {
        assert!(step_size > 0, "StepLr: step_size must be at least 1");
        StepLr {
            base,
            step_size,
            gamma,
        }
    }
}

impl LrSchedule for StepLr {
    fn lr_at(&self, step: usize) -> f64 {
        self.base * self.gamma.powi((step / self.step_size) as i32)
    }
}

/// Linear warm-up from `peak / warmup` to `peak` over the first `warmup` steps, then cosine
/// decay from `peak` to `floor` at step `total` (and `floor` after).
///
/// ```
/// use cotangent_nn::{LrSchedule, WarmupCosine};
/// let s = WarmupCosine::new(1.0, 10, 110, 0.0);
/// assert_eq!(s.lr_at(0), 0.1);
/// assert_eq!(s.lr_at(9), 1.0);
/// assert!((s.lr_at(60) - 0.5).abs() < 1e-12);
/// assert_eq!(s.lr_at(110), 0.0);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct WarmupCosine {
    /// The rate at the end of warm-up.
    pub peak: f64,
    /// Warm-up steps (0 for none).
    pub warmup: usize,
    /// The step at which the decay reaches `floor`.
    pub total: usize,
    /// The final rate.
    pub floor: f64,
}

impl WarmupCosine {
    /// A warm-up + cosine schedule.
    ///
    /// ```
    /// let s = cotangent_nn::WarmupCosine::new(3e-3, 100, 2000, 1e-4);
    /// assert_eq!(s.warmup, 100);
    /// ```
    pub fn new(peak: f64, warmup: usize, total: usize, floor: f64) -> WarmupCosine {
        WarmupCosine {
            peak,
            warmup,
            total,
            floor,
        }
    }
}

impl LrSchedule for WarmupCosine {
    fn lr_at(&self, step: usize) -> f64 {
        if step < self.warmup {
            return self.peak * (step + 1) as f64 / self.warmup as f64;
        }
        let span = self.total.saturating_sub(self.warmup).max(1) as f64;
        let progress = ((step - self.warmup) as f64 / span).min(1.0);
        self.floor
            + (self.peak - self.floor) * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos())
    }
}
