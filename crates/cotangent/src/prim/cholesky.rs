//! `cholesky`: the lower Cholesky factor `L` of a batch of symmetric positive-definite
//! matrices (`A = L Lᵀ`; only the lower triangle of `A` is read; a matrix that is not positive
//! definite gives NaNs on and below the diagonal, as JAX). Derivatives are taken along
//! symmetric perturbations, as JAX's: JVP `dL = L Φ(L⁻¹ sym(dA) L⁻ᵀ)` with `Φ` the lower
//! triangle with halved diagonal, and its transpose, VJP `Ā = sym(L⁻ᵀ Φ(Lᵀ L̄) L⁻¹)`.

use crate::backend::cpu::dispatch::dispatch_float;
use crate::backend::cpu::linalg::cholesky;
use crate::core::{Result, Tensor, Value};
use crate::prim::batching::Batched;
use crate::prim::linalg_common::{batch_front, phi, square, sym, tri_solve};
use crate::prim::{Aval, AvalRef, Primitive};

/// Lower Cholesky factor of each matrix of `[..., n, n]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Cholesky;

impl Primitive for Cholesky {
    crate::prim::typed_params!();
    fn name(&self) -> &'static str {
        "cholesky"
    }
    fn abstract_eval(&self, inputs: &[AvalRef<'_>]) -> Result<Aval> {
        square("cholesky", inputs[0])?;
        Ok(Aval {
            shape: inputs[0].shape.clone(),
            dtype: inputs[0].dtype,
        })
    }
    fn eval(&self, inputs: &[&Value]) -> Result<Value> {
        dispatch_float!("cholesky", inputs[0].dtype(), T => cholesky::<T>(inputs[0]))
    }
    fn jvp(&self, _: &[Tensor], t: &[Option<Tensor>], l: &Tensor) -> Result<Option<Tensor>> {
        let Some(da) = &t[0] else { return Ok(None) };
        // X = L⁻¹ S L⁻ᵀ, as (L⁻¹ (L⁻¹ S)ᵀ)ᵀ.
        let y = tri_solve(l, &sym(da)?, true, false)?;
        let x = tri_solve(l, &y.mt(), true, false)?.mt();
        Ok(Some(l.matmul_raw(&phi(&x)?)?))
    }
    fn vjp(&self, _: &[Tensor], l: &Tensor, g: &Tensor) -> Result<Vec<Option<Tensor>>> {
        // S = L⁻ᵀ P L⁻¹ with P = Φ(Lᵀ L̄), as (L⁻ᵀ (L⁻ᵀ P)ᵀ)ᵀ.
        let p = phi(&l.mt().matmul_raw(g)?)?;
        let z = tri_solve(l, &p, true, true)?;
        let s = tri_solve(l, &z.mt(), true, true)?.mt();
        Ok(vec![Some(sym(&s)?)])
    }
    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], size: usize) -> Batched {
        batch_front(self, args, dims, size)
    }
}

/// The primitives this module registers.
pub(crate) fn instances() -> Vec<std::sync::Arc<dyn Primitive>> {
    vec![std::sync::Arc::new(Cholesky)]
}
