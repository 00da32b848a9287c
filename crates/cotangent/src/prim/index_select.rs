//! `index_select`: pick entries along one axis with an i64 index vector (`x[.., idx, ..]`,
//! repeats allowed). Linear in `x`: JVP selects the tangent; VJP scatter-adds the cotangent back
//! (repeated indices accumulate). The index gets no derivative.

use crate::backend::cpu::dispatch::dispatch_all;
use crate::backend::cpu::index;
use crate::core::shape::Dims;
use crate::core::{DType, Error, Result, Shape, Tensor, Value};
use crate::prim::{Aval, AvalRef, Primitive};

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
}
