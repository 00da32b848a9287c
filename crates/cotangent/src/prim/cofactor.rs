//! `cofactor`: the cofactor matrix `C = det(A) A⁻ᵀ` of a batch of square matrices (the
//! gradient of `det`), computed from the LU factors as JAX's `_cofactor_solve` so that a
//! matrix of rank `n − 1` gets its rank-one cofactor matrix instead of NaNs. Its own
//! derivative is written for invertible `A`: with `M = A⁻¹ dA`, JVP `dC = C (tr(M) I − Mᵀ)`;
//! VJP, with `K = Cᵀ C̄`, `Ā = A⁻ᵀ (tr(K) I − Kᵀ)`.

use crate::backend::cpu::dispatch::dispatch_float;
use crate::backend::cpu::linalg::cofactor;
use crate::core::{Result, Tensor, Value};
use crate::prim::batching::Batched;
use crate::prim::linalg_common::{batch_front, eye_of, lu_solve, per_matrix, square};
use crate::prim::{Aval, AvalRef, Primitive};

/// Cofactor matrix `det(A) A⁻ᵀ`, `[..., n, n] -> [..., n, n]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Cofactor;

/// `tr(m) I − mᵀ` over the last two axes.
fn trace_minus_transpose(m: &Tensor) -> Result<Tensor> {
    eye_of(m)?
        .try_mul(&per_matrix(&m.try_trace()?)?)?
        .try_sub(&m.mt())
}

impl Primitive for Cofactor {
    crate::prim::typed_params!();
    fn name(&self) -> &'static str {
        "cofactor"
    }
    fn abstract_eval(&self, inputs: &[AvalRef<'_>]) -> Result<Aval> {
        square("cofactor", inputs[0])?;
        Ok(Aval {
            shape: inputs[0].shape.clone(),
            dtype: inputs[0].dtype,
        })
    }
    fn eval(&self, inputs: &[&Value]) -> Result<Value> {
        Ok(dispatch_float!("cofactor", inputs[0].dtype(), T => cofactor::<T>(inputs[0])))
    }
    fn jvp(&self, p: &[Tensor], t: &[Option<Tensor>], c: &Tensor) -> Result<Option<Tensor>> {
        let Some(da) = &t[0] else { return Ok(None) };
        let m = lu_solve(&p[0], da)?;
        Ok(Some(c.matmul_raw(&trace_minus_transpose(&m)?)?))
    }
    fn vjp(&self, p: &[Tensor], c: &Tensor, g: &Tensor) -> Result<Vec<Option<Tensor>>> {
        let k = c.mt().matmul_raw(g)?;
        Ok(vec![Some(lu_solve(&p[0].mt(), &trace_minus_transpose(&k)?)?)])
    }
    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], size: usize) -> Batched {
        batch_front(self, args, dims, size)
    }
}

/// The primitives this module registers.
pub(crate) fn instances() -> Vec<std::sync::Arc<dyn Primitive>> {
    vec![std::sync::Arc::new(Cofactor)]
}
