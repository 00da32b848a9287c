//! Normalization over channels, as `torch.nn.functional.batch_norm` and `group_norm`:
//! composites of mean, variance and elementwise ops (so every derivative, `vmap` and `jit`
//! come from those). The layout is channels-first: axis 1 of `[N, C, ...]` is the channel.
//!
//! Batch statistics are the mean and the *biased* variance (divided by the number of elements
//! averaged), as PyTorch normalizes with; a running average of the variance (as
//! `torch.nn.BatchNorm2d` keeps) uses the unbiased one, which the caller makes from
//! [`Tensor::batch_stats`] and the count.

use std::panic::Location;

use crate::core::{Error, Result, Tensor};

/// `t` (a per-channel `[C]` tensor) reshaped to broadcast against `[N, C, ...]` of rank `rank`.
fn per_channel(t: &Tensor, rank: usize) -> Result<Tensor> {
    let mut dims = vec![1; rank];
    dims[1] = t.numel();
    t.try_reshape(&dims)
}

/// An error naming `op` unless `t` is `[c]`.
fn check_channels(op: &'static str, what: &str, t: Option<&Tensor>, c: usize) -> Result<()> {
    match t {
        Some(t) if t.dims() != [c] => Err(Error::shape(
            op,
            format!("{what} {} should be [{c}], one per channel", t.shape()),
        )),
        _ => Ok(()),
    }
}

/// `y · weight + bias` per channel, each if given.
fn affine(y: Tensor, weight: Option<&Tensor>, bias: Option<&Tensor>) -> Result<Tensor> {
    let rank = y.rank();
    let y = match weight {
        Some(w) => y.try_mul(&per_channel(w, rank)?)?,
        None => y,
    };
    match bias {
        Some(b) => y.try_add(&per_channel(b, rank)?),
        None => Ok(y),
    }
}

/// `d / sqrt(var + eps)`.
fn scale_by_std(d: &Tensor, var: &Tensor, eps: f64) -> Result<Tensor> {
    d.try_div(&var.try_add(&var.scalar_like(eps))?.try_sqrt()?)
}

/// `x` minus its mean over `axes`, divided by `sqrt(var + eps)` with the biased variance over
/// the same axes.
fn standardize(x: &Tensor, axes: &[isize], eps: f64) -> Result<Tensor> {
    let d = x.try_sub(&x.try_mean_axes(axes, true)?)?;
    let var = d.try_square()?.try_mean_axes(axes, true)?;
    scale_by_std(&d, &var, eps)
}

/// The axes every channel's statistics are taken over: all but axis 1.
fn non_channel_axes(rank: usize) -> Vec<isize> {
    (0..rank as isize).filter(|&a| a != 1).collect()
}

/// An error naming `op` unless `x` is a float tensor `[N, C, ...]`.
fn check_input(op: &'static str, x: &Tensor) -> Result<usize> {
    super::need_float(op, x)?;
    if x.rank() < 2 {
        return Err(Error::shape(
            op,
            format!("input {} should be [N, C, ...]", x.shape()),
        ));
    }
    Ok(x.dims()[1])
}

/// **Normalization layers** (functional forms).
impl Tensor {
    /// The per-channel mean and biased variance of `self` (`[N, C, ...]`), each `[C]`: the
    /// statistics [`Tensor::batch_norm`] normalizes with.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 10.0, 3.0, 30.0], &[2, 2]);
    /// let (mean, var) = x.batch_stats();
    /// assert_eq!(mean.to_vec::<f64>(), vec![2.0, 20.0]);
    /// assert_eq!(var.to_vec::<f64>(), vec![1.0, 100.0]);
    /// ```
    #[track_caller]
    pub fn try_batch_stats(&self) -> Result<(Tensor, Tensor)> {
        let loc = Location::caller();
        let run = || {
            check_input("batch_norm", self)?;
            let axes = non_channel_axes(self.rank());
            let mean = self.try_mean_axes(&axes, false)?;
            let var = self.try_var_axes(&axes, false)?;
            Ok((mean, var))
        };
        run().map_err(|e: Error| e.at(loc))
    }

    /// Per-channel statistics; see [`Tensor::try_batch_stats`].
    #[track_caller]
    pub fn batch_stats(&self) -> (Tensor, Tensor) {
        self.try_batch_stats().unwrap_or_else(|e| panic!("{e}"))
    }

    /// Batch normalization with the batch's own statistics (the training mode of
    /// `torch.nn.functional.batch_norm`): each channel of `self` (`[N, C, ...]`) minus its mean
    /// over every other axis, divided by `sqrt(var + eps)`, then times `weight` and plus `bias`
    /// (each `[C]`, if given). Gradients flow through the statistics too.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 10.0, 3.0, 30.0], &[2, 2]);
    /// let y = x.batch_norm(None, Some(&Tensor::from_vec(vec![0.0, 5.0], &[2])), 0.0);
    /// assert_eq!(y.to_vec::<f64>(), vec![-1.0, 4.0, 1.0, 6.0]);
    /// let e = x.try_batch_norm(Some(&Tensor::ones(&[3], cotangent::DType::F64)), None, 1e-5);
    /// assert!(e.unwrap_err().to_string().contains("batch_norm"));
    /// ```
    #[track_caller]
    pub fn try_batch_norm(
        &self,
        weight: Option<&Tensor>,
        bias: Option<&Tensor>,
        eps: f64,
    ) -> Result<Tensor> {
        let loc = Location::caller();
        let run = || {
            let c = check_input("batch_norm", self)?;
            check_channels("batch_norm", "weight", weight, c)?;
            check_channels("batch_norm", "bias", bias, c)?;
            let y = standardize(self, &non_channel_axes(self.rank()), eps)?;
            affine(y, weight, bias)
        };
        run().map_err(|e: Error| e.at(loc))
    }

    panicking!(
        /// Batch normalization with the batch's statistics; see [`Tensor::try_batch_norm`].
        batch_norm(weight: Option<&Tensor>, bias: Option<&Tensor>, eps: f64) => try_batch_norm
    );

    /// Batch normalization with given statistics (the evaluation mode of
    /// `torch.nn.functional.batch_norm`, with its running mean and variance): each channel of
    /// `self` (`[N, C, ...]`) minus `mean`, divided by `sqrt(var + eps)`, times `weight`, plus
    /// `bias` (all `[C]`).
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 10.0, 3.0, 30.0], &[2, 2]);
    /// let (m, v) = (Tensor::from_vec(vec![1.0, 0.0], &[2]), Tensor::from_vec(vec![4.0, 100.0], &[2]));
    /// let y = x.batch_norm_with_stats(&m, &v, None, None, 0.0);
    /// assert_eq!(y.to_vec::<f64>(), vec![0.0, 1.0, 1.0, 3.0]);
    /// ```
    #[track_caller]
    pub fn try_batch_norm_with_stats(
        &self,
        mean: &Tensor,
        var: &Tensor,
        weight: Option<&Tensor>,
        bias: Option<&Tensor>,
        eps: f64,
    ) -> Result<Tensor> {
        let loc = Location::caller();
        let run = || {
            let op = "batch_norm";
            let c = check_input(op, self)?;
            check_channels(op, "mean", Some(mean), c)?;
            check_channels(op, "var", Some(var), c)?;
            check_channels(op, "weight", weight, c)?;
            check_channels(op, "bias", bias, c)?;
            let rank = self.rank();
            let d = self.try_sub(&per_channel(mean, rank)?)?;
            affine(
                scale_by_std(&d, &per_channel(var, rank)?, eps)?,
                weight,
                bias,
            )
        };
        run().map_err(|e: Error| e.at(loc))
    }

    panicking!(
        /// Batch normalization with given statistics; see [`Tensor::try_batch_norm_with_stats`].
        batch_norm_with_stats(
            mean: &Tensor,
            var: &Tensor,
            weight: Option<&Tensor>,
            bias: Option<&Tensor>,
            eps: f64
        ) => try_batch_norm_with_stats
    );

    /// Group normalization (`torch.nn.functional.group_norm`): the channels of `self`
    /// (`[N, C, ...]`) split into `groups` groups of `C / groups`; each example's group is
    /// normalized by its own mean and biased variance (over its channels and all spatial
    /// positions), then each channel is scaled by `weight` and shifted by `bias` (each `[C]`,
    /// if given). One group is layer normalization over `[C, ...]`; `C` groups is instance
    /// normalization.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 3.0, 10.0, 30.0], &[1, 2, 2]);
    /// let y = x.group_norm(2, None, None, 0.0);
    /// assert_eq!(y.to_vec::<f64>(), vec![-1.0, 1.0, -1.0, 1.0]);
    /// let e = x.try_group_norm(3, None, None, 1e-5).unwrap_err().to_string();
    /// assert!(e.contains("group_norm") && e.contains("3 groups"));
    /// ```
    #[track_caller]
    pub fn try_group_norm(
        &self,
        groups: usize,
        weight: Option<&Tensor>,
        bias: Option<&Tensor>,
        eps: f64,
    ) -> Result<Tensor> {
        let loc = Location::caller();
        let run = || {
            let op = "group_norm";
            let c = check_input(op, self)?;
            if groups == 0 || c % groups != 0 {
                return Err(Error::shape(
                    op,
                    format!(
                        "input {}: {c} channels do not split into {groups} groups",
                        self.shape()
                    ),
                ));
            }
            check_channels(op, "weight", weight, c)?;
            check_channels(op, "bias", bias, c)?;
            let n = self.dims()[0];
            let per_group = self.numel() / (n * groups).max(1);
            let g = self.try_reshape(&[n, groups, per_group])?;
            let y = standardize(&g, &[2], eps)?.try_reshape(self.dims())?;
            affine(y, weight, bias)
        };
        run().map_err(|e: Error| e.at(loc))
    }

    panicking!(
        /// Group normalization; see [`Tensor::try_group_norm`].
        group_norm(groups: usize, weight: Option<&Tensor>, bias: Option<&Tensor>, eps: f64)
            => try_group_norm
    );
}
