//! [`BatchNorm2d`] and [`GroupNorm`]: per-channel normalization layers over
//! [`Tensor::batch_norm`] and [`Tensor::group_norm`], as `torch.nn.BatchNorm2d` and
//! `torch.nn.GroupNorm`.
//!
//! Tensors are values, so a batch-norm layer cannot update its running statistics behind the
//! caller's back inside `forward` (which may run under `grad`, `jit` or `vmap`). As in Flax,
//! the update is explicit: [`BatchNorm2d::forward_train`] returns the output and the batch's
//! statistics, and [`BatchNorm2d::update_running`] folds them into the running averages.
//! The running statistics are buffers, not parameters: they are not in the module's parameter
//! list (so optimizers and weight decay leave them alone).

use cotangent::Tensor;
use cotangent::tree::Tree;

use crate::init::Init;
use crate::module::Module;

/// Batch normalization over the channels of `[N, C, H, W]` (or any `[N, C, ...]`), as
/// `torch.nn.BatchNorm2d`: in training mode each channel is normalized by the batch's mean and
/// biased variance; in eval mode by the running averages. Then `weight · y + bias` per channel.
///
/// ```
/// use cotangent::{DType, Tensor};
/// use cotangent_nn::{BatchNorm2d, Init, Module};
/// let mut bn = BatchNorm2d::new(2, &mut Init::new(0, DType::F64));
/// let x = Tensor::from_vec(vec![1.0, 10.0, 3.0, 30.0], &[2, 2, 1, 1]);
/// let (y, stats) = bn.forward_train(&x);
/// assert!((y.to_vec::<f64>()[0] + 1.0).abs() < 1e-4);
/// bn.update_running(&stats);
/// // Momentum 0.1 towards the batch mean (2, 20) and unbiased variance (2, 200).
/// assert_eq!(bn.running_mean.to_vec::<f64>(), vec![0.2, 2.0]);
/// assert_eq!(bn.running_var.to_vec::<f64>(), vec![0.9 + 0.2, 0.9 + 20.0]);
/// bn.set_training(false);
/// assert_eq!(bn.forward(&x).dims(), &[2, 2, 1, 1]);
/// assert_eq!(bn.params().len(), 2); // weight and bias; the running statistics are buffers
/// ```
#[derive(Clone, Debug, Tree)]
pub struct BatchNorm2d {
    /// `[C]`, initially ones.
    pub weight: Tensor,
    /// `[C]`, initially zeros.
    pub bias: Tensor,
    /// `[C]`: the running mean (a buffer, not a parameter), initially zeros.
    #[tree(skip)]
    pub running_mean: Tensor,
    /// `[C]`: the running unbiased variance (a buffer), initially ones.
    #[tree(skip)]
    pub running_var: Tensor,
    /// Weight of the new batch in the running averages (PyTorch's default 0.1).
    pub momentum: f64,
    /// Added to the variance (PyTorch's default 1e-5).
    pub eps: f64,
    /// Train mode (batch statistics) or eval mode (running statistics).
    pub training: bool,
}

/// The statistics of one batch, as [`BatchNorm2d::forward_train`] returns them: detached from
/// any graph, ready for [`BatchNorm2d::update_running`].
#[derive(Clone, Debug)]
pub struct BatchStats {
    /// Per-channel mean, `[C]`.
    pub mean: Tensor,
    /// Per-channel unbiased variance (`n / (n − 1)` times the biased one), `[C]`.
    pub var: Tensor,
}

impl BatchNorm2d {
    /// A layer over `channels` channels with PyTorch's defaults (weight 1, bias 0, running
    /// mean 0 and variance 1, momentum 0.1, eps 1e-5), in training mode.
    ///
    /// ```
    /// use cotangent::DType;
    /// let bn = cotangent_nn::BatchNorm2d::new(3, &mut cotangent_nn::Init::new(0, DType::F32));
    /// assert_eq!((bn.weight.dims(), bn.momentum, bn.training), (&[3][..], 0.1, true));
    /// ```
    pub fn new(channels: usize, init: &mut Init) -> BatchNorm2d {
        BatchNorm2d {
            weight: init.ones(&[channels]),
            bias: init.zeros(&[channels]),
            running_mean: init.zeros(&[channels]),
            running_var: init.ones(&[channels]),
            momentum: 0.1,
            eps: 1e-5,
            training: true,
        }
    }

    /// The normalized `x`: by the batch's statistics in training mode, by the running ones in
    /// eval mode (the running statistics are not updated; see [`BatchNorm2d::forward_train`]).
    ///
    /// ```
    /// use cotangent::{DType, Tensor};
    /// let bn = cotangent_nn::BatchNorm2d::new(1, &mut cotangent_nn::Init::new(0, DType::F64));
    /// let y = bn.forward(&Tensor::from_vec(vec![1.0, 3.0], &[2, 1]));
    /// assert!((y.to_vec::<f64>()[1] - 1.0).abs() < 1e-4);
    /// ```
    #[track_caller]
    pub fn forward(&self, x: &Tensor) -> Tensor {
        if self.training {
            x.batch_norm(Some(&self.weight), Some(&self.bias), self.eps)
        } else {
            x.batch_norm_with_stats(
                &self.running_mean,
                &self.running_var,
                Some(&self.weight),
                Some(&self.bias),
                self.eps,
            )
        }
    }

    /// The training-mode output and the batch's statistics (detached), to pass to
    /// [`BatchNorm2d::update_running`] after the step. See the type's example.
    #[track_caller]
    pub fn forward_train(&self, x: &Tensor) -> (Tensor, BatchStats) {
        let y = x.batch_norm(Some(&self.weight), Some(&self.bias), self.eps);
        let (mean, var) = x.detach().batch_stats();
        let n = (x.numel() / x.dims()[1].max(1)) as f64;
        let var = var * (n / (n - 1.0).max(1.0));
        (y, BatchStats { mean, var })
    }

    /// Fold a batch's statistics into the running averages:
    /// `running = (1 − momentum)·running + momentum·batch`. See the type's example.
    #[track_caller]
    pub fn update_running(&mut self, stats: &BatchStats) {
        let m = self.momentum;
        let dt = self.running_mean.dtype();
        self.running_mean = &self.running_mean * (1.0 - m) + stats.mean.cast(dt) * m;
        self.running_var = &self.running_var * (1.0 - m) + stats.var.cast(dt) * m;
    }
}

impl Module for BatchNorm2d {
    fn set_training(&mut self, training: bool) {
        self.training = training;
    }
}

/// Group normalization of `[N, C, ...]`, as `torch.nn.GroupNorm`: the channels in `groups`
/// groups, each example's group normalized by its own statistics, then a per-channel affine.
/// The same in training and eval mode.
///
/// ```
/// use cotangent::{DType, Tensor};
/// use cotangent_nn::{GroupNorm, Init};
/// let gn = GroupNorm::new(2, 4, &mut Init::new(0, DType::F64));
/// let y = gn.forward(&Tensor::randn(&[3, 4, 5, 5], 0, DType::F64));
/// assert_eq!(y.dims(), &[3, 4, 5, 5]);
/// assert!(y.reshape(&[3, 2, 50]).mean_axes(&[2], false).abs().max().item::<f64>() < 1e-12);
/// ```
#[derive(Clone, Debug, Module)]
pub struct GroupNorm {
    /// `[C]`, initially ones.
    pub weight: Tensor,
    /// `[C]`, initially zeros.
    pub bias: Tensor,
    /// Number of channel groups (divides `C`).
    pub groups: usize,
    /// Added to the variance (PyTorch's default 1e-5).
    pub eps: f64,
}

impl GroupNorm {
    /// `groups` groups over `channels` channels, weight 1 and bias 0.
    ///
    /// ```
    /// use cotangent::DType;
    /// let gn = cotangent_nn::GroupNorm::new(3, 6, &mut cotangent_nn::Init::new(0, DType::F32));
    /// assert_eq!(gn.weight.dims(), &[6]);
    /// ```
    #[track_caller]
    pub fn new(groups: usize, channels: usize, init: &mut Init) -> GroupNorm {
        assert!(
            groups > 0 && channels % groups == 0,
            "GroupNorm: {channels} channels do not split into {groups} groups"
        );
        GroupNorm {
            weight: init.ones(&[channels]),
            bias: init.zeros(&[channels]),
            groups,
            eps: 1e-5,
        }
    }

    /// The normalized `x`; see [`Tensor::group_norm`] and the type's example.
    #[track_caller]
    pub fn forward(&self, x: &Tensor) -> Tensor {
        x.group_norm(self.groups, Some(&self.weight), Some(&self.bias), self.eps)
    }
}
