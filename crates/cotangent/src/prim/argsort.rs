//! `argsort`: the indices that sort `x` along one axis, as i64 (same shape as `x`). Stable: equal
//! elements keep their order, ascending or descending. A NaN counts as larger than every number
//! (as in `argmax`): last when ascending, first when descending. Not differentiable: the output
//! is an integer, so both rules return no tangent (`sort` and `topk` get their gradients from
//! `take_along_axis`).

use std::cmp::Ordering;

use crate::backend::cpu::dispatch::dispatch_all;
use crate::core::{DType, Element, Error, Result, Tensor, Value};
use crate::prim::batching::{bind1, first_batched, shift, Batched};
use crate::prim::{Aval, AvalRef, Primitive};

/// The sorting permutation along `axis`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ArgSort {
    /// The sorted axis.
    pub axis: usize,
    /// Largest first.
    pub descending: bool,
}

/// A total order with NaN above every number (and equal to another NaN).
fn order<T: Element>(a: T, b: T) -> Ordering {
    match (a.partial_cmp(&a).is_none(), b.partial_cmp(&b).is_none()) {
        (false, false) => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (true, true) => Ordering::Equal,
    }
}

fn kernel<T: Element>(v: &Value, axis: usize, descending: bool) -> Value {
    let shape = v.shape();
    let data = v.elements::<T>();
    let outer: usize = shape[..axis].iter().product();
    let n = shape[axis];
    let inner: usize = shape[axis + 1..].iter().product();
    let mut out = vec![0i64; outer * n * inner];
    let mut perm: Vec<usize> = Vec::with_capacity(n);
    for o in 0..outer {
        for i in 0..inner {
            let at = |j: usize| data[(o * n + j) * inner + i];
            perm.clear();
            perm.extend(0..n);
            // `sort_by` is stable, so ties keep their order in both directions.
            if descending {
                perm.sort_by(|&a, &b| order(at(b), at(a)));
            } else {
                perm.sort_by(|&a, &b| order(at(a), at(b)));
            }
            for (j, &p) in perm.iter().enumerate() {
                out[(o * n + j) * inner + i] = p as i64;
            }
        }
    }
    Value::from_vec(out, shape.clone())
}

impl Primitive for ArgSort {
    crate::prim::typed_params!();
    fn name(&self) -> &'static str {
        "argsort"
    }
    fn params(&self) -> String {
        format!("axis={} descending={}", self.axis, self.descending)
    }
    fn abstract_eval(&self, inputs: &[AvalRef<'_>]) -> Result<Aval> {
        let x = inputs[0];
        if self.axis >= x.shape.rank() {
            return Err(Error::axis("argsort", self.axis as isize, x.shape.rank()));
        }
        Ok(Aval {
            shape: x.shape.clone(),
            dtype: DType::I64,
        })
    }
    fn eval(&self, inputs: &[&Value]) -> Result<Value> {
        let v = inputs[0];
        Ok(dispatch_all!(v.dtype(), T => kernel::<T>(v, self.axis, self.descending)))
    }
    crate::prim::no_derivatives!(1);
    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], _: usize) -> Batched {
        // The batch axis is one more axis the sort runs across; the output keeps it in place.
        let b = first_batched(dims);
        let prim = ArgSort {
            axis: shift(self.axis, b),
            descending: self.descending,
        };
        Ok(Some((bind1(prim, &args[0])?, Some(b))))
    }
}

/// The primitives this module registers (with example parameters).
pub(crate) fn instances() -> Vec<std::sync::Arc<dyn Primitive>> {
    vec![std::sync::Arc::new(ArgSort {
        axis: 0,
        descending: false,
    })]
}
