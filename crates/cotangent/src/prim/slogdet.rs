//! `slogdet`: sign and `log|det A|` of a batch of square matrices, packed as `[..., 2]`
//! (`[..., 0]` the sign, `[..., 1]` the log), from the LU pivots, as `jnp.linalg.slogdet` (a
//! singular matrix: sign 0, `-inf`). The sign is piecewise constant; `d log|det A| =
//! tr(A⁻¹ dA)`, so the VJP is `ḡ A⁻ᵀ`.

use crate::backend::cpu::dispatch::dispatch_float;
use crate::backend::cpu::linalg::slogdet;
use crate::core::{Result, Shape, Tensor, Value};
use crate::prim::batching::Batched;
use crate::prim::linalg_common::{batch_front, eye_of, lu_solve, per_matrix, square};
use crate::prim::{Aval, AvalRef, Primitive};

/// Sign and log-absolute determinant, `[..., n, n] -> [..., 2]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Slogdet;

impl Primitive for Slogdet {
    crate::prim::typed_params!();
    fn name(&self) -> &'static str {
        "slogdet"
    }
    fn abstract_eval(&self, inputs: &[AvalRef<'_>]) -> Result<Aval> {
        let a = inputs[0];
        square("slogdet", a)?;
        let r = a.shape.rank();
        let mut dims = a.shape[..r - 2].to_vec();
        dims.push(2);
        Ok(Aval {
            shape: Shape::try_new(&dims)?,
            dtype: a.dtype,
        })
    }
    fn eval(&self, inputs: &[&Value]) -> Result<Value> {
        Ok(dispatch_float!("slogdet", inputs[0].dtype(), T => slogdet::<T>(inputs[0])))
    }
    fn jvp(&self, p: &[Tensor], t: &[Option<Tensor>], _: &Tensor) -> Result<Option<Tensor>> {
        let Some(da) = &t[0] else { return Ok(None) };
        let dlog = lu_solve(&p[0], da)?.try_trace()?;
        Ok(Some(Tensor::try_stack(&[dlog.zeros_like(), dlog], -1)?))
    }
    fn vjp(&self, p: &[Tensor], _: &Tensor, g: &Tensor) -> Result<Vec<Option<Tensor>>> {
        let a = &p[0];
        let glog = per_matrix(&g.try_narrow(-1, 1, 1)?.try_squeeze(-1)?)?;
        let rhs = eye_of(a)?.try_mul(&glog)?;
        Ok(vec![Some(lu_solve(&a.mt(), &rhs)?)])
    }
    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], size: usize) -> Batched {
        batch_front(self, args, dims, size)
    }
}

/// The primitives this module registers.
pub(crate) fn instances() -> Vec<std::sync::Arc<dyn Primitive>> {
    vec![std::sync::Arc::new(Slogdet)]
}
