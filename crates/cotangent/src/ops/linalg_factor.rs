//! Cholesky factorization and the triangular solves around it: `cholesky` (the `cholesky`
//! primitive applied to the symmetric part, as `jnp.linalg.cholesky`), `triangular_solve` (the
//! `triangular_solve` primitive, as `jax.scipy.linalg.solve_triangular`) and `cho_solve` (two
//! triangular solves, as `jax.scipy.linalg.cho_solve`), and the symmetric eigendecomposition
//! `eigh` (the `eigh` primitive applied to the symmetric part, as `jnp.linalg.eigh`), and `qr`
//! (the `qr` primitive for tall matrices, a composite around it for wide ones). All batch
//! over leading dims.

use std::panic::Location;

use smallvec::smallvec;

use crate::core::bind::bind;
use crate::core::{Error, Result, Tensor};
use crate::ops::linalg_shapes::{solve_operands, square_matrix, unvector};
use crate::prim::eigh::{eigh_parts, Eigh};
use crate::prim::linalg_common::{chol, sym, tri_solve};
use crate::prim::qr::{qr_parts, Qr};

/// **Factorizations**: Cholesky, triangular solves and the symmetric eigendecomposition.
impl Tensor {
    /// The lower Cholesky factor `L` of a symmetric positive-definite matrix (`A = L Lᵀ`), or
    /// of each matrix of a batch `[..., n, n]`. As `jnp.linalg.cholesky`, the input is first
    /// symmetrized, `(A + Aᵀ)/2`, so the gradient is symmetric. A matrix that is not positive
    /// definite is not an error: as JAX's, its factor is NaN on and below the diagonal (zero
    /// above); test the diagonal for NaN where that matters.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let a = Tensor::from_vec(vec![4.0, 2.0, 2.0, 5.0], &[2, 2]);
    /// assert_eq!(a.cholesky().to_vec::<f64>(), vec![2.0, 0.0, 1.0, 2.0]);
    /// let bad = Tensor::from_vec(vec![1.0, 2.0, 2.0, 1.0], &[2, 2]);
    /// let l = bad.cholesky().to_vec::<f64>();
    /// assert!(l[0].is_nan() && l[1] == 0.0 && l[2].is_nan() && l[3].is_nan());
    /// let err = Tensor::zeros(&[2, 3], cotangent::DType::F64).try_cholesky().unwrap_err();
    /// assert!(err.to_string().contains("cholesky") && err.to_string().contains("[2, 3]"));
    /// ```
    #[track_caller]
    pub fn try_cholesky(&self) -> Result<Tensor> {
        square_matrix("cholesky", self, Location::caller())?;
        chol(&sym(self)?)
    }
    panicking!(
        /// Lower Cholesky factor; see [`Tensor::try_cholesky`].
        cholesky() => try_cholesky
    );

    /// Solves `op(A) X = B` for triangular `A = self` (`[..., n, n]`; only its `lower` or
    /// upper triangle, diagonal included, is read), `op(A) = Aᵀ` when `transpose`. `B` is a
    /// vector `[n]` or a batch of matrices `[..., n, k]`; batch dims broadcast. As
    /// `jax.scipy.linalg.solve_triangular(a, b, trans=transpose, lower=lower)`; a zero on the
    /// diagonal gives infinities or NaNs. Right-side solves `X A = B` are
    /// `a.triangular_solve(&b.t(), lower, !transpose).t()`.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let l = Tensor::from_vec(vec![2.0, 0.0, 1.0, 4.0], &[2, 2]);
    /// let b = Tensor::from_vec(vec![2.0, 9.0], &[2]);
    /// assert_eq!(l.triangular_solve(&b, true, false).to_vec::<f64>(), vec![1.0, 2.0]);
    /// // Lᵀ x = b: [[2, 1], [0, 4]] x = [2, 9].
    /// assert_eq!(l.triangular_solve(&b, true, true).to_vec::<f64>(), vec![-0.125, 2.25]);
    /// let err = l.try_triangular_solve(&Tensor::zeros(&[3], cotangent::DType::F64), true, false);
    /// let msg = err.unwrap_err().to_string();
    /// assert!(msg.contains("triangular_solve") && msg.contains("[2, 2]") && msg.contains("[3]"));
    /// ```
    #[track_caller]
    pub fn try_triangular_solve(&self, b: &Tensor, lower: bool, transpose: bool) -> Result<Tensor> {
        let loc = Location::caller();
        let (a, b, vector) = solve_operands("triangular_solve", self, b, loc)?;
        unvector(tri_solve(&a, &b, lower, transpose)?, vector)
    }
    panicking!(
        /// Triangular solve; see [`Tensor::try_triangular_solve`].
        triangular_solve(b: &Tensor, lower: bool, transpose: bool) => try_triangular_solve
    );

    /// Solves `A X = B` given the lower Cholesky factor `L = self` of `A = L Lᵀ`
    /// (`[..., n, n]`), by two triangular solves: as
    /// `jax.scipy.linalg.cho_solve((l, True), b)`. `B` is `[n]` or `[..., n, k]`.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let a = Tensor::from_vec(vec![4.0, 2.0, 2.0, 5.0], &[2, 2]);
    /// let x = a.cholesky().cho_solve(&Tensor::from_vec(vec![6.0, 7.0], &[2]));
    /// assert_eq!(x.to_vec::<f64>(), vec![1.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn try_cho_solve(&self, b: &Tensor) -> Result<Tensor> {
        let loc = Location::caller();
        let (l, b, vector) = solve_operands("cho_solve", self, b, loc)?;
        let y = tri_solve(&l, &b, true, false)?;
        unvector(tri_solve(&l, &y, true, true)?, vector)
    }
    panicking!(
        /// Solve with a Cholesky factor; see [`Tensor::try_cho_solve`].
        cho_solve(b: &Tensor) => try_cho_solve
    );

    /// The eigendecomposition of a symmetric matrix, or of each matrix of a batch
    /// `[..., n, n]`: `(λ, V)` with the eigenvalues `λ: [..., n]` in ascending order and the
    /// orthonormal eigenvectors as the columns of `V: [..., n, n]`, so that `A = V diag(λ) Vᵀ`,
    /// as `jnp.linalg.eigh`. The input is first symmetrized, `(A + Aᵀ)/2` (as JAX's default
    /// `symmetrize_input=True`), so the gradient is symmetric. Each eigenvector's sign is
    /// fixed: its component of largest magnitude (the first, up to rounding, of equal ones) is
    /// positive. f32 and f64; needs the `faer` feature (on by default), without which it is an
    /// error naming it. A matrix with a non-finite entry gives NaNs.
    ///
    /// Derivatives: `dλ = diag(Vᵀ dA V)` and `dV = V (F ∘ (Vᵀ dA V))` with
    /// `F_ij = 1 / (λ_j − λ_i)`. Where eigenvalues are repeated (equal up to `16 n ε max|λ|`)
    /// JAX divides by zero and its derivatives are NaN; here `F_ij` is 0 there instead, so that
    /// the gradient of a function of the eigenvalues that is symmetric in the repeated ones
    /// (`Σ λ²`, `Σ λ`, `log det`, …) is finite and right, to first order, even at the identity.
    /// Eigenvectors inside a repeated eigenspace are not unique and their derivative there is
    /// not meaningful (it is the part of `dV` that stays in the other eigenspaces). Second
    /// derivatives exactly at repeated eigenvalues are not exact: the Hessian of `Σ λ²` at `I`
    /// (truly `2·Id`) comes out as its diagonal part in the eigenbasis only. Where the
    /// eigenvalues are apart by more than that tolerance, all orders are exact.
    ///
    /// ```
    /// use cotangent::{grad, Tensor};
    /// let a = Tensor::from_vec(vec![2.0, 1.0, 1.0, 2.0], &[2, 2]);
    /// let (w, v) = a.eigh();
    /// assert!(w.to_vec::<f64>().iter().zip([1.0, 3.0]).all(|(x, y)| (x - y).abs() < 1e-12));
    /// // V diag(λ) Vᵀ gives A back.
    /// let back = (&v * &w.unsqueeze(0)).matmul(&v.t()).to_vec::<f64>();
    /// assert!(back.iter().zip([2.0, 1.0, 1.0, 2.0]).all(|(x, y)| (x - y).abs() < 1e-12));
    /// // Σ λ² = ‖A‖², whose gradient 2A is finite at the repeated eigenvalues of I too.
    /// let eye = Tensor::eye(3, cotangent::DType::F64);
    /// let g = grad(|x: &Tensor| x.eigh().0.square().sum())(&eye);
    /// let want = [2.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 2.0];
    /// assert!(g.to_vec::<f64>().iter().zip(want).all(|(x, y)| (x - y).abs() < 1e-12));
    /// ```
    #[track_caller]
    pub fn try_eigh(&self) -> Result<(Tensor, Tensor)> {
        square_matrix("eigh", self, Location::caller())?;
        eigh_parts(&bind(Eigh, smallvec![sym(self)?])?)
    }

    /// Symmetric eigendecomposition; see [`Tensor::try_eigh`].
    #[track_caller]
    pub fn eigh(&self) -> (Tensor, Tensor) {
        match self.try_eigh() {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        }
    }

    /// The reduced QR factorization of a matrix `[m, n]`, or of each matrix of a batch
    /// `[..., m, n]`: `(Q, R)` with `k = min(m, n)`, orthonormal columns `Q: [..., m, k]`
    /// (`QᵀQ = I`) and upper-triangular (upper-trapezoidal when wide) `R: [..., k, n]`,
    /// `A = Q R`, as `jnp.linalg.qr(a, mode="reduced")`. **Sign convention**: `R`'s diagonal
    /// is non-negative (each column of `Q`, with the row of `R` it multiplies, is negated where
    /// the Householder factorization gives a negative diagonal entry); JAX/LAPACK leave those
    /// signs as Householder gives them. At full rank that makes the factorization unique and
    /// its derivative well defined. f32 and f64; needs the `faer` feature (on by default). A
    /// matrix with a non-finite entry gives NaNs.
    ///
    /// Tall and square matrices (`m ≥ n`) are the `qr` primitive. Wide ones (`m < n`) are a
    /// composite: `Q, R₁` the QR of the leading `m × m` block `A[:, :m]` and
    /// `R = [R₁, Qᵀ A[:, m:]]` (the same factors Householder QR of the whole matrix gives, up
    /// to the signs fixed above); its derivative, through the square case and a matmul, needs
    /// that leading block to be of full rank.
    ///
    /// Derivatives, for full column rank: with `C = Qᵀ dA R⁻¹` and
    /// `Ω = tril(C, −1) − tril(C, −1)ᵀ`, `dQ = dA R⁻¹ + Q (Ω − C)`, `dR = (C − Ω) R`; the
    /// reverse rule is `Ā = (Q̄ + Q copyltu(R R̄ᵀ − Q̄ᵀ Q)) R⁻ᵀ`. Both are written with the
    /// library's ops, so every order differentiates. At rank deficiency `R⁻¹` is infinite.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let a = Tensor::from_vec(vec![3.0, 1.0, 4.0, 2.0, 0.0, 2.0], &[3, 2]);
    /// let (q, r) = a.qr();
    /// assert_eq!((q.dims(), r.dims()), (&[3, 2][..], &[2, 2][..]));
    /// let back = q.matmul(&r).to_vec::<f64>();
    /// assert!(back.iter().zip(a.to_vec::<f64>()).all(|(x, y)| (x - y).abs() < 1e-12));
    /// let rv = r.to_vec::<f64>();
    /// assert!(rv[0] > 0.0 && rv[2] == 0.0 && rv[3] >= 0.0);
    /// assert!((rv[0] - 5.0).abs() < 1e-12); // ‖(3, 4, 0)‖
    /// // Wide: Q [2, 2], R [2, 3].
    /// let w = a.t();
    /// let (q, r) = w.qr();
    /// assert_eq!((q.dims(), r.dims()), (&[2, 2][..], &[2, 3][..]));
    /// let back = q.matmul(&r).to_vec::<f64>();
    /// assert!(back.iter().zip(w.to_vec::<f64>()).all(|(x, y)| (x - y).abs() < 1e-12));
    /// let err = Tensor::zeros(&[3], cotangent::DType::F64).try_qr().unwrap_err();
    /// assert!(err.to_string().contains("qr") && err.to_string().contains("[3]"));
    /// ```
    #[track_caller]
    pub fn try_qr(&self) -> Result<(Tensor, Tensor)> {
        let loc = Location::caller();
        if !self.dtype().is_float() {
            return Err(Error::dtype(
                "qr",
                format!("expected a floating-point matrix, got {}", self.dtype()),
            )
            .at(loc));
        }
        let r = self.rank();
        if r >= 2 && self.dims()[r - 2] < self.dims()[r - 1] {
            let (m, n) = (self.dims()[r - 2], self.dims()[r - 1]);
            let packed = bind(Qr, smallvec![self.try_narrow(-1, 0, m)?]).map_err(|e| e.at(loc))?;
            let (q, r1) = qr_parts(&packed)?;
            let r2 = q.mt().matmul_raw(&self.try_narrow(-1, m, n - m)?)?;
            return Ok((q, Tensor::try_concat(&[r1, r2], -1)?));
        }
        let packed = bind(Qr, smallvec![self.clone()]).map_err(|e| e.at(loc))?;
        qr_parts(&packed)
    }

    /// Reduced QR factorization; see [`Tensor::try_qr`].
    #[track_caller]
    pub fn qr(&self) -> (Tensor, Tensor) {
        match self.try_qr() {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        }
    }
}
