//! `eigh`: the eigendecomposition `A = V diag(λ) Vᵀ` of a batch of symmetric matrices (only
//! the lower triangle is read), packed as `[..., n + 1, n]`: row 0 the eigenvalues `λ` in
//! ascending order, rows `1..=n` the orthonormal eigenvectors as the columns of `V`, each
//! signed so that its component of largest magnitude is positive. The op
//! ([`Tensor::try_eigh`]) symmetrizes its input first and unpacks the two parts.
//!
//! Derivatives are taken along symmetric perturbations, as Cholesky's: with `M = Vᵀ sym(dA) V`,
//! `dλ = diag(M)` and `dV = V (F ∘ M)`, `F_ij = 1 / (λ_j − λ_i)`; the VJP is its transpose,
//! `Ā = sym(V (diag(λ̄) + F ∘ (Vᵀ V̄)) Vᵀ)`. At (numerically) repeated eigenvalues, where JAX's
//! `F` is infinite and its derivatives NaN, `F_ij` is set to 0 (below `16 n ε max|λ|`): exact for
//! the first derivatives of functions of the eigenvalues alone that are symmetric in the
//! repeated ones (`Σ λ²`, `tr`, `log det`, …), and leaves eigenvector derivatives inside a
//! degenerate eigenspace (which is not unique there) at zero.

use crate::backend::cpu::dispatch::dispatch_float;
use crate::backend::cpu::linalg::eigh;
use crate::core::{Result, Shape, Tensor, Value};
use crate::prim::batching::Batched;
use crate::prim::linalg_common::{batch_front, eye_of, square, sym};
use crate::prim::{Aval, AvalRef, Primitive};

/// Eigenvalues and eigenvectors of each symmetric matrix of `[..., n, n]`, packed as
/// `[..., n + 1, n]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Eigh;

/// The eigenvalues `[..., n]` and eigenvectors `[..., n, n]` of a packed `[..., n + 1, n]`.
pub(crate) fn eigh_parts(packed: &Tensor) -> Result<(Tensor, Tensor)> {
    let n = packed.dims()[packed.rank() - 1];
    let w = packed.try_narrow(-2, 0, 1)?.try_squeeze(-2)?;
    Ok((w, packed.try_narrow(-2, 1, n)?))
}

/// `F_ij = 1 / (λ_j − λ_i)` for eigenvalues `w: [..., n]` (shape `[..., n, n]`), and 0 where
/// `|λ_j − λ_i| ≤ 16 n ε max|λ|` (the diagonal, and eigenvalues equal to rounding): a
/// deliberate difference from JAX, whose `F` is infinite there.
fn gaps(w: &Tensor) -> Result<Tensor> {
    let n = w.dims()[w.rank() - 1];
    let eps = w.dtype().epsilon();
    // (i, j) = λ_j − λ_i.
    let diff = w.try_unsqueeze(-2)?.try_sub(&w.try_unsqueeze(-1)?)?;
    let wd = w.detach();
    let tol = wd
        .try_abs()?
        .max_axes_or_neg_inf(&[-1], true)?
        .try_unsqueeze(-1)?
        .try_mul(&w.scalar_like(16.0 * n as f64 * eps))?;
    let tiny = diff.detach().try_abs()?.try_le(&tol)?;
    let safe = tiny.try_select(&w.scalar_like(1.0), &diff)?;
    tiny.try_select(&w.scalar_like(0.0), &safe.try_recip()?)
}

/// `[..., n]` and `[..., n, n]` packed as `[..., n + 1, n]`.
fn pack(w: &Tensor, v: &Tensor) -> Result<Tensor> {
    Tensor::try_concat(&[w.try_unsqueeze(-2)?, v.clone()], -2)
}

impl Primitive for Eigh {
    crate::prim::typed_params!();
    fn name(&self) -> &'static str {
        "eigh"
    }
    fn abstract_eval(&self, inputs: &[AvalRef<'_>]) -> Result<Aval> {
        let a = inputs[0];
        let n = square("eigh", a)?;
        let r = a.shape.rank();
        let mut dims = a.shape[..r - 2].to_vec();
        dims.extend([n + 1, n]);
        Ok(Aval {
            shape: Shape::try_new(&dims)?,
            dtype: a.dtype,
        })
    }
    fn eval(&self, inputs: &[&Value]) -> Result<Value> {
        dispatch_float!("eigh", inputs[0].dtype(), T => eigh::<T>(inputs[0]))
    }
    fn jvp(&self, _: &[Tensor], t: &[Option<Tensor>], out: &Tensor) -> Result<Option<Tensor>> {
        let Some(da) = &t[0] else { return Ok(None) };
        let (w, v) = eigh_parts(out)?;
        let m = v.mt().matmul_raw(&sym(da)?)?.matmul_raw(&v)?;
        let dw = m.try_diagonal(0)?;
        let dv = v.matmul_raw(&gaps(&w)?.try_mul(&m)?)?;
        Ok(Some(pack(&dw, &dv)?))
    }
    fn vjp(&self, _: &[Tensor], out: &Tensor, g: &Tensor) -> Result<Vec<Option<Tensor>>> {
        let (w, v) = eigh_parts(out)?;
        let (gw, gv) = eigh_parts(g)?;
        let inner = eye_of(&v)?
            .try_mul(&gw.try_unsqueeze(-1)?)?
            .try_add(&gaps(&w)?.try_mul(&v.mt().matmul_raw(&gv)?)?)?;
        let a = v.matmul_raw(&inner)?.matmul_raw(&v.mt())?;
        Ok(vec![Some(sym(&a)?)])
    }
    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], size: usize) -> Batched {
        batch_front(self, args, dims, size)
    }
}

/// The primitives this module registers.
pub(crate) fn instances() -> Vec<std::sync::Arc<dyn Primitive>> {
    vec![std::sync::Arc::new(Eigh)]
}
