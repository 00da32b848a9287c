//! Elementwise math composed from primitives, each written as JAX writes it so that values and
//! derivatives agree at the edges: `clamp`/`clip` (`minimum(maximum(x, lo), hi)`, so a value
//! on a bound gets half the derivative, as `jnp.clip`), `hypot` (scaled by the larger leg, no
//! overflow), `logaddexp` (`max + log1p(e^-|a-b|)`), `isnan`, `isfinite` and `nan_to_num`.

use crate::core::{DType, Result, Tensor};
use crate::ops::need_float;

/// **More elementwise math**: powers, clamps, rounding helpers and friends.
impl Tensor {
    /// `x` limited to `[lo, hi]`: `minimum(maximum(x, lo), hi)`, as `jnp.clip(x, lo, hi)`
    /// (so `hi` wins when `lo > hi`, and NaN stays NaN). The derivative is 1 inside, 0 outside
    /// and ½ on a bound (a tie of `maximum` or `minimum`, as JAX gives).
    ///
    /// An inherent method, so it is picked over `Ord::clamp`.
    ///
    /// ```
    /// use cotangent::{grad, Tensor};
    /// let x = Tensor::from_vec(vec![-1.0, 0.5, 3.0], &[3]);
    /// assert_eq!(x.clamp(0.0, 1.0).to_vec::<f64>(), vec![0.0, 0.5, 1.0]);
    /// let g = grad(|x: &Tensor| x.clamp(0.0, 1.0).sum())(&Tensor::from_vec(vec![0.5, 1.0, 2.0], &[3]));
    /// assert_eq!(g.to_vec::<f64>(), vec![1.0, 0.5, 0.0]);
    /// ```
    #[track_caller]
    pub fn try_clamp(&self, lo: f64, hi: f64) -> Result<Tensor> {
        need_float("clamp", self)?;
        self.try_maximum(&self.scalar_like(lo))?
            .try_minimum(&self.scalar_like(hi))
    }
    panicking!(
        /// Limit to `[lo, hi]`; see [`Tensor::try_clamp`].
        clamp(lo: f64, hi: f64) => try_clamp
    );
    panicking!(
        /// The same as [`Tensor::clamp`] (NumPy's name).
        clip(lo: f64, hi: f64) => try_clamp
    );

    /// [`Tensor::try_clamp`] with tensor bounds (broadcast with `self`; both bounds are
    /// differentiated too).
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let x = Tensor::from_vec(vec![0.0, 5.0], &[2]);
    /// let lo = Tensor::from_vec(vec![1.0, 1.0], &[2]);
    /// assert_eq!(x.clamp_t(&lo, &Tensor::scalar(4.0)).to_vec::<f64>(), vec![1.0, 4.0]);
    /// ```
    #[track_caller]
    pub fn try_clamp_t(&self, lo: &Tensor, hi: &Tensor) -> Result<Tensor> {
        need_float("clamp", self)?;
        self.try_maximum(lo)?.try_minimum(hi)
    }
    panicking!(
        /// Limit to tensor bounds; see [`Tensor::try_clamp_t`].
        clamp_t(lo: &Tensor, hi: &Tensor) => try_clamp_t
    );

    /// `√(a² + b²)` without overflow or underflow, as `jnp.hypot`: with `h = max(|a|, |b|)`
    /// and `l = min(|a|, |b|)` it is `h · √(1 + (l/h)²)`, `h` where `h = 0`, and `∞` when
    /// either is infinite (also against NaN). At `(0, 0)` the derivative is `(½, ½)` (the tie
    /// of `max`, as JAX gives).
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let a = Tensor::from_vec(vec![3.0, 3e200], &[2]);
    /// let b = Tensor::from_vec(vec![4.0, 4e200], &[2]);
    /// let h = a.hypot(&b).to_vec::<f64>();
    /// assert_eq!(h[0], 5.0);
    /// // `sqrt(a² + b²)` would overflow to infinity here.
    /// assert!((h[1] / 5e200 - 1.0).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn try_hypot(&self, other: &Tensor) -> Result<Tensor> {
        need_float("hypot", self)?;
        let (a, b) = (self.try_abs()?, other.try_abs()?);
        let inf = self.scalar_like(f64::INFINITY);
        let a_inf = a.try_eq(&inf)?;
        let any_inf = a_inf.try_select(&a_inf, &b.try_eq(&inf)?)?;
        let (h, l) = (a.try_maximum(&b)?, a.try_minimum(&b)?);
        let zero = h.try_eq(&self.scalar_like(0.0))?;
        let safe_h = zero.try_select(&self.scalar_like(1.0), &h)?;
        let scaled = &h * (l.try_div(&safe_h)?.try_square()? + 1.0).try_sqrt()?;
        any_inf.try_select(&inf, &zero.try_select(&h, &scaled)?)
    }
    panicking!(
        /// Hypotenuse; see [`Tensor::try_hypot`].
        hypot(other: &Tensor) => try_hypot
    );

    /// `log(e^a + e^b)` computed stably as `max(a, b) + log1p(e^-|a - b|)` (as `jnp.logaddexp`;
    /// where `a - b` is NaN, from a NaN or two infinities of one sign, it is `a + b`).
    /// `logaddexp(1000, 1000) = 1000 + ln 2`.
    ///
    /// `-|a - b|` is written `min(a, b) - max(a, b)`, so a tie shares the derivative evenly
    /// (`(½, ½)` at `a = b`, where `abs` would give `(0, 1)`), and the branch not taken gets a
    /// finite stand-in, so no NaN leaks into the derivative at `(∞, ∞)` (which is `(1, 1)`, as
    /// JAX's). At `(-∞, -∞)` it is `(1, 1)` too, where JAX's `exp(a - out)` gives NaN.
    ///
    /// ```
    /// use cotangent::{grad_n, Tensor};
    /// let a = Tensor::from_vec(vec![1000.0, f64::NEG_INFINITY], &[2]);
    /// let y = a.logaddexp(&a).to_vec::<f64>();
    /// assert!((y[0] - (1000.0 + 2f64.ln())).abs() < 1e-12);
    /// assert_eq!(y[1], f64::NEG_INFINITY);
    /// let g = grad_n(|x: &[Tensor]| x[0].logaddexp(&x[1]))(&[Tensor::scalar(1000.0), Tensor::scalar(1000.0)]);
    /// assert_eq!((g[0].item::<f64>(), g[1].item::<f64>()), (0.5, 0.5));
    /// ```
    #[track_caller]
    pub fn try_logaddexp(&self, other: &Tensor) -> Result<Tensor> {
        need_float("logaddexp", self)?;
        let (hi, lo) = (self.try_maximum(other)?, self.try_minimum(other)?);
        let undefined = self.try_sub(other)?.try_isnan()?;
        let gap = undefined.try_select(&self.scalar_like(0.0), &lo.try_sub(&hi)?)?;
        let stable = hi + gap.try_exp()?.try_log1p()?;
        undefined.try_select(&self.try_add(other)?, &stable)
    }
    panicking!(
        /// Stable `log(e^a + e^b)`; see [`Tensor::try_logaddexp`].
        logaddexp(other: &Tensor) => try_logaddexp
    );

    /// Where the elements are NaN, as a bool tensor (all false for integer and bool tensors).
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let x = Tensor::from_vec(vec![f64::NAN, 1.0, f64::INFINITY], &[3]);
    /// assert_eq!(x.isnan().to_vec::<bool>(), vec![true, false, false]);
    /// ```
    #[track_caller]
    pub fn try_isnan(&self) -> Result<Tensor> {
        if self.dtype().is_float() {
            self.try_ne(self)
        } else {
            Tensor::try_full(self.dims(), 0.0, DType::Bool)
        }
    }
    panicking!(
        /// Where NaN; see [`Tensor::try_isnan`].
        isnan() => try_isnan
    );

    /// Where the elements are neither infinite nor NaN, as a bool tensor (all true for integer
    /// and bool tensors).
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let x = Tensor::from_vec(vec![f64::NAN, 1.0, f64::NEG_INFINITY], &[3]);
    /// assert_eq!(x.isfinite().to_vec::<bool>(), vec![false, true, false]);
    /// ```
    #[track_caller]
    pub fn try_isfinite(&self) -> Result<Tensor> {
        if self.dtype().is_float() {
            self.try_abs()?.try_lt(&self.scalar_like(f64::INFINITY))
        } else {
            Tensor::try_full(self.dims(), 1.0, DType::Bool)
        }
    }
    panicking!(
        /// Where finite; see [`Tensor::try_isfinite`].
        isfinite() => try_isfinite
    );

    /// NaN replaced by `nan`, `+∞` by `posinf` and `-∞` by `neginf` (as
    /// `jnp.nan_to_num(x, nan, posinf, neginf)`; pass `f64::MAX` and `f64::MIN` for NumPy's
    /// defaults). The derivative is 1 at finite elements and 0 at replaced ones. Integer and
    /// bool tensors are returned unchanged.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let x = Tensor::from_vec(vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 2.0], &[4]);
    /// assert_eq!(x.nan_to_num(0.0, 9.0, -9.0).to_vec::<f64>(), vec![0.0, 9.0, -9.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn try_nan_to_num(&self, nan: f64, posinf: f64, neginf: f64) -> Result<Tensor> {
        if !self.dtype().is_float() {
            return Ok(self.clone());
        }
        let s = |v: f64| self.scalar_like(v);
        let x = self.try_isnan()?.try_select(&s(nan), self)?;
        let x = self.try_eq(&s(f64::INFINITY))?.try_select(&s(posinf), &x)?;
        self.try_eq(&s(f64::NEG_INFINITY))?
            .try_select(&s(neginf), &x)
    }
    panicking!(
        /// Replace NaN and infinities; see [`Tensor::try_nan_to_num`].
        nan_to_num(nan: f64, posinf: f64, neginf: f64) => try_nan_to_num
    );
}
