//! `argmax`: the index of the largest element along one axis (the axis is removed), as i64. The
//! first occurrence wins a tie; a NaN counts as the largest (as NumPy). Not differentiable: the
//! output is an integer, so both rules return no tangent.

use crate::backend::cpu::dispatch::dispatch_all;
use crate::core::shape::Dims;
use crate::core::{DType, Element, Error, Result, Shape, Tensor, Value};
use crate::prim::batching::{bind1, first_batched, shift, Batched};
use crate::prim::{Aval, AvalRef, Primitive};

/// Index of the maximum along `axis`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ArgMax {
    /// The reduced axis.
    pub axis: usize,
}

fn kernel<T: Element>(v: &Value, axis: usize) -> Value {
    let shape = v.shape();
    let data = v.elements::<T>();
    let outer: usize = shape[..axis].iter().product();
    let n = shape[axis];
    let inner: usize = shape[axis + 1..].iter().product();
    let mut out = Vec::with_capacity(outer * inner);
    for o in 0..outer {
        for i in 0..inner {
            let at = |j: usize| data[(o * n + j) * inner + i];
            let mut best = 0usize;
            for j in 1..n {
                let (x, b) = (at(j), at(best));
                // NaN (x != x) wins, and stays the winner once found.
                let b_nan = b.partial_cmp(&b).is_none();
                let x_nan = x.partial_cmp(&x).is_none();
                if !b_nan && (x_nan || x.partial_cmp(&b) == Some(std::cmp::Ordering::Greater)) {
                    best = j;
                }
            }
            out.push(best as i64);
        }
    }
    let dims: Dims = (0..shape.rank())
        .filter(|&d| d != axis)
        .map(|d| shape[d])
        .collect();
    Value::from_vec(out, Shape(dims))
}

impl Primitive for ArgMax {
    crate::prim::typed_params!();
    fn name(&self) -> &'static str {
        "argmax"
    }
    fn params(&self) -> String {
        format!("axis={}", self.axis)
    }
    fn abstract_eval(&self, inputs: &[AvalRef<'_>]) -> Result<Aval> {
        let x = inputs[0];
        if self.axis >= x.shape.rank() {
            return Err(Error::axis("argmax", self.axis as isize, x.shape.rank()));
        }
        if x.shape[self.axis] == 0 {
            return Err(Error::shape(
                "argmax",
                format!("axis {} of {} is empty", self.axis, x.shape),
            ));
        }
        let dims: Dims = (0..x.shape.rank())
            .filter(|&d| d != self.axis)
            .map(|d| x.shape[d])
            .collect();
        Ok(Aval {
            shape: Shape(dims),
            dtype: DType::I64,
        })
    }
    fn eval(&self, inputs: &[&Value]) -> Result<Value> {
        let v = inputs[0];
        Ok(dispatch_all!(v.dtype(), T => kernel::<T>(v, self.axis)))
    }
    crate::prim::no_derivatives!(1);
    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], _: usize) -> Batched {
        let b = first_batched(dims);
        let axis = shift(self.axis, b);
        let out = if self.axis < b { b - 1 } else { b };
        Ok(Some((bind1(ArgMax { axis }, &args[0])?, Some(out))))
    }
}

/// The primitives this module registers (with example parameters).
pub(crate) fn instances() -> Vec<std::sync::Arc<dyn Primitive>> {
    vec![std::sync::Arc::new(ArgMax { axis: 0 })]
}
