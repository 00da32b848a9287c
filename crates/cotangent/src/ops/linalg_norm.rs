//! Vector and matrix norms, as `torch.linalg.vector_norm`/`matrix_norm` and `jnp.linalg.norm`:
//! composites of `abs`, powers, sums and maxima, so they differentiate to any order. At the zero
//! vector a p-norm (p ≥ 1) has the finite subgradient 0 instead of `0/0`.

use std::panic::Location;

use crate::core::error::AtCaller;
use crate::core::{Error, Result, Tensor};

/// Which matrix norm [`Tensor::matrix_norm`] computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatrixNorm {
    /// Frobenius: the square root of the sum of squares.
    Fro,
    /// The largest column sum of absolute values (`ord=1`).
    One,
    /// The largest row sum of absolute values (`ord=inf`).
    Inf,
    /// Spectral: the largest singular value (`ord=2`), through [`Tensor::try_svd`] (so it
    /// needs the `faer` feature). Its gradient is `u₁ v₁ᵀ` where the largest singular value is
    /// simple; where it is repeated the norm is not differentiable and the gradient is that of
    /// one of them.
    Spectral,
    /// Nuclear: the sum of the singular values (`ord='nuc'`), through [`Tensor::try_svd`]. Its
    /// gradient is `U Vᵀ` at full rank; at a zero singular value the norm is not
    /// differentiable and the gradient is one subgradient.
    Nuclear,
}

/// **Norms**.
impl Tensor {
    /// The `ord`-norm over `axes` (all elements when `axes` is empty): `ord = 2` Euclidean,
    /// `1` the sum of absolute values, `f64::INFINITY` / `NEG_INFINITY` the largest / smallest
    /// absolute value, `0` the number of nonzero elements (as a float; gradient zero), any other
    /// `p > 0` `(Σ|x|^p)^(1/p)`. The gradient of a p-norm at the zero vector is 0.
    ///
    /// ```
    /// use cotangent::{grad, Tensor};
    /// let x = Tensor::from_vec(vec![3.0, -4.0], &[2]);
    /// assert_eq!(x.vector_norm(2.0, &[], false).item::<f64>(), 5.0);
    /// assert_eq!(x.vector_norm(1.0, &[], false).item::<f64>(), 7.0);
    /// assert_eq!(x.vector_norm(f64::INFINITY, &[], false).item::<f64>(), 4.0);
    /// let g = grad(|v: &Tensor| v.norm())(&Tensor::zeros(&[2], cotangent::DType::F64));
    /// assert_eq!(g.to_vec::<f64>(), vec![0.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn try_vector_norm(&self, ord: f64, axes: &[isize], keepdim: bool) -> Result<Tensor> {
        let loc = Location::caller();
        if !self.dtype().is_float() {
            return Err(Error::dtype(
                "vector_norm",
                format!("expected a floating-point tensor, got {}", self.dtype()),
            )
            .at(loc));
        }
        if ord.is_nan() || ord < 0.0 && ord != f64::NEG_INFINITY {
            return Err(Error::usage(
                "vector_norm",
                format!("ord = {ord} is not a norm (use p ≥ 0 or ±infinity)"),
            )
            .at(loc));
        }
        let all: Vec<isize> = (0..self.rank() as isize).collect();
        let axes = if axes.is_empty() { &all[..] } else { axes };
        let a = self.try_abs()?;
        let out = if ord == f64::INFINITY {
            a.try_max_axes(axes, keepdim)?
        } else if ord == f64::NEG_INFINITY {
            a.try_min_axes(axes, keepdim)?
        } else if ord == 0.0 {
            let nz = self.try_ne(&self.scalar_like(0.0))?;
            nz.try_cast(self.dtype())?.try_sum_axes(axes, keepdim)?
        } else if ord == 1.0 {
            a.try_sum_axes(axes, keepdim)?
        } else {
            // (Σ|x|^p)^(1/p), with the root taken of 1 where the sum is 0 (and the result set
            // to 0 there), so the gradient at the zero vector is 0 and not 0/0.
            let s = if ord == 2.0 {
                self.try_mul(self)?.try_sum_axes(axes, keepdim)?
            } else {
                a.try_powf(ord)?.try_sum_axes(axes, keepdim)?
            };
            let zero = s.try_eq(&s.scalar_like(0.0))?;
            let safe = zero.try_select(&s.scalar_like(1.0), &s)?;
            let root = if ord == 2.0 {
                safe.try_sqrt()?
            } else {
                safe.try_powf(1.0 / ord)?
            };
            zero.try_select(&s.scalar_like(0.0), &root)?
        };
        Ok(out)
    }
    panicking!(
        /// The `ord`-norm over `axes`; see [`Tensor::try_vector_norm`].
        vector_norm(ord: f64, axes: &[isize], keepdim: bool) => try_vector_norm
    );

    /// The Euclidean norm of all elements (`torch.norm(x)`, `jnp.linalg.norm(x.ravel())`), with
    /// gradient 0 at zero.
    #[track_caller]
    pub fn try_norm(&self) -> Result<Tensor> {
        self.try_vector_norm(2.0, &[], false)
    }
    panicking!(
        /// The Euclidean norm of all elements; see [`Tensor::try_norm`].
        norm() => try_norm
    );

    /// A norm of each matrix over the last two axes (batched over the leading ones), as
    /// `torch.linalg.matrix_norm` (`ord` `'fro'`, `1`, `inf`, `2` and `'nuc'`). The norm of a
    /// matrix with no elements is 0.
    ///
    /// ```
    /// use cotangent::{MatrixNorm, Tensor};
    /// let a = Tensor::from_vec(vec![1.0, -2.0, 3.0, 4.0], &[2, 2]);
    /// assert_eq!(a.matrix_norm(MatrixNorm::One, false).item::<f64>(), 6.0);
    /// assert_eq!(a.matrix_norm(MatrixNorm::Inf, false).item::<f64>(), 7.0);
    /// assert!((a.matrix_norm(MatrixNorm::Fro, false).item::<f64>() - 30f64.sqrt()).abs() < 1e-15);
    /// // [[3, 0], [4, 5]] has singular values 3√5 and √5.
    /// let b = Tensor::from_vec(vec![3.0, 0.0, 4.0, 5.0], &[2, 2]);
    /// let two = b.matrix_norm(MatrixNorm::Spectral, false).item::<f64>();
    /// let nuc = b.matrix_norm(MatrixNorm::Nuclear, true);
    /// assert!((two - 45f64.sqrt()).abs() < 1e-12 && nuc.dims() == [1, 1]);
    /// assert!((nuc.item::<f64>() - 4.0 * 5f64.sqrt()).abs() < 1e-12);
    /// ```
    #[track_caller]
    pub fn try_matrix_norm(&self, ord: MatrixNorm, keepdim: bool) -> Result<Tensor> {
        if self.rank() < 2 {
            return Err(Error::shape(
                "matrix_norm",
                format!("expected [..., m, n], got {}", self.shape()),
            ))
            .at_caller();
        }
        match ord {
            MatrixNorm::Fro => self.try_vector_norm(2.0, &[-2, -1], keepdim),
            MatrixNorm::One => self
                .try_abs()?
                .try_sum_axes(&[-2], true)?
                .try_max_axes(&[-1], true)
                .and_then(|t| squeeze_last_two(t, keepdim)),
            MatrixNorm::Inf => self
                .try_abs()?
                .try_sum_axes(&[-1], true)?
                .try_max_axes(&[-2], true)
                .and_then(|t| squeeze_last_two(t, keepdim)),
            MatrixNorm::Spectral | MatrixNorm::Nuclear => {
                let (_, s, _) = self.try_svd().at_caller()?;
                let k = s.dims()[s.rank() - 1];
                let v = if k == 0 {
                    s.try_sum_axes(&[-1], true)?
                } else if ord == MatrixNorm::Spectral {
                    // Descending: the first is the largest.
                    s.try_narrow(-1, 0, 1)?
                } else {
                    s.try_sum_axes(&[-1], true)?
                };
                let v = v.try_unsqueeze(-1)?;
                squeeze_last_two(v, keepdim)
            }
        }
    }
    panicking!(
        /// A norm of each matrix; see [`Tensor::try_matrix_norm`].
        matrix_norm(ord: MatrixNorm, keepdim: bool) => try_matrix_norm
    );
}

fn squeeze_last_two(t: Tensor, keepdim: bool) -> Result<Tensor> {
    if keepdim {
        Ok(t)
    } else {
        t.try_squeeze(-1)?.try_squeeze(-1)
    }
}
