//! `triangular_solve`: `X = op(A)⁻¹ B` for a batch of triangular `A: [..., n, n]` (only the
//! `lower` or the upper triangle is read) and `B: [..., n, k]`, `op(A) = Aᵀ` when `transpose`.
//! Derivatives see only the triangle read (as JAX's): with `mask` that triangle,
//! JVP `dX = op(A)⁻¹ (dB − op(mask(dA)) X)`; VJP `B̄ = op(A)⁻ᵀ X̄` and `Ā = mask(−B̄ Xᵀ)`
//! (`mask(−X B̄ᵀ)` when transposed).

use crate::backend::cpu::dispatch::dispatch_float;
use crate::backend::cpu::linalg::triangular_solve;
use crate::core::{Result, Tensor, Value};
use crate::prim::batching::Batched;
use crate::prim::linalg_common::{batch_front, check_solve, tri_solve};
use crate::prim::{Aval, AvalRef, Primitive};

/// Solve `op(A) X = B` with triangular `A`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TriangularSolve {
    /// `A` is lower triangular (else upper).
    pub lower: bool,
    /// Solve with `Aᵀ`.
    pub transpose: bool,
}

impl TriangularSolve {
    /// The triangle of `x` this solve reads.
    fn mask(&self, x: &Tensor) -> Result<Tensor> {
        if self.lower {
            x.try_tril(0)
        } else {
            x.try_triu(0)
        }
    }
}

impl Primitive for TriangularSolve {
    crate::prim::typed_params!();
    fn name(&self) -> &'static str {
        "triangular_solve"
    }
    fn params(&self) -> String {
        format!("lower={} transpose={}", self.lower, self.transpose)
    }
    fn abstract_eval(&self, inputs: &[AvalRef<'_>]) -> Result<Aval> {
        check_solve("triangular_solve", inputs[0], inputs[1])?;
        Ok(Aval {
            shape: inputs[1].shape.clone(),
            dtype: inputs[1].dtype,
        })
    }
    fn eval(&self, inputs: &[&Value]) -> Result<Value> {
        let (a, b) = (inputs[0], inputs[1]);
        let (l, t) = (self.lower, self.transpose);
        dispatch_float!("triangular_solve", a.dtype(), T => triangular_solve::<T>(a, b, l, t))
    }
    fn jvp(&self, p: &[Tensor], t: &[Option<Tensor>], x: &Tensor) -> Result<Option<Tensor>> {
        let rhs = match &t[0] {
            Some(da) => {
                let da = self.mask(da)?;
                let da = if self.transpose { da.mt() } else { da };
                let dax = da.matmul_raw(x)?;
                match &t[1] {
                    Some(db) => db.try_sub(&dax)?,
                    None => dax.try_neg()?,
                }
            }
            None => match &t[1] {
                Some(db) => db.clone(),
                None => return Ok(None),
            },
        };
        Ok(Some(tri_solve(&p[0], &rhs, self.lower, self.transpose)?))
    }
    fn vjp(&self, p: &[Tensor], x: &Tensor, g: &Tensor) -> Result<Vec<Option<Tensor>>> {
        let gb = tri_solve(&p[0], g, self.lower, !self.transpose)?;
        let outer = if self.transpose {
            x.matmul_raw(&gb.mt())?
        } else {
            gb.matmul_raw(&x.mt())?
        };
        let ga = self.mask(&outer.try_neg()?)?;
        Ok(vec![Some(ga), Some(gb)])
    }
    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], size: usize) -> Batched {
        batch_front(self, args, dims, size)
    }
}

/// The primitives this module registers (with example parameters).
pub(crate) fn instances() -> Vec<std::sync::Arc<dyn Primitive>> {
    vec![std::sync::Arc::new(TriangularSolve {
        lower: true,
        transpose: false,
    })]
}
