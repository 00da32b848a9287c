//! `slice`: `lens[d]` elements from `starts[d]` in steps of `steps[d]` along every axis (a
//! zero-copy view). Linear: its VJP pads the cotangent back into place with interior padding
//! `step - 1`, so `pad` and `slice` transpose each other.

use crate::core::shape::Dims;
use crate::core::{Error, Result, Shape, Tensor, Value};
use crate::prim::batching::{first_batched, Batched};
use crate::prim::{Aval, AvalRef, Primitive};
use crate::prim::lowering::Lowering;

/// A strided rectangular window.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slice {
    /// First index per axis.
    pub starts: Dims,
    /// Number of elements taken per axis.
    pub lens: Dims,
    /// Step per axis (≥ 1).
    pub steps: Dims,
}

impl Primitive for Slice {
    crate::prim::typed_params!();
    fn lowering(&self) -> Lowering<'_> {
        Lowering::Slice { starts: &self.starts, lens: &self.lens, steps: &self.steps }
    }
    fn is_view(&self) -> bool {
        true
    }
    fn name(&self) -> &'static str {
        "slice"
    }
    fn params(&self) -> String {
        format!(
            "starts={:?} lens={:?} steps={:?}",
            &self.starts[..],
            &self.lens[..],
            &self.steps[..]
        )
    }
    fn abstract_eval(&self, inputs: &[AvalRef<'_>]) -> Result<Aval> {
        let x = inputs[0];
        let r = x.shape.rank();
        if self.starts.len() != r || self.lens.len() != r || self.steps.len() != r {
            return Err(Error::shape(
                "slice",
                format!("expected {r} ranges for shape {}", x.shape),
            ));
        }
        for d in 0..r {
            let (s, n, st) = (self.starts[d], self.lens[d], self.steps[d]);
            let fits = st >= 1 && (n == 0 || s + (n - 1) * st < x.shape[d]);
            if !fits {
                return Err(Error::shape(
                    "slice",
                    format!(
                        "axis {d}: {n} elements from {s} in steps of {st} do not fit in size {}",
                        x.shape[d]
                    ),
                ));
            }
        }
        Ok(Aval {
            shape: Shape(self.lens.clone()),
            dtype: x.dtype,
        })
    }
    fn eval(&self, inputs: &[&Value]) -> Result<Value> {
        let v = inputs[0];
        Ok(v.with_layout(v.layout.slice(&self.starts, &self.lens, &self.steps)))
    }
    fn jvp(&self, _: &[Tensor], t: &[Option<Tensor>], _: &Tensor) -> Result<Option<Tensor>> {
        t[0].as_ref()
            .map(|t| t.slice_raw(&self.starts, &self.lens, &self.steps))
            .transpose()
    }
    fn vjp(&self, p: &[Tensor], _: &Tensor, g: &Tensor) -> Result<Vec<Option<Tensor>>> {
        let shape = p[0].shape();
        let r = shape.rank();
        let mut lo = Dims::new();
        let mut hi = Dims::new();
        let mut interior = Dims::new();
        for d in 0..r {
            let (s, n, st) = (self.starts[d], self.lens[d], self.steps[d]);
            if n == 0 {
                lo.push(0);
                hi.push(shape[d]);
                interior.push(0);
            } else {
                let last = s + (n - 1) * st;
                lo.push(s);
                hi.push(shape[d] - last - 1);
                interior.push(st - 1);
            }
        }
        Ok(vec![Some(g.pad_raw(&lo, &hi, &interior, 0.0)?)])
    }
    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], size: usize) -> Batched {
        // The whole batch axis, in place.
        let b = first_batched(dims);
        let (mut starts, mut lens, mut steps) =
            (self.starts.clone(), self.lens.clone(), self.steps.clone());
        starts.insert(b, 0);
        lens.insert(b, size);
        steps.insert(b, 1);
        Ok(Some((args[0].slice_raw(&starts, &lens, &steps)?, Some(b))))
    }
}

/// The primitives this module registers (with example parameters).
pub(crate) fn instances() -> Vec<std::sync::Arc<dyn Primitive>> {
    vec![std::sync::Arc::new(Slice { starts: Dims::new(), lens: Dims::new(), steps: Dims::new() })]
}
