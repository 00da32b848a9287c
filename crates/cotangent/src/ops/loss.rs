//! Losses composed from primitives: cross-entropy with integer labels, and mean squared error.
//!
//! `cross_entropy` rejects out-of-range labels when their values are known. Labels that are
//! being traced (an input of `jit` or a mapped input of `vmap`) cannot be read, so that check
//! is skipped there: an out-of-range traced label contributes a zero loss term.

use std::panic::Location;

use crate::core::{DType, Error, Result, Tensor};

/// **Losses and log-probabilities**: log_softmax, cross-entropy, ...
impl Tensor {
    /// Mean cross-entropy of `self` (logits `[batch, classes]`) against i64 `labels`
    /// `[batch]`, with natural log: `mean(-log_softmax(logits)[i, labels[i]])`.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let logits = Tensor::from_vec(vec![0.0, 0.0], &[1, 2]);
    /// let labels = Tensor::from_vec(vec![1i64], &[1]);
    /// let l = logits.cross_entropy(&labels).item::<f64>();
    /// assert!((l - 2f64.ln()).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn try_cross_entropy(&self, labels: &Tensor) -> Result<Tensor> {
        let loc = Location::caller();
        if self.rank() != 2 || labels.rank() != 1 || labels.dims()[0] != self.dims()[0] {
            return Err(Error::shape(
                "cross_entropy",
                format!(
                    "expected logits [batch, classes] and labels [batch], got {} and {}",
                    self.shape(),
                    labels.shape()
                ),
            )
            .at(loc));
        }
        if labels.dtype() != DType::I64 {
            return Err(Error::dtype(
                "cross_entropy",
                format!("labels must be i64, got {}", labels.dtype()),
            )
            .at(loc));
        }
        // Pick each row's entry with a select, not by multiplying with a one-hot row: a `-inf`
        // logit of another class would give `-inf · 0 = NaN` (JAX and PyTorch give a finite loss).
        let mask = labels.label_mask("cross_entropy", self.dims()[1])?;
        let logp = self.try_log_softmax(-1)?;
        let picked = mask
            .try_select(&logp, &logp.scalar_like(0.0))?
            .try_sum_axes(&[-1], false)?;
        Ok(-picked.try_mean()?)
    }
    panicking!(
        /// Mean cross-entropy with integer labels; see [`Tensor::try_cross_entropy`].
        cross_entropy(labels: &Tensor) => try_cross_entropy
    );

    /// Mean squared error `mean((self - target)²)`.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let p = Tensor::from_vec(vec![1.0, 3.0], &[2]);
    /// let t = Tensor::from_vec(vec![0.0, 0.0], &[2]);
    /// assert_eq!(p.mse(&t).item::<f64>(), 5.0);
    /// ```
    #[track_caller]
    pub fn try_mse(&self, target: &Tensor) -> Result<Tensor> {
        self.try_sub(target)?.try_square()?.try_mean()
    }
    panicking!(
        /// Mean squared error; see [`Tensor::try_mse`].
        mse(target: &Tensor) => try_mse
    );
}
