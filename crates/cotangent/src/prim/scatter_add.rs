//! `scatter_add`: `base` with `updates[.., j, ..]` added at `base[.., idx[j], ..]` along one axis
//! (repeated indices accumulate). Linear in `base` and `updates`: VJP passes the cotangent to
//! `base` and gathers it for `updates`.

use crate::backend::cpu::dispatch::dispatch_float;
use crate::backend::cpu::index;
use crate::core::{Error, Result, Tensor, Value};
use crate::prim::index_select::check_index;
use crate::prim::{Aval, AvalRef, Primitive};

/// Scatter-add along `axis`; inputs `(base, idx, updates)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ScatterAdd {
    /// The indexed axis.
    pub axis: usize,
}

impl Primitive for ScatterAdd {
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
}
