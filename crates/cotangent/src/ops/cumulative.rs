//! Cumulative ops along one axis: `cumsum` (the `cumsum` primitive), and `cumprod`, `cummax`,
//! `cummin`, composed as JAX differentiates them: a log-depth parallel prefix scan
//! ([`Tensor::associative_scan`], the algorithm of `jax.lax.associative_scan`) of `mul`,
//! `maximum` or `minimum`. Only multiplications, so `cumprod` is exact with zeros (no division
//! by the input), and the same tree as JAX's, so tied maxima share the derivative as in JAX.
//!
//! Every op takes `reverse`: `false` scans from the first element (`y[i]` covers `x[..=i]`),
//! `true` from the last (`y[i]` covers `x[i..]`, as `jax.lax.cumsum(x, reverse=True)`).

use std::panic::Location;

use smallvec::smallvec;

use crate::core::bind::bind;
use crate::core::shape::normalize_axis;
use crate::core::{Result, Tensor};
use crate::prim::cumsum::Cumsum;

/// A binary combine step of a scan.
type Combine<'a> = &'a dyn Fn(&Tensor, &Tensor) -> Result<Tensor>;

/// `a` and `b` interleaved along `axis` (`a0 b0 a1 b1 …`); `a` has as many elements as `b` or
/// one more.
fn interleave(a: &Tensor, b: &Tensor, axis: usize) -> Result<Tensor> {
    let nb = b.dims()[axis];
    let head = a.try_narrow(axis as isize, 0, nb)?;
    let pairs = Tensor::try_stack(&[head, b.clone()], axis as isize + 1)?;
    let mut dims = a.dims().to_vec();
    dims[axis] = 2 * nb;
    let merged = pairs.try_reshape(&dims)?;
    if a.dims()[axis] == nb {
        return Ok(merged);
    }
    Tensor::try_concat(
        &[merged, a.try_narrow(axis as isize, nb, 1)?],
        axis as isize,
    )
}

/// The inclusive scan of `x` along `axis` with an associative `combine`, by JAX's recursion:
/// combine adjacent pairs, scan those, then fill in the even positions.
fn scan(x: &Tensor, axis: usize, combine: Combine<'_>) -> Result<Tensor> {
    let n = x.dims()[axis] as isize;
    if n < 2 {
        return Ok(x.clone());
    }
    let a = axis as isize;
    let pairs = combine(
        &x.try_slice_axis(a, 0, n - 1, 2)?,
        &x.try_slice_axis(a, 1, n, 2)?,
    )?;
    let odd = scan(&pairs, axis, combine)?;
    let first = x.try_narrow(a, 0, 1)?;
    let even = if n > 2 {
        let rest = x.try_slice_axis(a, 2, n, 2)?;
        let left = odd.try_narrow(a, 0, rest.dims()[axis])?;
        Tensor::try_concat(&[first, combine(&left, &rest)?], a)?
    } else {
        first
    };
    interleave(&even, &odd, axis)
}

/// **Cumulative ops**: cumsum, cumprod, cummax, cummin.
impl Tensor {
    /// Inclusive scan along `axis` with an associative binary op `combine` (written with
    /// differentiable tensor ops), as `jax.lax.associative_scan`: `O(log n)` steps. `reverse`
    /// scans from the last element.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let x = Tensor::from_vec(vec![3.0, 1.0, 4.0, 1.0, 5.0], &[5]);
    /// let y = x.associative_scan(0, false, |a, b| a.try_add(b));
    /// assert_eq!(y.to_vec::<f64>(), vec![3.0, 4.0, 8.0, 9.0, 14.0]);
    /// ```
    #[track_caller]
    pub fn try_associative_scan(
        &self,
        axis: isize,
        reverse: bool,
        combine: impl Fn(&Tensor, &Tensor) -> Result<Tensor>,
    ) -> Result<Tensor> {
        let loc = Location::caller();
        let a = normalize_axis("associative_scan", axis, self.rank()).map_err(|e| e.at(loc))?;
        if reverse {
            let flipped = self.try_flip(&[axis])?;
            scan(&flipped, a, &combine)?.try_flip(&[axis])
        } else {
            scan(self, a, &combine)
        }
    }

    /// Inclusive scan with an associative op; see [`Tensor::try_associative_scan`].
    #[track_caller]
    pub fn associative_scan(
        &self,
        axis: isize,
        reverse: bool,
        combine: impl Fn(&Tensor, &Tensor) -> Result<Tensor>,
    ) -> Tensor {
        self.try_associative_scan(axis, reverse, combine)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Running sums along `axis` (the `cumsum` primitive; linear, its VJP is the cumsum of the
    /// cotangent in the other direction). `reverse` sums from the last element, as
    /// `jax.lax.cumsum(x, axis, reverse=True)`. Float and i64 tensors.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]);
    /// assert_eq!(x.cumsum(1, false).to_vec::<f64>(), vec![1.0, 3.0, 3.0, 7.0]);
    /// assert_eq!(x.cumsum(0, true).to_vec::<f64>(), vec![4.0, 6.0, 3.0, 4.0]);
    /// assert!(x.try_cumsum(2, false).unwrap_err().to_string().contains("cumsum"));
    /// ```
    #[track_caller]
    pub fn try_cumsum(&self, axis: isize, reverse: bool) -> Result<Tensor> {
        let loc = Location::caller();
        let axis = normalize_axis("cumsum", axis, self.rank()).map_err(|e| e.at(loc))?;
        bind(Cumsum { axis, reverse }, smallvec![self.clone()])
    }
    panicking!(
        /// Running sums; see [`Tensor::try_cumsum`].
        cumsum(axis: isize, reverse: bool) => try_cumsum
    );

    /// A float-only check naming `op`, for the scans built from float primitives.
    #[track_caller]
    fn float_scan(
        &self,
        op: &'static str,
        axis: isize,
        reverse: bool,
        combine: fn(&Tensor, &Tensor) -> Result<Tensor>,
    ) -> Result<Tensor> {
        let loc = Location::caller();
        normalize_axis(op, axis, self.rank()).map_err(|e| e.at(loc))?;
        crate::ops::need_float(op, self)?;
        self.try_associative_scan(axis, reverse, combine)
    }

    /// Running products along `axis`, by a prefix scan of multiplications (no division, so the
    /// derivative is exact where an element is 0, as JAX's). `reverse` multiplies from the end.
    ///
    /// ```
    /// use cotangent::{grad, Tensor};
    /// let x = Tensor::from_vec(vec![2.0, 0.0, 3.0], &[3]);
    /// assert_eq!(x.cumprod(0, false).to_vec::<f64>(), vec![2.0, 0.0, 0.0]);
    /// let g = grad(|x: &Tensor| x.cumprod(0, false).sum())(&x);
    /// assert_eq!(g.to_vec::<f64>(), vec![1.0, 8.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn try_cumprod(&self, axis: isize, reverse: bool) -> Result<Tensor> {
        self.float_scan("cumprod", axis, reverse, |a, b| a.try_mul(b))
    }
    panicking!(
        /// Running products; see [`Tensor::try_cumprod`].
        cumprod(axis: isize, reverse: bool) => try_cumprod
    );

    /// Running maximum along `axis` (NaN propagates). The derivative follows JAX's scan of
    /// `max`: a tie splits it evenly at each step of the tree.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 3.0, 2.0, 5.0], &[4]);
    /// assert_eq!(x.cummax(0, false).to_vec::<f64>(), vec![1.0, 3.0, 3.0, 5.0]);
    /// assert_eq!(x.cummax(0, true).to_vec::<f64>(), vec![5.0, 5.0, 5.0, 5.0]);
    /// ```
    #[track_caller]
    pub fn try_cummax(&self, axis: isize, reverse: bool) -> Result<Tensor> {
        self.float_scan("cummax", axis, reverse, |a, b| a.try_maximum(b))
    }
    panicking!(
        /// Running maximum; see [`Tensor::try_cummax`].
        cummax(axis: isize, reverse: bool) => try_cummax
    );

    /// Running minimum along `axis`; see [`Tensor::try_cummax`].
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let x = Tensor::from_vec(vec![3.0, 1.0, 2.0], &[3]);
    /// assert_eq!(x.cummin(0, false).to_vec::<f64>(), vec![3.0, 1.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn try_cummin(&self, axis: isize, reverse: bool) -> Result<Tensor> {
        self.float_scan("cummin", axis, reverse, |a, b| a.try_minimum(b))
    }
    panicking!(
        /// Running minimum; see [`Tensor::try_cummin`].
        cummin(axis: isize, reverse: bool) => try_cummin
    );
}
