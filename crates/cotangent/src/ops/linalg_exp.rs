//! The matrix exponential `matrix_exp`, as `jax.scipy.linalg.expm`: a composite (no primitive
//! of its own) by scaling and squaring with the degree-13 Padé approximant of Higham (2005),
//! built from matmuls, one LU solve and elementwise ops, so its derivatives of every order come
//! from theirs.

use std::panic::Location;

use crate::core::{Result, Tensor};
use crate::ops::linalg_shapes::square_matrix;
use crate::prim::linalg_common::{eye_of, lu_solve, per_matrix};

/// The numerator coefficients `b_k` of the degree-13 Padé approximant (Higham 2005, Table 2.3).
const PADE13: [f64; 14] = [
    64764752532480000.0,
    32382376266240000.0,
    7771770303897600.0,
    1187353796428800.0,
    129060195264000.0,
    10559470521600.0,
    670442572800.0,
    33522128640.0,
    1323241920.0,
    40840800.0,
    960960.0,
    16380.0,
    182.0,
    1.0,
];

/// `θ₁₃`: the largest 1-norm for which the degree-13 approximant is accurate to double
/// precision (Higham 2005, Table 2.3).
const THETA13: f64 = 5.371920351148152;

/// The number of squarings a traced input always gets (each applied only to the matrices whose
/// scaling asks for it): enough for 1-norms up to `θ₁₃ · 2¹⁶ ≈ 3.5·10⁵`.
const TRACED_SQUARINGS: usize = 16;

/// `Σ c_k x_k`.
fn combine(terms: &[(f64, &Tensor)]) -> Result<Tensor> {
    let mut acc = terms[0].1.try_mul(&terms[0].1.scalar_like(terms[0].0))?;
    for (c, x) in &terms[1..] {
        acc = acc.try_add(&x.try_mul(&x.scalar_like(*c))?)?;
    }
    Ok(acc)
}

/// `r₁₃(x) = (V − U)⁻¹ (V + U)`, the degree-13 Padé approximant of `exp(x)` (coefficients
/// divided by `b₀`, which leaves the ratio unchanged and keeps f32 in range).
fn pade13(x: &Tensor) -> Result<Tensor> {
    let b: Vec<f64> = PADE13.iter().map(|c| c / PADE13[0]).collect();
    let eye = eye_of(x)?;
    let a2 = x.matmul_raw(x)?;
    let a4 = a2.matmul_raw(&a2)?;
    let a6 = a4.matmul_raw(&a2)?;
    let hi_u = a6.matmul_raw(&combine(&[(b[13], &a6), (b[11], &a4), (b[9], &a2)])?)?;
    let u = x.matmul_raw(&combine(&[
        (1.0, &hi_u),
        (b[7], &a6),
        (b[5], &a4),
        (b[3], &a2),
        (b[1], &eye),
    ])?)?;
    let hi_v = a6.matmul_raw(&combine(&[(b[12], &a6), (b[10], &a4), (b[8], &a2)])?)?;
    let v = combine(&[
        (1.0, &hi_v),
        (b[6], &a6),
        (b[4], &a4),
        (b[2], &a2),
        (1.0, &eye),
    ])?;
    lu_solve(&v.try_sub(&u)?, &v.try_add(&u)?)
}

/// **The matrix exponential**.
impl Tensor {
    /// The matrix exponential `exp(A) = Σ Aᵏ/k!` of a square matrix, or of each matrix of a
    /// batch `[..., n, n]`, as `jax.scipy.linalg.expm`: scaling and squaring with the
    /// degree-13 Padé approximant (Higham 2005), `exp(A) = r₁₃(A / 2ˢ)^(2ˢ)` with
    /// `s = max(0, ⌈log₂(‖A‖₁ / θ₁₃)⌉)`, `θ₁₃ ≈ 5.37`. (Unlike Higham's algorithm it always
    /// uses degree 13, also where a lower degree would do.) It is a composite of matmuls, one
    /// LU solve and elementwise ops, so it differentiates to any order (the choice of `s` is
    /// piecewise constant and carries no derivative). f32 and f64; does not need `faer`.
    ///
    /// **Choosing `s`** needs the norm's value. Eagerly (also under `grad` and `jvp`) it is
    /// read, and one `s`, the largest any matrix of the batch needs, is used for the whole
    /// batch. Under `jit`, `vmap` or tracing the norm is not concrete: then the graph is fixed
    /// at 16 squarings, each applied (by a `select`) only to the matrices whose own `s` asks
    /// for it, so results agree with eager ones for 1-norms up to `θ₁₃ · 2¹⁶ ≈ 3.5·10⁵`;
    /// beyond that traced results lose accuracy (the approximant is applied above `θ₁₃`).
    ///
    /// ```
    /// use cotangent::Tensor;
    /// // A nilpotent matrix: exp([[0, 1], [0, 0]]) = [[1, 1], [0, 1]].
    /// let n = Tensor::from_vec(vec![0.0, 1.0, 0.0, 0.0], &[2, 2]);
    /// let e = n.matrix_exp().to_vec::<f64>();
    /// assert!(e.iter().zip([1.0, 1.0, 0.0, 1.0]).all(|(x, y)| (x - y).abs() < 1e-15));
    /// let err = Tensor::zeros(&[2, 3], cotangent::DType::F64).try_matrix_exp().unwrap_err();
    /// assert!(err.to_string().contains("matrix_exp") && err.to_string().contains("[2, 3]"));
    /// ```
    #[track_caller]
    pub fn try_matrix_exp(&self) -> Result<Tensor> {
        square_matrix("matrix_exp", self, Location::caller())?;
        if self.numel() == 0 {
            return self.try_mul(&self.scalar_like(1.0));
        }
        // ‖A‖₁ of each matrix, without derivative.
        let norm = self
            .detach()
            .try_abs()?
            .try_sum_axes(&[-2], false)?
            .try_max_axes(&[-1], false)?;
        if !self.value().is_abstract() {
            let big = norm
                .to_f64_vec()
                .into_iter()
                .filter(|v| v.is_finite())
                .fold(0.0f64, f64::max);
            let s = if big > THETA13 {
                (big / THETA13).log2().ceil() as i32
            } else {
                0
            };
            let scaled = self.try_mul(&self.scalar_like(2f64.powi(-s)))?;
            let mut p = pade13(&scaled)?;
            for _ in 0..s {
                p = p.matmul_raw(&p)?;
            }
            return Ok(p);
        }
        // Traced: s per matrix as a tensor, a fixed number of conditional squarings.
        let ratio = norm.try_mul(&norm.scalar_like(1.0 / THETA13))?;
        let s = ratio
            .try_log2()?
            .try_neg()?
            .try_floor()?
            .try_neg()?
            .try_clamp(0.0, TRACED_SQUARINGS as f64)?;
        let s = per_matrix(&s)?;
        let scaled = self.try_mul(&s.try_neg()?.try_exp2()?)?;
        let mut p = pade13(&scaled)?;
        let eye = eye_of(self)?;
        for i in 0..TRACED_SQUARINGS {
            let on = s.try_gt(&s.scalar_like(i as f64))?;
            // Squaring the identity where it is not taken keeps unused branches finite (an
            // overflow there would turn the zero cotangent of the `select` into NaN).
            let base = on.try_select(&p, &eye)?;
            p = on.try_select(&base.matmul_raw(&base)?, &p)?;
        }
        Ok(p)
    }
    panicking!(
        /// Matrix exponential; see [`Tensor::try_matrix_exp`].
        matrix_exp() => try_matrix_exp
    );
}
