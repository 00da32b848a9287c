//! `solve`: `X = A⁻¹ B` for a batch of general square `A: [..., n, n]` and `B: [..., n, k]`,
//! by LU with partial pivoting (a singular `A` gives the infinities or NaNs of the division by
//! its zero pivot, as JAX). JVP `dX = A⁻¹ (dB − dA X)`; VJP `B̄ = A⁻ᵀ X̄`, `Ā = −B̄ Xᵀ`.

use crate::backend::cpu::dispatch::dispatch_float;
use crate::backend::cpu::linalg::solve;
use crate::core::{Result, Tensor, Value};
use crate::prim::batching::Batched;
use crate::prim::linalg_common::{batch_front, check_solve, lu_solve};
use crate::prim::{Aval, AvalRef, Primitive};

/// Solve `A X = B` by LU with partial pivoting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Solve;

impl Primitive for Solve {
    crate::prim::typed_params!();
    fn name(&self) -> &'static str {
        "solve"
    }
    fn abstract_eval(&self, inputs: &[AvalRef<'_>]) -> Result<Aval> {
        check_solve("solve", inputs[0], inputs[1])?;
        Ok(Aval {
            shape: inputs[1].shape.clone(),
            dtype: inputs[1].dtype,
        })
    }
    fn eval(&self, inputs: &[&Value]) -> Result<Value> {
        let (a, b) = (inputs[0], inputs[1]);
        Ok(dispatch_float!("solve", a.dtype(), T => solve::<T>(a, b)))
    }
    fn jvp(&self, p: &[Tensor], t: &[Option<Tensor>], x: &Tensor) -> Result<Option<Tensor>> {
        let rhs = match (&t[0], &t[1]) {
            (Some(da), Some(db)) => db.try_sub(&da.matmul_raw(x)?)?,
            (Some(da), None) => da.matmul_raw(x)?.try_neg()?,
            (None, Some(db)) => db.clone(),
            (None, None) => return Ok(None),
        };
        Ok(Some(lu_solve(&p[0], &rhs)?))
    }
    fn vjp(&self, p: &[Tensor], x: &Tensor, g: &Tensor) -> Result<Vec<Option<Tensor>>> {
        let gb = lu_solve(&p[0].mt(), g)?;
        let ga = gb.matmul_raw(&x.mt())?.try_neg()?;
        Ok(vec![Some(ga), Some(gb)])
    }
    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], size: usize) -> Batched {
        batch_front(self, args, dims, size)
    }
}

/// The primitives this module registers.
pub(crate) fn instances() -> Vec<std::sync::Arc<dyn Primitive>> {
    vec![std::sync::Arc::new(Solve)]
}
