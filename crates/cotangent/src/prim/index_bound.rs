//! `index_bound`: an i64 index tensor passed through, each entry checked to lie in
//! `-len..len` when it runs and negative entries wrapped to `entry + len` (NumPy's and JAX's
//! reading of a negative index), or, for class labels, checked to lie in `0..len`. Batching rules of gathers and scatters bind it on per-example
//! indices before shifting them into each example's range of a flattened operand, so an index
//! that is out of range *for its example* is an error even when the indices are traced (under
//! `jit`, or a replayed graph), never a read of the neighbouring example's data. Not
//! differentiable in its (integer) input: both rules return no tangent.

use crate::backend::cpu::index::resolve_index;
use crate::core::{DType, Error, Result, Tensor, Value};
use crate::prim::{Aval, AvalRef, Primitive};

/// Check and wrap indices into a dimension of size `len`; `op` names the gather or scatter the
/// indices are for in the error.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IndexBound {
    /// The size of the indexed dimension (per example).
    pub len: usize,
    /// The operation the indices belong to.
    pub op: &'static str,
    /// Class labels: only `0..len` is valid (no negative wrapping).
    pub labels: bool,
}

impl Primitive for IndexBound {
    crate::prim::typed_params!();
    fn name(&self) -> &'static str {
        "index_bound"
    }
    fn params(&self) -> String {
        format!("len={} op={} labels={}", self.len, self.op, self.labels)
    }
    fn abstract_eval(&self, inputs: &[AvalRef<'_>]) -> Result<Aval> {
        let idx = inputs[0];
        if idx.dtype != DType::I64 {
            return Err(Error::dtype(
                self.op,
                format!("indices must be i64, got {}", idx.dtype),
            ));
        }
        Ok(Aval {
            shape: idx.shape.clone(),
            dtype: DType::I64,
        })
    }
    fn eval(&self, inputs: &[&Value]) -> Result<Value> {
        let idx = inputs[0].elements::<i64>();
        let mut out = crate::core::pool::take(idx.len());
        for &i in idx.iter() {
            if self.labels && !(0..self.len as i64).contains(&i) {
                return Err(Error::new(
                    crate::core::ErrorKind::Index,
                    self.op,
                    format!("label {i} is out of range for {} classes", self.len),
                ));
            }
            out.push(resolve_index(self.op, i, self.len)? as i64);
        }
        Ok(Value::from_vec(out, inputs[0].shape().clone()))
    }
    crate::prim::no_derivatives!(1);
    fn batch(
        &self,
        args: &[Tensor],
        dims: &[Option<usize>],
        _size: usize,
    ) -> Result<Option<(Tensor, Option<usize>)>> {
        // The same bound for every example: apply it to the batched tensor as it is.
        let y = crate::core::bind::bind(self.clone(), smallvec::smallvec![args[0].clone()])?;
        Ok(Some((y, dims[0])))
    }
}

/// The primitives this module registers (with example parameters).
pub(crate) fn instances() -> Vec<std::sync::Arc<dyn Primitive>> {
    vec![std::sync::Arc::new(IndexBound {
        len: 1,
        op: "index",
        labels: false,
    })]
}
