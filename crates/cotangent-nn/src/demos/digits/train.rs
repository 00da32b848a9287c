//! The digits training loop: mini-batch AdamW with a warm-up + cosine schedule on an MLP or a
//! CNN (any [`Classify`] model), the gradients taken with `try_value_and_grad_n` over the
//! parameter list.

use cotangent::{DType, Tensor, no_grad, try_value_and_grad_n};

use super::{Classify, Digits, DigitsCnn};
use crate::demos::{SplitMix, StepInfo, TrainLog, argmax_rows};
use crate::error::NnError;
use crate::init::Init;
use crate::layers::{Activation, Mlp};
use crate::loss;
use crate::mixed::{LossScaler, cast_params};
use crate::optim::{AdamW, LrSchedule, Optimizer, WarmupCosine};

/// Hyper-parameters of a digits run.
///
/// ```
/// let cfg = cotangent_nn::demos::digits::DigitsConfig::quick();
/// assert!(cfg.epochs < cotangent_nn::demos::digits::DigitsConfig::default().epochs);
/// ```
#[derive(Debug, Clone)]
pub struct DigitsConfig {
    /// Widths of the hidden layers (input 64 and output 10 are added).
    pub hidden: Vec<usize>,
    /// Passes over the training set.
    pub epochs: usize,
    /// Images per step.
    pub batch_size: usize,
    /// Peak learning rate.
    pub lr: f64,
    /// AdamW's decoupled weight decay.
    pub weight_decay: f64,
    /// Seed of the initial weights and the shuffling.
    pub seed: u64,
    /// The dtype of the forward and backward passes: `F32`, or `F16`/`BF16` for mixed
    /// precision (f32 master weights updated by the optimizer, the loss in f32, dynamic loss
    /// scaling for `F16`; see [`crate::mixed`]). Test accuracy is measured with the f32
    /// master weights.
    pub compute: DType,
}

impl Default for DigitsConfig {
    /// The full run: one hidden layer of 128, 40 epochs of batch 64, peak lr 3e-3.
    fn default() -> Self {
        DigitsConfig {
            hidden: vec![128],
            epochs: 40,
            batch_size: 64,
            lr: 3e-3,
            weight_decay: 1e-4,
            seed: 0,
            compute: DType::F32,
        }
    }
}

impl DigitsConfig {
    /// A short run for CI: 2 epochs.
    ///
    /// ```
    /// assert_eq!(cotangent_nn::demos::digits::DigitsConfig::quick().epochs, 2);
    /// ```
    pub fn quick() -> DigitsConfig {
        DigitsConfig {
            epochs: 2,
            ..DigitsConfig::default()
        }
    }
}

/// The outcome of a run (of the MLP unless `M` says otherwise).
///
/// ```
/// use cotangent_nn::demos::digits::{train, Digits, DigitsConfig, DIGITS_PATH};
/// let (tr, te) = Digits::load(DIGITS_PATH).unwrap().split(0.2, 0);
/// let run = train(&DigitsConfig { epochs: 1, ..DigitsConfig::default() }, &tr, &te, &mut |_| {}).unwrap();
/// assert_eq!(run.log.evals.last().unwrap().1, run.test_accuracy);
/// ```
#[derive(Debug, Clone)]
pub struct DigitsRun<M = Mlp> {
    /// The trained classifier (logits over 10 classes).
    pub model: M,
    /// Losses and per-epoch test accuracies.
    pub log: TrainLog,
    /// Test accuracy at the end.
    pub test_accuracy: f64,
    /// Optimizer steps taken.
    pub steps: usize,
    /// Steps the f16 loss scaler skipped because a gradient overflowed (0 for f32 and bf16).
    pub skipped: usize,
}

/// The fraction of `data` that `model` classifies correctly.
///
/// ```
/// use cotangent::DType;
/// use cotangent_nn::demos::digits::{accuracy, Digits, DIGITS_PATH};
/// use cotangent_nn::{Activation, Init, Mlp};
/// let d = Digits::load(DIGITS_PATH).unwrap();
/// let untrained = Mlp::new(&[64, 10], Activation::Relu, &mut Init::new(0, DType::F32));
/// assert!(accuracy(&untrained, &d) < 0.5);
/// ```
pub fn accuracy<M: Classify>(model: &M, data: &Digits) -> f64 {
    let logits = no_grad(|| model.logits(&data.images));
    let labels = data.labels.to_vec::<i64>();
    let hits = argmax_rows(&logits)
        .iter()
        .zip(&labels)
        .filter(|(p, y)| **p as i64 == **y)
        .count();
    hits as f64 / labels.len().max(1) as f64
}

/// Train an MLP on `train_set`, evaluating on `test_set` after every epoch; `on_step` sees each
/// step.
///
/// ```
/// use cotangent_nn::demos::digits::{train, Digits, DigitsConfig, DIGITS_PATH};
/// let (tr, te) = Digits::load(DIGITS_PATH).unwrap().split(0.2, 0);
/// let cfg = DigitsConfig { epochs: 1, ..DigitsConfig::default() };
/// let run = train(&cfg, &tr, &te, &mut |_| {}).unwrap();
/// assert_eq!(run.steps, tr.len().div_ceil(cfg.batch_size));
/// ```
pub fn train(
    cfg: &DigitsConfig,
    train_set: &Digits,
    test_set: &Digits,
    on_step: &mut dyn FnMut(&StepInfo),
) -> Result<DigitsRun, NnError> {
    let mut sizes = vec![64];
    sizes.extend(&cfg.hidden);
    sizes.push(10);
    let model = Mlp::new(
        &sizes,
        Activation::Relu,
        &mut Init::new(cfg.seed, DType::F32),
    );
    fit(model, cfg, train_set, test_set, on_step)
}

/// Train the small CNN ([`DigitsCnn`]) with the same loop, optimizer and schedule as
/// [`train`] (`cfg.hidden` is not used).
///
/// ```no_run
/// use cotangent_nn::demos::digits::{train_cnn, Digits, DigitsConfig, DIGITS_PATH};
/// let (tr, te) = Digits::load(DIGITS_PATH).unwrap().split(0.2, 0);
/// let run = train_cnn(&DigitsConfig::default(), &tr, &te, &mut |_| {}).unwrap();
/// println!("CNN test accuracy {:.2}%", 100.0 * run.test_accuracy);
/// ```
pub fn train_cnn(
    cfg: &DigitsConfig,
    train_set: &Digits,
    test_set: &Digits,
    on_step: &mut dyn FnMut(&StepInfo),
) -> Result<DigitsRun<DigitsCnn>, NnError> {
    let model = DigitsCnn::new(&mut Init::new(cfg.seed, DType::F32));
    fit(model, cfg, train_set, test_set, on_step)
}

/// The loop shared by both models: shuffled mini-batches, AdamW, warm-up + cosine.
fn fit<M: Classify>(
    model: M,
    cfg: &DigitsConfig,
    train_set: &Digits,
    test_set: &Digits,
    on_step: &mut dyn FnMut(&StepInfo),
) -> Result<DigitsRun<M>, NnError> {
    let mut params = model.param_tensors();
    // Mixed precision: a copy of the model in the compute dtype receives the casts of the f32
    // master parameters inside the differentiated function.
    let half = model.to_dtype(cfg.compute);
    let mut scaler = match cfg.compute {
        DType::F16 => LossScaler::new(),
        _ => LossScaler::fixed(1.0),
    };
    let n = train_set.len();
    let per_epoch = n.div_ceil(cfg.batch_size);
    let steps = per_epoch * cfg.epochs;
    let schedule = WarmupCosine::new(cfg.lr, per_epoch.min(steps / 10), steps, cfg.lr * 0.01);
    let mut opt = AdamW::new(cfg.lr, cfg.weight_decay);
    let mut rng = SplitMix::new(cfg.seed ^ 0xD1617);
    let mut log = TrainLog::default();
    let mut step = 0;
    for _ in 0..cfg.epochs {
        let mut order: Vec<i64> = (0..n as i64).collect();
        rng.shuffle(&mut order);
        for (b, chunk) in order.chunks(cfg.batch_size).enumerate() {
            let batch = train_set.select(&Tensor::from_vec(chunk.to_vec(), &[chunk.len()]));
            let lr = schedule.lr_at(step);
            opt.set_lr(lr);
            let images = batch.images.cast(cfg.compute);
            let scale = scaler.scale();
            let (l, grads) = try_value_and_grad_n(
                |ps| {
                    let logits = half
                        .with_params(&cast_params(ps, cfg.compute))
                        .logits(&images);
                    let l = loss::cross_entropy(&logits.cast(DType::F32), &batch.labels);
                    scaler.scale_loss(&l)
                },
                &params,
            )?;
            scaler.step(&mut opt, &mut params, &grads);
            let loss = l.item_f64() / scale;
            log.losses.push(loss);
            let eval =
                (b + 1 == per_epoch).then(|| accuracy(&model.with_params(&params), test_set));
            if let Some(acc) = eval {
                log.evals.push((step, acc));
            }
            on_step(&StepInfo {
                step,
                steps,
                loss,
                lr,
                eval,
            });
            step += 1;
        }
    }
    let model = model.with_params(&params);
    let test_accuracy = accuracy(&model, test_set);
    Ok(DigitsRun {
        model,
        log,
        test_accuracy,
        steps,
        skipped: scaler.skipped(),
    })
}
