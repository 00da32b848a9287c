//! Losses, each a mean over the batch: cross-entropy with integer labels (optionally with label
//! smoothing), mean squared error, and binary cross-entropy on logits computed stably.

use cotangent::{DType, Tensor};

/// `logits: [..., classes]` and `labels: [...]` flattened to `[n, classes]` and `[n]`.
#[track_caller]
fn flat(logits: &Tensor, labels: &Tensor) -> (Tensor, Tensor) {
    assert!(
        logits.rank() >= 1,
        "cross_entropy: logits must be [..., classes]"
    );
    assert_eq!(
        labels.dtype(),
        DType::I64,
        "cross_entropy: labels must be i64"
    );
    let classes = logits.dims()[logits.rank() - 1];
    assert_eq!(
        &logits.dims()[..logits.rank() - 1],
        labels.dims(),
        "cross_entropy: logits {:?} and labels {:?} disagree",
        logits.dims(),
        labels.dims()
    );
    let n = labels.numel();
    (logits.reshape(&[n, classes]), labels.reshape(&[n]))
}

/// Mean cross-entropy of `logits: [..., classes]` against i64 `labels: [...]`:
/// `mean(-log_softmax(logits)[label])` (natural log).
///
/// ```
/// use cotangent::Tensor;
/// let logits = Tensor::from_vec(vec![0.0, 0.0, 0.0, 0.0], &[2, 2]);
/// let labels = Tensor::from_vec(vec![0i64, 1], &[2]);
/// let l = cotangent_nn::loss::cross_entropy(&logits, &labels).item::<f64>();
/// assert!((l - 2f64.ln()).abs() < 1e-15);
/// ```
#[track_caller]
pub fn cross_entropy(logits: &Tensor, labels: &Tensor) -> Tensor {
    let (z, y) = flat(logits, labels);
    z.cross_entropy(&y)
}

/// Cross-entropy against smoothed targets `(1 - ε)·onehot + ε/classes`, as PyTorch's
/// `cross_entropy(label_smoothing=ε)`: `(1 - ε)·nll + ε·mean_c(-log p_c)`.
///
/// ```
/// use cotangent::Tensor;
/// use cotangent_nn::loss::{cross_entropy, cross_entropy_smoothed};
/// let logits = Tensor::from_vec(vec![2.0, 0.0, -1.0], &[1, 3]);
/// let labels = Tensor::from_vec(vec![0i64], &[1]);
/// let plain = cross_entropy(&logits, &labels).item::<f64>();
/// assert_eq!(cross_entropy_smoothed(&logits, &labels, 0.0).item::<f64>(), plain);
/// assert!(cross_entropy_smoothed(&logits, &labels, 0.1).item::<f64>() > plain);
/// ```
#[track_caller]
pub fn cross_entropy_smoothed(logits: &Tensor, labels: &Tensor, smoothing: f64) -> Tensor {
    assert!(
        (0.0..=1.0).contains(&smoothing),
        "cross_entropy_smoothed: smoothing {smoothing} is not in [0, 1]"
    );
    let (z, y) = flat(logits, labels);
    let classes = z.dims()[1];
    let logp = z.log_softmax(-1);
    let target = y.one_hot(classes, z.dtype()) * (1.0 - smoothing) + smoothing / classes as f64;
    -(logp * target).sum_axes(&[-1], false).mean()
}

/// Mean squared error `mean((pred - target)²)`; the shapes must broadcast.
///
/// ```
/// use cotangent::Tensor;
/// let p = Tensor::from_vec(vec![1.0, 2.0], &[2]);
/// let t = Tensor::from_vec(vec![0.0, 0.0], &[2]);
/// assert_eq!(cotangent_nn::loss::mse(&p, &t).item::<f64>(), 2.5);
/// ```
#[track_caller]
pub fn mse(pred: &Tensor, target: &Tensor) -> Tensor {
    pred.mse(target)
}

/// Mean binary cross-entropy of `logits` against `targets` in `[0, 1]` (same shape), without
/// forming the sigmoid: `mean(softplus(z) - z·t)`, which is
/// `max(z, 0) - z·t + log1p(e^-|z|)` and neither overflows nor loses precision for large `|z|`.
///
/// ```
/// use cotangent::Tensor;
/// use cotangent_nn::loss::binary_cross_entropy_with_logits;
/// let z = Tensor::from_vec(vec![1000.0, -1000.0], &[2]);
/// let t = Tensor::from_vec(vec![1.0, 0.0], &[2]);
/// assert_eq!(binary_cross_entropy_with_logits(&z, &t).item::<f64>(), 0.0);
/// ```
#[track_caller]
pub fn binary_cross_entropy_with_logits(logits: &Tensor, targets: &Tensor) -> Tensor {
    assert_eq!(
        logits.dims(),
        targets.dims(),
        "binary_cross_entropy_with_logits: logits and targets differ in shape"
    );
    (logits.softplus() - logits * targets).mean()
}
