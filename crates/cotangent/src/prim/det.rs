//! `det`: the determinant of a batch of square matrices, `[..., n, n] -> [...]`, from the LU
//! pivots. Its derivative is the cofactor matrix (the `cofactor` primitive, finite at singular
//! matrices as JAX's): JVP `Σ C ⊙ dA`, VJP `ḡ C`.

use crate::backend::cpu::dispatch::dispatch_float;
use crate::backend::cpu::linalg::det;
use crate::core::bind::bind;
use crate::core::{Result, Shape, Tensor, Value};
use crate::prim::batching::Batched;
use crate::prim::cofactor::Cofactor;
use crate::prim::linalg_common::{batch_front, per_matrix, square};
use crate::prim::{Aval, AvalRef, Primitive};

/// Determinant, `[..., n, n] -> [...]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Det;

impl Primitive for Det {
    crate::prim::typed_params!();
    fn name(&self) -> &'static str {
        "det"
    }
    fn abstract_eval(&self, inputs: &[AvalRef<'_>]) -> Result<Aval> {
        let a = inputs[0];
        square("det", a)?;
        Ok(Aval {
            shape: Shape::try_new(&a.shape[..a.shape.rank() - 2])?,
            dtype: a.dtype,
        })
    }
    fn eval(&self, inputs: &[&Value]) -> Result<Value> {
        Ok(dispatch_float!("det", inputs[0].dtype(), T => det::<T>(inputs[0])))
    }
    fn jvp(&self, p: &[Tensor], t: &[Option<Tensor>], _: &Tensor) -> Result<Option<Tensor>> {
        let Some(da) = &t[0] else { return Ok(None) };
        let c = bind(Cofactor, smallvec::smallvec![p[0].clone()])?;
        Ok(Some(c.try_mul(da)?.try_sum_axes(&[-2, -1], false)?))
    }
    fn vjp(&self, p: &[Tensor], _: &Tensor, g: &Tensor) -> Result<Vec<Option<Tensor>>> {
        let c = bind(Cofactor, smallvec::smallvec![p[0].clone()])?;
        Ok(vec![Some(c.try_mul(&per_matrix(g)?)?)])
    }
    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], size: usize) -> Batched {
        batch_front(self, args, dims, size)
    }
}

/// The primitives this module registers.
pub(crate) fn instances() -> Vec<std::sync::Arc<dyn Primitive>> {
    vec![std::sync::Arc::new(Det)]
}
