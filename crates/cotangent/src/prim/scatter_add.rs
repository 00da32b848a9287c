//! `scatter_add`: `base` with `updates[.., j, ..]` added at `base[.., idx[j], ..]` along one axis
//! (repeated indices accumulate). Linear in `base` and `updates`: VJP passes the cotangent to
//! `base` and gathers it for `updates`.

use crate::backend::cpu::dispatch::dispatch_float;
use crate::backend::cpu::index;
use crate::core::{Error, Result, Tensor, Value};
use crate::prim::index_select::check_index;
use smallvec::smallvec;

use crate::core::bind::bind;
use crate::prim::batching::{flat_index, fold_batch_into, shift, unfold_batch, Batched};
use crate::prim::{Aval, AvalRef, Primitive};
use crate::prim::batching::batch_at;
use crate::prim::lowering::Lowering;

/// Scatter-add along `axis`; inputs `(base, idx, updates)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ScatterAdd {
    /// The indexed axis.
    pub axis: usize,
}

impl Primitive for ScatterAdd {
    crate::prim::typed_params!();
    fn lowering(&self) -> Lowering<'_> {
        Lowering::ScatterAdd { axis: self.axis }
    }
    fn name(&self) -> &'static str {
        "scatter_add"
    }
    fn params(&self) -> String {
        format!("axis={}", self.axis)
    }
    fn abstract_eval(&self, inputs: &[AvalRef<'_>]) -> Result<Aval> {
        let (base, idx, upd) = (inputs[0], inputs[1], inputs[2]);
        check_index("scatter_add", idx)?;
        if self.axis >= base.shape.rank() {
            return Err(Error::axis(
                "scatter_add",
                self.axis as isize,
                base.shape.rank(),
            ));
        }
        if base.dtype != upd.dtype || !base.dtype.is_float() {
            return Err(Error::dtype(
                "scatter_add",
                format!(
                    "base and updates must share a float dtype, got {} and {}",
                    base.dtype, upd.dtype
                ),
            ));
        }
        let mut want = base.shape.clone();
        want.0[self.axis] = idx.shape[0];
        if upd.shape != &want {
            return Err(Error::shape(
                "scatter_add",
                format!("updates have shape {}, expected {}", upd.shape, want),
            ));
        }
        Ok(Aval {
            shape: base.shape.clone(),
            dtype: base.dtype,
        })
    }
    fn eval(&self, inputs: &[&Value]) -> Result<Value> {
        let (b, i, u) = (inputs[0], inputs[1], inputs[2]);
        dispatch_float!("scatter_add", b.dtype(), T => index::scatter_add::<T>(b, i, u, self.axis))
    }
    fn jvp(&self, p: &[Tensor], t: &[Option<Tensor>], _: &Tensor) -> Result<Option<Tensor>> {
        if t[0].is_none() && t[2].is_none() {
            return Ok(None);
        }
        let tb = t[0].clone().unwrap_or_else(|| p[0].zeros_like());
        let tu = t[2].clone().unwrap_or_else(|| p[2].zeros_like());
        Ok(Some(tb.try_scatter_add(self.axis as isize, &p[1], &tu)?))
    }
    fn vjp(&self, p: &[Tensor], _: &Tensor, g: &Tensor) -> Result<Vec<Option<Tensor>>> {
        Ok(vec![
            Some(g.clone()),
            None,
            Some(g.try_index_select(self.axis as isize, &p[1])?),
        ])
    }
    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], size: usize) -> Batched {
        let (base, idx, upd) = (&args[0], &args[1], &args[2]);
        if dims[1].is_none() {
            // One index for every example: base and updates aligned on one batch axis.
            let b = dims[0].or(dims[2]).expect("base or updates is batched");
            let base = batch_at(base, dims[0], size, b)?;
            let upd = batch_at(upd, dims[2], size, b)?;
            let y = bind(
                ScatterAdd {
                    axis: shift(self.axis, b),
                },
                smallvec![base, idx.clone(), upd],
            )?;
            return Ok(Some((y, Some(b))));
        }
        // An index per example: the examples laid end to end along the indexed axis, the index
        // shifted into each example's range.
        let (base, len) = fold_batch_into(base, dims[0], size, self.axis)?;
        let (upd, _) = fold_batch_into(upd, dims[2], size, self.axis)?;
        let idx = flat_index("scatter_add", idx, dims[1].unwrap_or(0), size, len)?;
        let y = base.try_scatter_add(0, &idx, &upd)?;
        Ok(Some((unfold_batch(&y, size, len, self.axis)?, Some(0))))
    }
}

/// The primitives this module registers (with example parameters).
pub(crate) fn instances() -> Vec<std::sync::Arc<dyn Primitive>> {
    vec![std::sync::Arc::new(ScatterAdd { axis: 0 })]
}
