//! The training loops behind the crate's examples, as library functions so that tests can run
//! them for a few steps: an MLP on the UCI handwritten digits ([`digits`]) and a small
//! decoder-only transformer that learns 3-digit addition ([`addition`]).
//!
//! Both report progress through a callback taking a [`StepInfo`] and return a [`TrainLog`] of
//! the per-step losses and the periodic evaluations.

pub mod addition;
pub mod digits;

pub use crate::data::SplitMix;

use cotangent::Tensor;

/// What a training loop reports after each step.
///
/// ```
/// let info = cotangent_nn::demos::StepInfo { step: 0, steps: 10, loss: 2.3, lr: 1e-3, eval: None };
/// assert_eq!(info.steps, 10);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct StepInfo {
    /// The step just taken (from 0).
    pub step: usize,
    /// Total steps of the run.
    pub steps: usize,
    /// The training loss of this step's batch.
    pub loss: f64,
    /// The learning rate used.
    pub lr: f64,
    /// The held-out accuracy, when this step ended with an evaluation.
    pub eval: Option<f64>,
}

/// Per-step training losses and `(step, accuracy)` evaluations of one run.
///
/// ```
/// let log = cotangent_nn::demos::TrainLog { losses: vec![2.0, 1.5, 1.0, 0.5], evals: vec![] };
/// assert!(log.loss_went_down());
/// ```
#[derive(Debug, Clone, Default)]
pub struct TrainLog {
    /// The loss of every step's batch.
    pub losses: Vec<f64>,
    /// `(step, held-out accuracy)` at each evaluation.
    pub evals: Vec<(usize, f64)>,
}

impl TrainLog {
    /// Whether the mean loss of the last fifth of the steps is below that of the first fifth
    /// (at least one step each; false for a run of fewer than two steps or a non-finite loss).
    ///
    /// ```
    /// let log = cotangent_nn::demos::TrainLog { losses: vec![1.0, 1.0], evals: vec![] };
    /// assert!(!log.loss_went_down());
    /// ```
    pub fn loss_went_down(&self) -> bool {
        let n = self.losses.len();
        if n < 2 || self.losses.iter().any(|l| !l.is_finite()) {
            return false;
        }
        let k = (n / 5).max(1);
        let mean = |s: &[f64]| s.iter().sum::<f64>() / s.len() as f64;
        mean(&self.losses[n - k..]) < mean(&self.losses[..k])
    }
}

/// The index of the largest entry of each row of a `[rows, classes]` tensor (first on ties),
/// computed on the host.
///
/// ```
/// use cotangent::Tensor;
/// let z = Tensor::from_vec(vec![0.1f32, 0.9, 0.5, 0.2], &[2, 2]);
/// assert_eq!(cotangent_nn::demos::argmax_rows(&z), vec![1, 0]);
/// ```
#[track_caller]
pub fn argmax_rows(logits: &Tensor) -> Vec<usize> {
    assert_eq!(logits.rank(), 2, "argmax_rows: expected [rows, classes]");
    let c = logits.dims()[1];
    logits
        .to_f64_vec()
        .chunks(c)
        .map(|row| {
            row.iter()
                .enumerate()
                .fold((0, f64::NEG_INFINITY), |best, (i, &v)| {
                    if v > best.1 { (i, v) } else { best }
                })
                .0
        })
        .collect()
}
