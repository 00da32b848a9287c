//! `concat`: join tensors along one axis. Linear: JVP concatenates the tangents (zeros for
//! missing ones), VJP slices the cotangent into the pieces.

use crate::backend::cpu::dispatch::dispatch_all;
use crate::backend::cpu::movement;
use crate::core::bind::bind;
use crate::core::shape::Dims;
use crate::core::tensor::Inputs;
use crate::core::{Error, Result, Shape, Tensor, Value};
use crate::prim::batching::{first_batched, shift, Batched};
use crate::prim::{Aval, AvalRef, Primitive};
use crate::prim::batching::batch_at;
use crate::prim::lowering::Lowering;

/// Concatenation along `axis`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Concat {
    /// The joined axis.
    pub axis: usize,
}

impl Primitive for Concat {
    crate::prim::typed_params!();
    fn lowering(&self) -> Lowering<'_> {
        Lowering::Concat { axis: self.axis }
    }
    fn name(&self) -> &'static str {
        "concat"
    }
    fn params(&self) -> String {
        format!("axis={}", self.axis)
    }
    fn abstract_eval(&self, inputs: &[AvalRef<'_>]) -> Result<Aval> {
        let first = inputs[0];
        let mut dims = Dims::from_slice(first.shape);
        dims[self.axis] = 0;
        for x in inputs {
            if x.dtype != first.dtype {
                return Err(Error::dtype(
                    "concat",
                    format!("dtypes differ: {} and {}", first.dtype, x.dtype),
                ));
            }
            let same_rank = x.shape.rank() == first.shape.rank();
            let fits = same_rank
                && (0..x.shape.rank()).all(|d| d == self.axis || x.shape[d] == first.shape[d]);
            if !fits {
                return Err(Error::shape(
                    "concat",
                    format!(
                        "shapes {} and {} differ outside axis {}",
                        first.shape, x.shape, self.axis
                    ),
                ));
            }
            dims[self.axis] = dims[self.axis]
                .checked_add(x.shape[self.axis])
                .ok_or_else(|| {
                    Error::shape("concat", format!("the joined axis {} overflows", self.axis))
                })?;
        }
        Ok(Aval {
            shape: Shape::try_new(&dims)?,
            dtype: first.dtype,
        })
    }
    fn eval(&self, inputs: &[&Value]) -> Result<Value> {
        Ok(dispatch_all!(inputs[0].dtype(), T => movement::concat::<T>(inputs, self.axis)))
    }
    fn jvp(&self, p: &[Tensor], t: &[Option<Tensor>], _: &Tensor) -> Result<Option<Tensor>> {
        if t.iter().all(Option::is_none) {
            return Ok(None);
        }
        let parts: Vec<Tensor> = p
            .iter()
            .zip(t)
            .map(|(p, t)| t.clone().unwrap_or_else(|| p.zeros_like()))
            .collect();
        Ok(Some(Tensor::try_concat(&parts, self.axis as isize)?))
    }
    fn vjp(&self, p: &[Tensor], _: &Tensor, g: &Tensor) -> Result<Vec<Option<Tensor>>> {
        let mut at = 0;
        let mut out = Vec::with_capacity(p.len());
        for x in p {
            let n = x.shape()[self.axis];
            out.push(Some(g.try_narrow(self.axis as isize, at, n)?));
            at += n;
        }
        Ok(out)
    }
    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], size: usize) -> Batched {
        // Every part with its batch axis where the first batched part has it (a broadcast
        // view for an unbatched part); the joined axis moves past it.
        let b = first_batched(dims);
        let parts: Vec<Tensor> = args
            .iter()
            .zip(dims)
            .map(|(x, &d)| batch_at(x, d, size, b))
            .collect::<Result<_>>()?;
        let axis = shift(self.axis, b);
        let inputs: Inputs = parts.into_iter().collect();
        Ok(Some((bind(Concat { axis }, inputs)?, Some(b))))
    }
}

/// The primitives this module registers (with example parameters).
pub(crate) fn instances() -> Vec<std::sync::Arc<dyn Primitive>> {
    vec![std::sync::Arc::new(Concat { axis: 0 })]
}
