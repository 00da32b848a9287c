//! The singular value decomposition and what is built on it: `svd` (the `svd` primitive, as
//! `jnp.linalg.svd(a, full_matrices=False)`), and the composites `pinv` (as
//! `jnp.linalg.pinv`) and `lstsq` (the minimum-norm least-squares solution, as
//! `jnp.linalg.lstsq(a, b)[0]`). All batch over leading dims; f32 and f64; they need the
//! `faer` feature (on by default), without which they are an error naming it.

use std::panic::Location;

use smallvec::smallvec;

use crate::core::bind::bind;
use crate::core::shape::broadcast_shapes;
use crate::core::{Error, Result, Tensor};
use crate::prim::svd::{svd_parts, Svd};

/// An error naming `op` unless `a` is a float `[..., m, n]`; else `(m, n)`.
fn matrix_operand(
    op: &'static str,
    a: &Tensor,
    loc: &'static Location<'static>,
) -> Result<(usize, usize)> {
    if !a.dtype().is_float() {
        return Err(Error::dtype(
            op,
            format!("expected a floating-point matrix, got {}", a.dtype()),
        )
        .at(loc));
    }
    let r = a.rank();
    if r < 2 {
        return Err(Error::shape(
            op,
            format!(
                "expected a matrix or a batch of them ([..., m, n]), got shape {}",
                a.shape()
            ),
        )
        .at(loc));
    }
    Ok((a.dims()[r - 2], a.dims()[r - 1]))
}

/// `1 / s` where `s > rtol · max s` (per matrix; the cutoff is not differentiated), else 0.
fn inverse_singular_values(s: &Tensor, rtol: f64) -> Result<Tensor> {
    let cutoff = s
        .detach()
        .max_axes_or_neg_inf(&[-1], true)?
        .try_mul(&s.scalar_like(rtol))?;
    let keep = s.detach().try_gt(&cutoff)?;
    let safe = keep.try_select(s, &s.scalar_like(1.0))?;
    keep.try_select(&safe.try_recip()?, &s.scalar_like(0.0))
}

/// **Singular value decomposition** and the pseudo-inverse and least squares built on it.
impl Tensor {
    /// The thin singular value decomposition of a matrix `[m, n]`, or of each matrix of a
    /// batch `[..., m, n]`: `(U, s, Vᵀ)` with `k = min(m, n)`, orthonormal columns
    /// `U: [..., m, k]`, the singular values `s: [..., k]` in descending order (non-negative)
    /// and orthonormal rows `Vᵀ: [..., k, n]`, so that `A = U diag(s) Vᵀ`, as
    /// `jnp.linalg.svd(a, full_matrices=False)`. **Sign convention**: each column of `U` has
    /// its component of largest magnitude (the first, up to rounding, of equal ones) positive,
    /// and the matching row of `Vᵀ` is signed with it; LAPACK/JAX leave the signs as the
    /// algorithm gives them. f32 and f64; needs the `faer` feature (on by default), without
    /// which it is an error naming it. A matrix with a non-finite entry gives NaNs.
    ///
    /// Derivatives (both modes, every order, written with the library's ops as JAX's
    /// `svd_jvp_rule`): with `P = Uᵀ dA V` and `F_ij = 1 / (s_j² − s_i²)`, `ds = diag(P)`,
    /// `dU = U (F ∘ (P S + S Pᵀ)) + (I − U Uᵀ) dA V S⁻¹`,
    /// `dV = V (F ∘ (S P + Pᵀ S)) + (I − V Vᵀ) dAᵀ U S⁻¹`. **Where singular values are
    /// repeated or zero** (up to `16 max(m, n) ε max s`) JAX divides by zero; here `F_ij` and
    /// `S⁻¹` are 0 there instead. So the first derivatives of functions of the singular values
    /// alone (`Σ s²`, the nuclear norm `Σ s` away from zero singular values, the spectral norm
    /// where the largest is simple) are exact everywhere they exist, while derivatives of `U`
    /// and `V` inside a repeated or zero singular subspace (where the vectors are not unique)
    /// are not meaningful, and second derivatives exactly there are not exact. Where the
    /// singular values are distinct and nonzero, every order is exact.
    ///
    /// ```
    /// use cotangent::{grad, Tensor};
    /// let a = Tensor::from_vec(vec![3.0, 0.0, 4.0, 5.0], &[2, 2]);
    /// let (u, s, vt) = a.svd();
    /// let want = [45f64.sqrt(), 5f64.sqrt()]; // 3√5 and √5
    /// assert!(s.to_vec::<f64>().iter().zip(want).all(|(x, y)| (x - y).abs() < 1e-12));
    /// let back = (&u * &s.unsqueeze(0)).matmul(&vt).to_vec::<f64>();
    /// assert!(back.iter().zip([3.0, 0.0, 4.0, 5.0]).all(|(x, y)| (x - y).abs() < 1e-12));
    /// // Wide: U [2, 2], s [2], Vᵀ [2, 3].
    /// let (u, s, vt) = Tensor::from_vec(vec![1.0, 0.0, 0.0, 0.0, 2.0, 0.0], &[2, 3]).svd();
    /// assert_eq!((u.dims(), s.dims(), vt.dims()), (&[2, 2][..], &[2][..], &[2, 3][..]));
    /// assert_eq!(s.to_vec::<f64>(), vec![2.0, 1.0]);
    /// // The gradient of the nuclear norm Σ s is U Vᵀ.
    /// let g = grad(|x: &Tensor| x.svd().1.sum())(&a);
    /// let (u, _, vt) = a.svd();
    /// let uvt = u.matmul(&vt).to_vec::<f64>();
    /// assert!(g.to_vec::<f64>().iter().zip(uvt).all(|(x, y)| (x - y).abs() < 1e-12));
    /// let err = Tensor::zeros(&[3], cotangent::DType::F64).try_svd().unwrap_err();
    /// assert!(err.to_string().contains("svd") && err.to_string().contains("[3]"));
    /// ```
    #[track_caller]
    pub fn try_svd(&self) -> Result<(Tensor, Tensor, Tensor)> {
        let loc = Location::caller();
        let (m, _) = matrix_operand("svd", self, loc)?;
        let packed = bind(Svd, smallvec![self.clone()]).map_err(|e| e.at(loc))?;
        let (u, s, v) = svd_parts(&packed, m)?;
        Ok((u, s, v.mt()))
    }

    /// Thin singular value decomposition; see [`Tensor::try_svd`].
    #[track_caller]
    pub fn svd(&self) -> (Tensor, Tensor, Tensor) {
        match self.try_svd() {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        }
    }

    /// The Moore–Penrose pseudo-inverse `A⁺ = V diag(1/s) Uᵀ` of a matrix `[m, n]` (or of each
    /// of a batch `[..., m, n]`), shape `[..., n, m]`, as `jnp.linalg.pinv(a, rtol)`: singular
    /// values at or below `rtol · max s` count as zero (their `1/s` is 0). `rtol` defaults
    /// (`None`) to JAX's `10 · max(m, n) · ε`. A composite of [`Tensor::try_svd`]; its
    /// derivatives are those of the SVD, exact where the rank is full, and at lower rank
    /// along perturbations that keep the rank (the pseudo-inverse jumps across a rank
    /// change). The cutoff itself is not differentiated.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// // Rank one: [[1, 2], [2, 4]] = v vᵀ with v = (1, 2), so A⁺ = A / 25.
    /// let a = Tensor::from_vec(vec![1.0, 2.0, 2.0, 4.0], &[2, 2]);
    /// let p = a.pinv(None).to_vec::<f64>();
    /// assert!(p.iter().zip([0.04, 0.08, 0.08, 0.16]).all(|(x, y)| (x - y).abs() < 1e-12));
    /// // Tall full rank: A⁺ A = I.
    /// let t = Tensor::from_vec(vec![1.0, 0.0, 1.0, 1.0, 0.0, 2.0], &[3, 2]);
    /// let i = t.pinv(None).matmul(&t).to_vec::<f64>();
    /// assert!(i.iter().zip([1.0, 0.0, 0.0, 1.0]).all(|(x, y)| (x - y).abs() < 1e-12));
    /// ```
    #[track_caller]
    pub fn try_pinv(&self, rtol: Option<f64>) -> Result<Tensor> {
        let loc = Location::caller();
        let (m, n) = matrix_operand("pinv", self, loc)?;
        let rtol = rtol.unwrap_or(10.0 * m.max(n) as f64 * self.dtype().epsilon());
        let (u, s, vt) = self.try_svd()?;
        let sinv = inverse_singular_values(&s, rtol)?;
        vt.mt()
            .try_mul(&sinv.try_unsqueeze(-2)?)?
            .try_matmul(&u.mt())
    }
    panicking!(
        /// Moore–Penrose pseudo-inverse; see [`Tensor::try_pinv`].
        pinv(rtol: Option<f64>) => try_pinv
    );

    /// The minimum-norm least-squares solution `x` of `A x ≈ B` for `A = self: [..., m, n]`
    /// (any shape: tall, square or wide, any rank) and `B: [m]` or `[..., m, k]` (batch dims
    /// broadcast): of all `x` minimizing `‖A x − B‖`, the one of least norm, `x = A⁺ B`, shape
    /// `[..., n]` or `[..., n, k]`. As `jnp.linalg.lstsq(a, b, rcond)[0]` (the residuals, rank
    /// and singular values JAX also returns are not: take them from [`Tensor::try_svd`]).
    /// Singular values at or below `rcond · max s` count as zero; `rcond` defaults (`None`) to
    /// JAX's `max(m, n) · ε`. (JAX keeps `s ≥ cutoff`, and so divides by zero for a zero
    /// matrix; here `s > cutoff`, and a zero matrix gives `x = 0`.) Computed through the SVD,
    /// `V diag(1/s) Uᵀ B`, also for full-rank tall `A`, so rank-deficient problems get the
    /// minimum-norm answer; derivatives as [`Tensor::try_pinv`]'s.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// // The line through (0, 1), (1, 2), (2, 4): intercept 5/6, slope 3/2.
    /// let a = Tensor::from_vec(vec![1.0, 0.0, 1.0, 1.0, 1.0, 2.0], &[3, 2]);
    /// let x = a.lstsq(&Tensor::from_vec(vec![1.0, 2.0, 4.0], &[3]), None).to_vec::<f64>();
    /// assert!((x[0] - 5.0 / 6.0).abs() < 1e-12 && (x[1] - 1.5).abs() < 1e-12);
    /// // Wide: the solution of least norm of x + y = 2 is (1, 1).
    /// let w = Tensor::from_vec(vec![1.0, 1.0], &[1, 2]);
    /// let x = w.lstsq(&Tensor::from_vec(vec![2.0], &[1]), None).to_vec::<f64>();
    /// assert!((x[0] - 1.0).abs() < 1e-12 && (x[1] - 1.0).abs() < 1e-12);
    /// let err = a.try_lstsq(&Tensor::zeros(&[2], cotangent::DType::F64), None).unwrap_err();
    /// assert!(err.to_string().contains("lstsq") && err.to_string().contains("[3, 2]"));
    /// ```
    #[track_caller]
    pub fn try_lstsq(&self, b: &Tensor, rcond: Option<f64>) -> Result<Tensor> {
        let loc = Location::caller();
        let (m, n) = matrix_operand("lstsq", self, loc)?;
        let mismatch = |why: &str| {
            Error::shape(
                "lstsq",
                format!(
                    "{why}: got A of shape {} and B of shape {} (need A: [..., m, n] and B: [m] or [..., m, k])",
                    self.shape(),
                    b.shape()
                ),
            )
            .at(loc)
        };
        if self.dtype() != b.dtype() {
            return Err(Error::dtype(
                "lstsq",
                format!(
                    "operands must share a dtype, got {} and {}",
                    self.dtype(),
                    b.dtype()
                ),
            )
            .at(loc));
        }
        let vector = b.rank() == 1;
        let bm = if vector {
            b.try_unsqueeze(-1)?
        } else {
            b.clone()
        };
        let rb = bm.rank();
        if rb < 2 || bm.dims()[rb - 2] != m {
            return Err(mismatch("the rows of B do not match A"));
        }
        let ra = self.rank();
        let batch = broadcast_shapes(&self.dims()[..ra - 2], &bm.dims()[..rb - 2])
            .ok_or_else(|| mismatch("the batch dims do not broadcast"))?;
        let full = |t: &Tensor, r: usize| -> Result<Tensor> {
            let mut dims = batch.dims().to_vec();
            dims.extend_from_slice(&t.dims()[r - 2..]);
            t.try_broadcast_to(&dims)
        };
        let (a, bm) = (full(self, ra)?, full(&bm, rb)?);
        let rcond = rcond.unwrap_or(m.max(n) as f64 * self.dtype().epsilon());
        let (u, s, vt) = a.try_svd()?;
        let sinv = inverse_singular_values(&s, rcond)?;
        let utb = u.mt().matmul_raw(&bm)?.try_mul(&sinv.try_unsqueeze(-1)?)?;
        let x = vt.mt().matmul_raw(&utb)?;
        if vector {
            x.try_squeeze(-1)
        } else {
            Ok(x)
        }
    }

    /// Minimum-norm least squares; see [`Tensor::try_lstsq`].
    #[track_caller]
    pub fn lstsq(&self, b: &Tensor, rcond: Option<f64>) -> Tensor {
        match self.try_lstsq(b, rcond) {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        }
    }
}
