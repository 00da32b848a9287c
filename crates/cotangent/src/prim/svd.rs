//! `svd`: the thin singular value decomposition `A = U diag(s) Vᵀ` of a batch of `[..., m, n]`
//! matrices (`k = min(m, n)`), packed as `[..., m + 1 + n, k]`: rows `0..m` the orthonormal
//! columns `U: [m, k]`, row `m` the singular values `s` (descending, non-negative), rows
//! `m + 1..` the orthonormal columns `V: [n, k]` (not `Vᵀ`). Each column of `U` is signed so
//! that its component of largest magnitude is positive, and the column of `V` with it follows.
//! The op ([`Tensor::try_svd`]) unpacks the three parts and transposes `V`.
//!
//! Derivatives, as JAX's `svd_jvp_rule`: with `P = Uᵀ dA V` and `F_ij = 1 / (s_j² − s_i²)`
//! (0 on the diagonal), `ds = diag(P)`, `dU = U (F ∘ (P S + S Pᵀ)) + (I − U Uᵀ) dA V S⁻¹` and
//! `dV = V (F ∘ (S P + Pᵀ S)) + (I − V Vᵀ) dAᵀ U S⁻¹` (the projector terms only where
//! `m > k`, resp. `n > k`). The VJP is its transpose, `Ā = U M Vᵀ + (I − U Uᵀ) Ū S⁻¹ Vᵀ +
//! U S⁻¹ V̄ᵀ (I − V Vᵀ)` with `M = (F ∘ (UᵀŪ − ŪᵀU)) S + diag(s̄) + S (F ∘ (VᵀV̄ − V̄ᵀV))`.
//! As in `eigh`, `F_ij` is set to 0 where `|s_j − s_i| ≤ 16 max(m, n) ε max s` (numerically
//! repeated singular values, where JAX's `F` is infinite), and `S⁻¹` is 0 for singular values
//! at or below that tolerance (numerically zero ones): exact for the first derivatives of
//! functions of the singular values alone, and leaves singular-vector derivatives inside a
//! repeated (or zero) singular subspace, which are not unique there, at zero.

use crate::backend::cpu::dispatch::dispatch_float;
use crate::backend::cpu::linalg::svd;
use crate::core::{Error, Result, Shape, Tensor, Value};
use crate::prim::batching::Batched;
use crate::prim::linalg_common::batch_front;
use crate::prim::{Aval, AvalRef, Primitive};

/// Thin SVD of each matrix of `[..., m, n]`, packed as `[..., m + 1 + n, min(m, n)]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Svd;

/// `U: [..., m, k]`, `s: [..., k]` and `V: [..., n, k]` of a packed `[..., m + 1 + n, k]`
/// (the packed shape alone does not say which of `m`, `n` is `k`, so `m` is given).
pub(crate) fn svd_parts(packed: &Tensor, m: usize) -> Result<(Tensor, Tensor, Tensor)> {
    let rows = packed.dims()[packed.rank() - 2];
    let n = rows - m - 1;
    let u = packed.try_narrow(-2, 0, m)?;
    let s = packed.try_narrow(-2, m, 1)?.try_squeeze(-2)?;
    Ok((u, s, packed.try_narrow(-2, m + 1, n)?))
}

/// The rows and columns `(m, n)` of a batch of matrices.
fn mn(a: &Tensor) -> (usize, usize) {
    let d = a.dims();
    (d[d.len() - 2], d[d.len() - 1])
}

/// The tolerance below which singular values count as equal (or as zero): `16 max(m, n) ε
/// max s`, one per matrix, shape `[..., 1]`, detached.
fn tolerance(s: &Tensor, m: usize, n: usize) -> Result<Tensor> {
    let eps = s.dtype().epsilon();
    s.detach()
        .max_axes_or_neg_inf(&[-1], true)?
        .try_mul(&s.scalar_like(16.0 * m.max(n) as f64 * eps))
}

/// `F_ij = 1 / (s_j² − s_i²)` (shape `[..., k, k]`), 0 where `|s_j − s_i| ≤ tol` (the
/// diagonal, and singular values equal to rounding); and `1 / s` (shape `[..., 1, k]`, to
/// scale columns), 0 where `s ≤ tol`.
fn gaps(s: &Tensor, m: usize, n: usize) -> Result<(Tensor, Tensor)> {
    let tol = tolerance(s, m, n)?;
    let (row, col) = (s.try_unsqueeze(-2)?, s.try_unsqueeze(-1)?);
    // (i, j) = s_j − s_i and s_j + s_i.
    let diff = row.try_sub(&col)?;
    let tiny = diff
        .detach()
        .try_abs()?
        .try_le(&tol.try_unsqueeze(-1)?)?;
    let prod = diff.try_mul(&row.try_add(&col)?)?;
    let one = s.scalar_like(1.0);
    let zero = s.scalar_like(0.0);
    let f = tiny.try_select(&zero, &tiny.try_select(&one, &prod)?.try_recip()?)?;
    let small = s.detach().try_le(&tol)?;
    let sinv = small.try_select(&zero, &small.try_select(&one, s)?.try_recip()?)?;
    Ok((f, sinv.try_unsqueeze(-2)?))
}

/// `(I − Q Qᵀ) x` for `q: [..., r, k]` with orthonormal columns.
fn reject(q: &Tensor, x: &Tensor) -> Result<Tensor> {
    x.try_sub(&q.matmul_raw(&q.mt().matmul_raw(x)?)?)
}

fn pack(u: &Tensor, s: &Tensor, v: &Tensor) -> Result<Tensor> {
    Tensor::try_concat(&[u.clone(), s.try_unsqueeze(-2)?, v.clone()], -2)
}

impl Primitive for Svd {
    crate::prim::typed_params!();
    fn name(&self) -> &'static str {
        "svd"
    }
    fn abstract_eval(&self, inputs: &[AvalRef<'_>]) -> Result<Aval> {
        let a = inputs[0];
        if !a.dtype.is_float() {
            return Err(Error::dtype(
                "svd",
                format!("expected a floating-point matrix, got {}", a.dtype),
            ));
        }
        let r = a.shape.rank();
        if r < 2 {
            return Err(Error::shape(
                "svd",
                format!(
                    "expected a matrix or a batch of them ([..., m, n]), got shape {}",
                    a.shape
                ),
            ));
        }
        let (m, n) = (a.shape[r - 2], a.shape[r - 1]);
        let mut dims = a.shape[..r - 2].to_vec();
        dims.extend([m + 1 + n, m.min(n)]);
        Ok(Aval {
            shape: Shape::try_new(&dims)?,
            dtype: a.dtype,
        })
    }
    fn eval(&self, inputs: &[&Value]) -> Result<Value> {
        dispatch_float!("svd", inputs[0].dtype(), T => svd::<T>(inputs[0]))
    }
    fn jvp(&self, x: &[Tensor], t: &[Option<Tensor>], out: &Tensor) -> Result<Option<Tensor>> {
        let Some(da) = &t[0] else { return Ok(None) };
        let (m, n) = mn(&x[0]);
        let k = m.min(n);
        let (u, s, v) = svd_parts(out, m)?;
        let (f, sinv) = gaps(&s, m, n)?;
        let p = u.mt().matmul_raw(da)?.matmul_raw(&v)?;
        let ds = p.try_diagonal(0)?;
        // P S scales column j by s_j; S P row i by s_i.
        let ps = p.try_mul(&s.try_unsqueeze(-2)?)?;
        let sp = p.try_mul(&s.try_unsqueeze(-1)?)?;
        let mut du = u.matmul_raw(&f.try_mul(&ps.try_add(&ps.mt())?)?)?;
        let mut dv = v.matmul_raw(&f.try_mul(&sp.try_add(&sp.mt())?)?)?;
        if m > k {
            let dav = da.matmul_raw(&v)?;
            du = du.try_add(&reject(&u, &dav)?.try_mul(&sinv)?)?;
        }
        if n > k {
            let dau = da.mt().matmul_raw(&u)?;
            dv = dv.try_add(&reject(&v, &dau)?.try_mul(&sinv)?)?;
        }
        Ok(Some(pack(&du, &ds, &dv)?))
    }
    fn vjp(&self, x: &[Tensor], out: &Tensor, g: &Tensor) -> Result<Vec<Option<Tensor>>> {
        let (m, n) = mn(&x[0]);
        let k = m.min(n);
        let (u, s, v) = svd_parts(out, m)?;
        let (gu, gs, gv) = svd_parts(g, m)?;
        let (f, sinv) = gaps(&s, m, n)?;
        let ju = u.mt().matmul_raw(&gu)?;
        let jv = v.mt().matmul_raw(&gv)?;
        let left = f.try_mul(&ju.try_sub(&ju.mt())?)?.try_mul(&s.try_unsqueeze(-2)?)?;
        let right = f.try_mul(&jv.try_sub(&jv.mt())?)?.try_mul(&s.try_unsqueeze(-1)?)?;
        let diag = Tensor::try_eye(k, s.dtype())?.try_mul(&gs.try_unsqueeze(-1)?)?;
        let inner = left.try_add(&diag)?.try_add(&right)?;
        let mut a = u.matmul_raw(&inner)?.matmul_raw(&v.mt())?;
        if m > k {
            let w = reject(&u, &gu)?.try_mul(&sinv)?;
            a = a.try_add(&w.matmul_raw(&v.mt())?)?;
        }
        if n > k {
            let w = reject(&v, &gv)?.try_mul(&sinv)?;
            a = a.try_add(&u.matmul_raw(&w.mt())?)?;
        }
        Ok(vec![Some(a)])
    }
    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], size: usize) -> Batched {
        batch_front(self, args, dims, size)
    }
}

/// The primitives this module registers.
pub(crate) fn instances() -> Vec<std::sync::Arc<dyn Primitive>> {
    vec![std::sync::Arc::new(Svd)]
}
