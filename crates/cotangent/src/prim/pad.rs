//! `pad`: `lo` elements before, `hi` after and `interior` between neighbours along each axis,
//! filled with a constant. Linear in its input: JVP pads the tangent with zeros, VJP slices the
//! cotangent back out.

use crate::backend::cpu::dispatch::dispatch_all;
use crate::backend::cpu::movement;
use crate::core::shape::Dims;
use crate::core::{Element, Error, Result, Shape, Tensor, Value};
use crate::prim::batching::{first_batched, Batched};
use crate::prim::{Aval, AvalRef, Primitive};
use crate::prim::lowering::Lowering;

/// Constant padding with optional interior padding.
#[derive(Debug, Clone, PartialEq)]
pub struct Pad {
    /// Elements added before each axis.
    pub lo: Dims,
    /// Elements added after each axis.
    pub hi: Dims,
    /// Elements added between neighbours along each axis.
    pub interior: Dims,
    /// The fill value (converted to the tensor's dtype).
    pub value: f64,
}

impl Pad {
    /// The parameters with the fill value as bits (so NaN fills compare equal to themselves).
    fn key(&self) -> (&[usize], &[usize], &[usize], u64) {
        (&self.lo, &self.hi, &self.interior, self.value.to_bits())
    }
}

impl Primitive for Pad {
    fn is_equivalent(&self, other: &dyn Primitive) -> bool {
        (other as &dyn std::any::Any)
            .downcast_ref::<Pad>()
            .is_some_and(|o| o.key() == self.key())
    }
    fn hash_params(&self, mut state: &mut dyn std::hash::Hasher) {
        std::hash::Hash::hash(&self.key(), &mut state)
    }
    fn lowering(&self) -> Lowering<'_> {
        Lowering::Pad { lo: &self.lo, hi: &self.hi, interior: &self.interior, value: self.value }
    }
    fn name(&self) -> &'static str {
        "pad"
    }
    fn params(&self) -> String {
        format!(
            "lo={:?} hi={:?} interior={:?} value={}",
            &self.lo[..],
            &self.hi[..],
            &self.interior[..],
            self.value
        )
    }
    fn abstract_eval(&self, inputs: &[AvalRef<'_>]) -> Result<Aval> {
        let x = inputs[0];
        let r = x.shape.rank();
        if self.lo.len() != r || self.hi.len() != r || self.interior.len() != r {
            return Err(Error::shape(
                "pad",
                format!("expected {r} paddings for shape {}", x.shape),
            ));
        }
        let dims: Option<Vec<usize>> = (0..r)
            .map(|d| {
                let n = x.shape[d];
                n.saturating_sub(1)
                    .checked_mul(self.interior[d])?
                    .checked_add(n)?
                    .checked_add(self.lo[d])?
                    .checked_add(self.hi[d])
            })
            .collect();
        let dims = dims.ok_or_else(|| {
            Error::shape("pad", format!("padding {} overflows the dims", x.shape))
        })?;
        Ok(Aval {
            shape: Shape::try_new(&dims)?,
            dtype: x.dtype,
        })
    }
    fn eval(&self, inputs: &[&Value]) -> Result<Value> {
        let v = inputs[0];
        Ok(dispatch_all!(v.dtype(), T => movement::pad::<T>(
            v, &self.lo, &self.hi, &self.interior, T::from_f64(self.value)
        )))
    }
    fn jvp(&self, _: &[Tensor], t: &[Option<Tensor>], _: &Tensor) -> Result<Option<Tensor>> {
        t[0].as_ref()
            .map(|t| t.pad_raw(&self.lo, &self.hi, &self.interior, 0.0))
            .transpose()
    }
    fn vjp(&self, p: &[Tensor], _: &Tensor, g: &Tensor) -> Result<Vec<Option<Tensor>>> {
        let steps: Dims = self.interior.iter().map(|i| i + 1).collect();
        Ok(vec![Some(g.slice_raw(&self.lo, p[0].shape(), &steps)?)])
    }
    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], _: usize) -> Batched {
        // No padding along the batch axis, which stays in place.
        let b = first_batched(dims);
        let (mut lo, mut hi, mut interior) =
            (self.lo.clone(), self.hi.clone(), self.interior.clone());
        lo.insert(b, 0);
        hi.insert(b, 0);
        interior.insert(b, 0);
        Ok(Some((
            args[0].pad_raw(&lo, &hi, &interior, self.value)?,
            Some(b),
        )))
    }
}

/// The primitives this module registers (with example parameters).
pub(crate) fn instances() -> Vec<std::sync::Arc<dyn Primitive>> {
    vec![std::sync::Arc::new(Pad { lo: Dims::new(), hi: Dims::new(), interior: Dims::new(), value: 0.0 })]
}
