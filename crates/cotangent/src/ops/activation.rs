//! Composite activations and normalizers, built from primitives only (so every transformation
//! applies with no rule of their own): relu, gelu, sigmoid, log_sigmoid, silu, mish, softplus,
//! square, logsumexp, softmax, log_softmax.

use crate::core::{Result, Tensor};

/// **Activations**: relu, sigmoid, gelu, softplus, silu, ...
impl Tensor {
    /// `max(x, 0)`, with derivative 0 at 0 (as JAX).
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let x = Tensor::from_vec(vec![-1.0, 0.5], &[2]);
    /// assert_eq!(x.relu().to_vec::<f64>(), vec![0.0, 0.5]);
    /// ```
    #[track_caller]
    pub fn try_relu(&self) -> Result<Tensor> {
        let zero = self.scalar_like(0.0);
        // `x <= 0` is false for NaN, so NaN propagates as in `max(x, 0)` (JAX, PyTorch).
        self.try_le(&zero)?.try_select(&zero, self)
    }
    panicking!(
        /// Rectified linear unit; see [`Tensor::try_relu`].
        relu() => try_relu
    );

    /// `x²`.
    ///
    /// ```
    /// assert_eq!(cotangent::Tensor::scalar(3.0).square().item::<f64>(), 9.0);
    /// ```
    #[track_caller]
    pub fn try_square(&self) -> Result<Tensor> {
        self.try_mul(self)
    }
    panicking!(
        /// `x²`; see [`Tensor::try_square`].
        square() => try_square
    );

    /// The logistic function `1 / (1 + e^-x)`. With `e = e^-|x|` (which never overflows) it is
    /// `1 / (1 + e)` for `x ≥ 0` and `e / (1 + e)` below, so the tails keep their relative
    /// accuracy (`sigmoid(-40) = 4.248e-18`, as JAX gives) and both branches stay finite, so
    /// their derivatives do too.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// assert_eq!(Tensor::scalar(0.0).sigmoid().item::<f64>(), 0.5);
    /// let tail = Tensor::scalar(-40.0).sigmoid().item::<f64>();
    /// assert!((tail - 4.248354255291589e-18).abs() < 1e-30);
    /// ```
    #[track_caller]
    pub fn try_sigmoid(&self) -> Result<Tensor> {
        // `try_ge` first: the operators would panic on an integer or bool tensor.
        let nonneg = self.try_ge(&self.scalar_like(0.0))?;
        // `-|x|` written as a select, so its derivative at 0 is -1 on the branch taken there.
        let e = nonneg.try_select(&self.try_neg()?, self)?.try_exp()?;
        let r = (&e + 1.0).try_recip()?;
        nonneg.try_select(&r, &(&e * &r))
    }
    panicking!(
        /// Logistic sigmoid; see [`Tensor::try_sigmoid`].
        sigmoid() => try_sigmoid
    );

    /// `log(1 + e^x)`, computed stably as `x + log1p(e^-x)` for `x ≥ 0` and `log1p(e^x)` below
    /// (both branches finite everywhere, so their derivatives are too).
    ///
    /// ```
    /// let y = cotangent::Tensor::scalar(0.0).softplus();
    /// assert!((y.item::<f64>() - 2f64.ln()).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn try_softplus(&self) -> Result<Tensor> {
        let nonneg = self.try_ge(&self.scalar_like(0.0))?;
        let tail = nonneg
            .try_select(&self.try_neg()?, self)?
            .try_exp()?
            .try_log1p()?;
        nonneg.try_select(&(self + &tail), &tail)
    }
    panicking!(
        /// Softplus; see [`Tensor::try_softplus`].
        softplus() => try_softplus
    );

    /// `log(sigmoid(x))`, computed as `-softplus(-x)` (as `jax.nn.log_sigmoid`), so it stays
    /// accurate for large negative `x`: `log_sigmoid(-800) = -800`, with derivative 1.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// assert_eq!(Tensor::scalar(-800.0).log_sigmoid().item::<f64>(), -800.0);
    /// assert!((Tensor::scalar(0.0).log_sigmoid().item::<f64>() + 2f64.ln()).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn try_log_sigmoid(&self) -> Result<Tensor> {
        self.try_neg()?.try_softplus()?.try_neg()
    }
    panicking!(
        /// Log-sigmoid; see [`Tensor::try_log_sigmoid`].
        log_sigmoid() => try_log_sigmoid
    );

    /// Sigmoid linear unit (swish) `x · sigmoid(x)`, as `jax.nn.silu`.
    ///
    /// ```
    /// let y = cotangent::Tensor::scalar(1.0).silu().item::<f64>();
    /// assert!((y - 0.7310585786300049).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn try_silu(&self) -> Result<Tensor> {
        self.try_mul(&self.try_sigmoid()?)
    }
    panicking!(
        /// SiLU; see [`Tensor::try_silu`].
        silu() => try_silu
    );

    /// Mish `x · tanh(softplus(x))`, as `jax.nn.mish`.
    ///
    /// ```
    /// let y = cotangent::Tensor::scalar(1.0).mish().item::<f64>();
    /// assert!((y - 0.8650983882673103).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn try_mish(&self) -> Result<Tensor> {
        self.try_mul(&self.try_softplus()?.try_tanh()?)
    }
    panicking!(
        /// Mish; see [`Tensor::try_mish`].
        mish() => try_mish
    );

    /// Gaussian error linear unit, exact form `x · Φ(x) = x/2 · erfc(-x/√2)`: `erfc` keeps the
    /// negative tail accurate (`gelu(-10) = -7.62e-23`, where `1 + erf` would give 0).
    ///
    /// ```
    /// use cotangent::Tensor;
    /// assert_eq!(Tensor::scalar(0.0).gelu().item::<f64>(), 0.0);
    /// let tail = Tensor::scalar(-10.0).gelu().item::<f64>();
    /// assert!((tail / -7.619853024160593e-23 - 1.0).abs() < 1e-12);
    /// ```
    #[track_caller]
    pub fn try_gelu(&self) -> Result<Tensor> {
        let scaled = self.try_mul(&self.scalar_like(-std::f64::consts::FRAC_1_SQRT_2))?;
        let cdf = scaled.try_erfc()? * 0.5;
        self.try_mul(&cdf)
    }
    panicking!(
        /// GELU (exact); see [`Tensor::try_gelu`].
        gelu() => try_gelu
    );

    /// GELU with the tanh approximation used by GPT-2 and `jax.nn.gelu(approximate=True)`.
    ///
    /// ```
    /// let y = cotangent::Tensor::scalar(1.0).gelu_tanh();
    /// assert!((y.item::<f64>() - 0.8411919906082768).abs() < 1e-12);
    /// ```
    #[track_caller]
    pub fn try_gelu_tanh(&self) -> Result<Tensor> {
        let c = (2.0 / std::f64::consts::PI).sqrt();
        let inner = (self + &(self.try_powf(3.0)? * 0.044715)) * c;
        Ok(self * 0.5 * (inner.try_tanh()? + 1.0))
    }
    panicking!(
        /// GELU (tanh approximation); see [`Tensor::try_gelu_tanh`].
        gelu_tanh() => try_gelu_tanh
    );

    /// `log(Σ e^x)` over `axes`, stable: the maximum is subtracted first (and held constant for
    /// differentiation, which does not change the derivative).
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let x = Tensor::from_vec(vec![1000.0, 1000.0], &[2]);
    /// let y = x.logsumexp(&[0], false).item::<f64>();
    /// assert!((y - (1000.0 + 2f64.ln())).abs() < 1e-9);
    /// ```
    #[track_caller]
    pub fn try_logsumexp(&self, axes: &[isize], keepdim: bool) -> Result<Tensor> {
        let m = self.max_axes_or_neg_inf(axes, true)?.detach();
        // An all -inf slice has max -inf; shift by 0 there so the result is -inf, not NaN.
        let finite = m.try_abs()?.try_lt(&m.scalar_like(f64::INFINITY))?;
        let m = finite.try_select(&m, &m.scalar_like(0.0))?;
        let s = self
            .try_sub(&m)?
            .try_exp()?
            .try_sum_axes(axes, true)?
            .try_log()?
            + &m;
        if keepdim {
            Ok(s)
        } else {
            let dims: Vec<usize> = self
                .dims()
                .iter()
                .enumerate()
                .filter(|(d, _)| {
                    !axes
                        .iter()
                        .any(|&a| (if a < 0 { a + self.rank() as isize } else { a }) == *d as isize)
                })
                .map(|(_, &n)| n)
                .collect();
            s.try_reshape(&dims)
        }
    }
    panicking!(
        /// Log-sum-exp; see [`Tensor::try_logsumexp`].
        logsumexp(axes: &[isize], keepdim: bool) => try_logsumexp
    );

    /// `x - logsumexp(x)` along `axis`.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let p = Tensor::from_vec(vec![1.0, 2.0], &[2]).log_softmax(-1).exp();
    /// assert!((p.sum().item::<f64>() - 1.0).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn try_log_softmax(&self, axis: isize) -> Result<Tensor> {
        self.try_sub(&self.try_logsumexp(&[axis], true)?)
    }
    panicking!(
        /// Log-softmax; see [`Tensor::try_log_softmax`].
        log_softmax(axis: isize) => try_log_softmax
    );

    /// `e^x / Σ e^x` along `axis`.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let p = Tensor::from_vec(vec![0.0, 0.0], &[2]).softmax(0);
    /// assert_eq!(p.to_vec::<f64>(), vec![0.5, 0.5]);
    /// ```
    #[track_caller]
    pub fn try_softmax(&self, axis: isize) -> Result<Tensor> {
        let m = self.max_axes_or_neg_inf(&[axis], true)?.detach();
        let e = self.try_sub(&m)?.try_exp()?;
        e.try_div(&e.try_sum_axes(&[axis], true)?)
    }
    panicking!(
        /// Softmax; see [`Tensor::try_softmax`].
        softmax(axis: isize) => try_softmax
    );
}
