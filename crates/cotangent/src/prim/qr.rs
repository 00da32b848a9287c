//! `qr`: the reduced QR factorization `A = Q R` of a batch of `[..., m, n]` matrices with
//! `m ≥ n`, packed as `[..., m + n, n]`: rows `0..m` the orthonormal columns `Q: [m, n]`, rows
//! `m..m + n` the upper-triangular `R: [n, n]` with a non-negative diagonal (the sign
//! convention that makes the factorization unique at full rank). The op ([`Tensor::try_qr`])
//! unpacks the two parts.
//!
//! Derivatives (full column rank): with `C = Qᵀ dA R⁻¹` and `Ω = tril(C, −1) − tril(C, −1)ᵀ`
//! (skew), `dQ = dA R⁻¹ + Q (Ω − C)` and `dR = (C − Ω) R`, as JAX's `qr_jvp_rule`. The VJP is
//! the known transpose: with `M = R R̄ᵀ − Q̄ᵀ Q`, `Ā = (Q̄ + Q copyltu(M)) R⁻ᵀ`, where
//! `copyltu(M) = tril(M) + tril(M, −1)ᵀ`. Both are written with the library's ops
//! (`R⁻¹` by the `triangular_solve` primitive), so they differentiate again.

use crate::backend::cpu::dispatch::dispatch_float;
use crate::backend::cpu::linalg::qr;
use crate::core::{Error, Result, Shape, Tensor, Value};
use crate::prim::batching::Batched;
use crate::prim::linalg_common::{batch_front, tri_solve};
use crate::prim::{Aval, AvalRef, Primitive};

/// Reduced QR of each matrix of `[..., m, n]` (`m ≥ n`), packed as `[..., m + n, n]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Qr;

/// `Q: [..., m, n]` and `R: [..., n, n]` of a packed `[..., m + n, n]`.
pub(crate) fn qr_parts(packed: &Tensor) -> Result<(Tensor, Tensor)> {
    let d = packed.dims();
    let (rows, n) = (d[d.len() - 2], d[d.len() - 1]);
    let m = rows - n;
    Ok((packed.try_narrow(-2, 0, m)?, packed.try_narrow(-2, m, n)?))
}

/// `x R⁻¹` for upper-triangular `r` (a right-side solve, `x: [..., m, n]`).
fn right_rinv(x: &Tensor, r: &Tensor) -> Result<Tensor> {
    Ok(tri_solve(r, &x.mt(), false, true)?.mt())
}

/// `x R⁻ᵀ` for upper-triangular `r`.
fn right_rinv_t(x: &Tensor, r: &Tensor) -> Result<Tensor> {
    Ok(tri_solve(r, &x.mt(), false, false)?.mt())
}

impl Primitive for Qr {
    crate::prim::typed_params!();
    fn name(&self) -> &'static str {
        "qr"
    }
    fn abstract_eval(&self, inputs: &[AvalRef<'_>]) -> Result<Aval> {
        let a = inputs[0];
        if !a.dtype.is_float() {
            return Err(Error::dtype(
                "qr",
                format!("expected a floating-point matrix, got {}", a.dtype),
            ));
        }
        let r = a.shape.rank();
        if r < 2 {
            return Err(Error::shape(
                "qr",
                format!(
                    "expected a matrix or a batch of them ([..., m, n]), got shape {}",
                    a.shape
                ),
            ));
        }
        let (m, n) = (a.shape[r - 2], a.shape[r - 1]);
        if m < n {
            return Err(Error::shape(
                "qr",
                format!(
                    "the qr primitive takes m ≥ n (Tensor::qr factors wide matrices around it): got shape {}",
                    a.shape
                ),
            ));
        }
        let mut dims = a.shape[..r - 2].to_vec();
        dims.extend([m + n, n]);
        Ok(Aval {
            shape: Shape::try_new(&dims)?,
            dtype: a.dtype,
        })
    }
    fn eval(&self, inputs: &[&Value]) -> Result<Value> {
        dispatch_float!("qr", inputs[0].dtype(), T => qr::<T>(inputs[0]))
    }
    fn jvp(&self, _: &[Tensor], t: &[Option<Tensor>], out: &Tensor) -> Result<Option<Tensor>> {
        let Some(da) = &t[0] else { return Ok(None) };
        let (q, r) = qr_parts(out)?;
        let da_rinv = right_rinv(da, &r)?;
        let c = q.mt().matmul_raw(&da_rinv)?;
        let low = c.try_tril(-1)?;
        let omega = low.try_sub(&low.mt())?;
        let dq = da_rinv.try_add(&q.matmul_raw(&omega.try_sub(&c)?)?)?;
        let dr = c.try_sub(&omega)?.matmul_raw(&r)?;
        Ok(Some(Tensor::try_concat(&[dq, dr], -2)?))
    }
    fn vjp(&self, _: &[Tensor], out: &Tensor, g: &Tensor) -> Result<Vec<Option<Tensor>>> {
        let (q, r) = qr_parts(out)?;
        let (gq, gr) = qr_parts(g)?;
        let m = r.matmul_raw(&gr.mt())?.try_sub(&gq.mt().matmul_raw(&q)?)?;
        let copyltu = m.try_tril(0)?.try_add(&m.try_tril(-1)?.mt())?;
        let inner = gq.try_add(&q.matmul_raw(&copyltu)?)?;
        Ok(vec![Some(right_rinv_t(&inner, &r)?)])
    }
    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], size: usize) -> Batched {
        batch_front(self, args, dims, size)
    }
}

/// The primitives this module registers.
pub(crate) fn instances() -> Vec<std::sync::Arc<dyn Primitive>> {
    vec![std::sync::Arc::new(Qr)]
}
