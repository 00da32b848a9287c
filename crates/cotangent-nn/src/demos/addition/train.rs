//! The addition training loop (AdamW, warm-up + cosine schedule, global-norm clipping, loss on
//! the answer tokens only) and greedy decoding for evaluation.

use cotangent::{DType, Tensor, no_grad, try_value_and_grad_n};

use super::data::{ANSWER_LEN, PROMPT_LEN, Sampler, decode_answer, encode, held_out_pairs};
use super::model::AdditionModel;
use crate::demos::{StepInfo, TrainLog, argmax_rows};
use crate::error::NnError;
use crate::init::Init;
use crate::loss;
use crate::module::Module;
use crate::optim::{AdamW, LrSchedule, Optimizer, WarmupCosine, clip_grad_norm};

/// Hyper-parameters of an addition run.
///
/// ```
/// let cfg = cotangent_nn::demos::addition::AdditionConfig::default();
/// assert_eq!((cfg.layers, cfg.heads), (2, 4));
/// ```
#[derive(Debug, Clone)]
pub struct AdditionConfig {
    /// Model width.
    pub dim: usize,
    /// Attention heads per block.
    pub heads: usize,
    /// Transformer blocks.
    pub layers: usize,
    /// Optimizer steps.
    pub steps: usize,
    /// Problems per step.
    pub batch_size: usize,
    /// Peak learning rate.
    pub lr: f64,
    /// Warm-up steps.
    pub warmup: usize,
    /// AdamW's decoupled weight decay.
    pub weight_decay: f64,
    /// Global gradient-norm bound.
    pub clip: f64,
    /// Seed of the weights, the training problems and the held-out set.
    pub seed: u64,
    /// Held-out problems for the final exact-match accuracy.
    pub held_out: usize,
    /// Steps between evaluations on the first `eval_size` held-out problems.
    pub eval_every: usize,
    /// Held-out problems used by the periodic evaluations.
    pub eval_size: usize,
}

impl Default for AdditionConfig {
    /// The full run: width 64, 4 heads, 2 blocks, 1200 steps of 128 problems, peak lr 3e-3.
    fn default() -> Self {
        AdditionConfig {
            dim: 64,
            heads: 4,
            layers: 2,
            steps: 1200,
            batch_size: 128,
            lr: 3e-3,
            warmup: 100,
            weight_decay: 0.01,
            clip: 1.0,
            seed: 0,
            held_out: 2000,
            eval_every: 250,
            eval_size: 500,
        }
    }
}

impl AdditionConfig {
    /// A short run for CI: a narrower model, 40 steps of 32 problems.
    ///
    /// ```
    /// assert_eq!(cotangent_nn::demos::addition::AdditionConfig::quick().steps, 40);
    /// ```
    pub fn quick() -> AdditionConfig {
        AdditionConfig {
            dim: 32,
            steps: 40,
            batch_size: 32,
            warmup: 5,
            held_out: 100,
            eval_every: 20,
            eval_size: 100,
            ..AdditionConfig::default()
        }
    }
}

/// The outcome of a run.
///
/// ```
/// use cotangent_nn::demos::addition::{train, AdditionConfig};
/// let run = train(&AdditionConfig { steps: 1, ..AdditionConfig::quick() }, &mut |_| {}).unwrap();
/// assert_eq!((run.steps, run.held_out.len()), (1, 100));
/// assert!(run.test_accuracy <= 1.0);
/// ```
#[derive(Debug, Clone)]
pub struct AdditionRun {
    /// The trained model.
    pub model: AdditionModel,
    /// Losses and periodic held-out accuracies.
    pub log: TrainLog,
    /// Exact-match accuracy on all held-out problems at the end.
    pub test_accuracy: f64,
    /// Optimizer steps taken.
    pub steps: usize,
    /// The held-out pairs.
    pub held_out: Vec<(u32, u32)>,
}

/// Greedy completions: the sum the model writes for each pair, decoding its four answer
/// tokens one at a time (batched over the pairs).
///
/// ```
/// use cotangent::DType;
/// use cotangent_nn::demos::addition::{complete, AdditionModel};
/// use cotangent_nn::Init;
/// let m = AdditionModel::new(16, 2, 1, &mut Init::new(0, DType::F32));
/// assert_eq!(complete(&m, &[(1, 2), (3, 4)]).len(), 2);
/// ```
pub fn complete(model: &AdditionModel, pairs: &[(u32, u32)]) -> Vec<u32> {
    let n = pairs.len();
    let prompts: Vec<i64> = pairs
        .iter()
        .flat_map(|&(a, b)| encode(a, b)[..PROMPT_LEN].to_vec())
        .collect();
    let mut tokens = Tensor::from_vec(prompts, &[n, PROMPT_LEN]);
    no_grad(|| {
        for t in PROMPT_LEN..PROMPT_LEN + ANSWER_LEN {
            let logits = model.forward(&tokens);
            let last = logits.narrow(1, t - 1, 1).reshape(&[n, logits.dims()[2]]);
            let next: Vec<i64> = argmax_rows(&last).iter().map(|&i| i as i64).collect();
            tokens = Tensor::concat(&[tokens.clone(), Tensor::from_vec(next, &[n, 1])], 1);
        }
    });
    let all = tokens.to_vec::<i64>();
    all.chunks(PROMPT_LEN + ANSWER_LEN)
        .map(|row| decode_answer(&row[PROMPT_LEN..]))
        .collect()
}

/// The fraction of pairs whose greedy completion is exactly `a + b`.
///
/// ```
/// use cotangent::DType;
/// use cotangent_nn::demos::addition::{exact_match, AdditionModel};
/// use cotangent_nn::Init;
/// let m = AdditionModel::new(16, 2, 1, &mut Init::new(0, DType::F32));
/// assert!(exact_match(&m, &[(1, 2), (3, 4)]) <= 1.0);
/// ```
pub fn exact_match(model: &AdditionModel, pairs: &[(u32, u32)]) -> f64 {
    let got = complete(model, pairs);
    let hits = pairs
        .iter()
        .zip(&got)
        .filter(|((a, b), s)| a + b == **s)
        .count();
    hits as f64 / pairs.len().max(1) as f64
}

/// Train an [`AdditionModel`] from scratch; `on_step` sees each step.
///
/// ```
/// use cotangent_nn::demos::addition::{train, AdditionConfig};
/// let cfg = AdditionConfig { steps: 2, eval_every: 1, ..AdditionConfig::quick() };
/// let run = train(&cfg, &mut |_| {}).unwrap();
/// assert_eq!(run.log.losses.len(), 2);
/// ```
pub fn train(
    cfg: &AdditionConfig,
    on_step: &mut dyn FnMut(&StepInfo),
) -> Result<AdditionRun, NnError> {
    let mut init = Init::new(cfg.seed, DType::F32);
    let model = AdditionModel::new(cfg.dim, cfg.heads, cfg.layers, &mut init);
    let held_out = held_out_pairs(cfg.held_out, cfg.seed ^ 0x7E57);
    let eval_pairs = &held_out[..cfg.eval_size.min(held_out.len())];
    let mut sampler = Sampler::new(cfg.seed ^ 0x7EA1, &held_out);
    let schedule = WarmupCosine::new(cfg.lr, cfg.warmup, cfg.steps, cfg.lr * 0.02);
    let mut opt = AdamW::new(cfg.lr, cfg.weight_decay).betas(0.9, 0.98);
    let mut params = model.param_tensors();
    let mut log = TrainLog::default();
    for step in 0..cfg.steps {
        let (x, y) = sampler.batch(cfg.batch_size);
        let lr = schedule.lr_at(step);
        opt.set_lr(lr);
        let (l, grads) = try_value_and_grad_n(
            |ps| {
                let logits = model.with_params(ps).forward(&x);
                loss::cross_entropy(&logits.narrow(1, PROMPT_LEN - 1, ANSWER_LEN), &y)
            },
            &params,
        )?;
        let (grads, _) = clip_grad_norm(&grads, cfg.clip);
        opt.step(&mut params, &grads);
        let loss = l.item_f64();
        log.losses.push(loss);
        let last = step + 1 == cfg.steps;
        let eval = ((step + 1) % cfg.eval_every.max(1) == 0 || last)
            .then(|| exact_match(&model.with_params(&params), eval_pairs));
        if let Some(acc) = eval {
            log.evals.push((step, acc));
        }
        on_step(&StepInfo {
            step,
            steps: cfg.steps,
            loss,
            lr,
            eval,
        });
    }
    let model = model.with_params(&params);
    let test_accuracy = exact_match(&model, &held_out);
    Ok(AdditionRun {
        model,
        log,
        test_accuracy,
        steps: cfg.steps,
        held_out,
    })
}
