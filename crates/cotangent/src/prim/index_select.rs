//! `index_select`: pick entries along one axis with an i64 index vector (`x[.., idx, ..]`,
//! repeats allowed). Linear in `x`: JVP selects the tangent; VJP scatter-adds the cotangent back
//! (repeated indices accumulate). The index gets no derivative.

use crate::backend::cpu::dispatch::dispatch_all;
use crate::backend::cpu::index;
use crate::core::shape::Dims;
use crate::core::{DType, Error, Result, Shape, Tensor, Value};
use smallvec::smallvec;

use crate::core::bind::bind;
use crate::prim::batching::{flat_index, fold_batch_into, shift, unfold_batch, Batched};
use crate::prim::{Aval, AvalRef, Primitive};
use crate::prim::batching::move_axis;
use crate::prim::lowering::Lowering;

/// Gather along `axis`; inputs `(x, idx)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IndexSelect {
    /// The indexed axis.
    pub axis: usize,
}

pub(crate) fn check_index(op: &'static str, idx: AvalRef<'_>) -> Result<()> {
    if idx.dtype != DType::I64 || idx.shape.rank() != 1 {
        return Err(Error::dtype(
            op,
            format!(
                "the index must be a 1-D i64 tensor, got {}{}",
                idx.dtype, idx.shape
            ),
        ));
    }
    Ok(())
}

impl Primitive for IndexSelect {
    crate::prim::typed_params!();
    fn lowering(&self) -> Lowering<'_> {
        Lowering::Gather { axis: self.axis }
    }
    fn name(&self) -> &'static str {
        "index_select"
    }
    fn params(&self) -> String {
        format!("axis={}", self.axis)
    }
    fn abstract_eval(&self, inputs: &[AvalRef<'_>]) -> Result<Aval> {
        let (x, idx) = (inputs[0], inputs[1]);
        check_index("index_select", idx)?;
        if self.axis >= x.shape.rank() {
            return Err(Error::axis(
                "index_select",
                self.axis as isize,
                x.shape.rank(),
            ));
        }
        let mut dims = Dims::from_slice(x.shape);
        dims[self.axis] = idx.shape[0];
        Ok(Aval {
            shape: Shape::try_new(&dims)?,
            dtype: x.dtype,
        })
    }
    fn eval(&self, inputs: &[&Value]) -> Result<Value> {
        let (x, idx) = (inputs[0], inputs[1]);
        dispatch_all!(x.dtype(), T => index::index_select::<T>(x, idx, self.axis))
    }
    fn jvp(&self, p: &[Tensor], t: &[Option<Tensor>], _: &Tensor) -> Result<Option<Tensor>> {
        t[0].as_ref()
            .map(|t| t.try_index_select(self.axis as isize, &p[1]))
            .transpose()
    }
    fn vjp(&self, p: &[Tensor], _: &Tensor, g: &Tensor) -> Result<Vec<Option<Tensor>>> {
        let base = p[0].zeros_like();
        Ok(vec![
            Some(base.try_scatter_add(self.axis as isize, &p[1], g)?),
            None,
        ])
    }
    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], size: usize) -> Batched {
        let (x, idx) = (&args[0], &args[1]);
        match (dims[0], dims[1]) {
            // One index for every example: gather along the shifted axis.
            (Some(b), None) => {
                let y = bind(
                    IndexSelect {
                        axis: shift(self.axis, b),
                    },
                    smallvec![x.clone(), idx.clone()],
                )?;
                Ok(Some((y, Some(b))))
            }
            // One tensor, an index per example: gather all indices at once, then split the
            // gathered axis into (batch, index).
            (None, Some(di)) => {
                let n = idx.dims()[1 - di];
                let flat = move_axis(idx, di, 0)?.try_reshape(&[size * n])?;
                let y = x.try_index_select(self.axis as isize, &flat)?;
                let mut dims = x.dims().to_vec();
                dims.splice(self.axis..=self.axis, [size, n]);
                Ok(Some((y.try_reshape(&dims)?, Some(self.axis))))
            }
            // Both batched: the examples laid end to end along the indexed axis, the index
            // shifted into each example's range.
            (Some(b), Some(di)) => {
                let n = idx.dims()[1 - di];
                let (flat, len) = fold_batch_into(x, Some(b), size, self.axis)?;
                let idx = flat_index("index_select", idx, di, size, len)?;
                let y = flat.try_index_select(0, &idx)?;
                Ok(Some((unfold_batch(&y, size, n, self.axis)?, Some(0))))
            }
            (None, None) => unreachable!("a batching rule is called with a batched operand"),
        }
    }
}

/// The primitives this module registers (with example parameters).
pub(crate) fn instances() -> Vec<std::sync::Arc<dyn Primitive>> {
    vec![std::sync::Arc::new(IndexSelect { axis: 0 })]
}
