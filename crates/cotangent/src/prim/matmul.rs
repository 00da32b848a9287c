//! `matmul`: batched matrix product `[..., m, k] @ [..., k, n] -> [..., m, n]` with equal batch
//! dims (the `matmul` op broadcasts batch dims and handles vectors before binding it). Bilinear:
//! JVP `ta @ b + a @ tb`, VJP `(g @ bᵀ, aᵀ @ g)`.

use crate::backend::cpu::dispatch::dispatch_float;
use crate::backend::cpu::matmul::matmul;
use crate::core::shape::Dims;
use crate::core::{Error, Result, Shape, Tensor, Value};
use crate::prim::batching::Batched;
use crate::prim::elementwise::add_opt;
use crate::prim::{Aval, AvalRef, Primitive};
use crate::prim::batching::move_axis;
use crate::prim::lowering::Lowering;

/// Batched matrix multiplication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Matmul;

impl Primitive for Matmul {
    crate::prim::typed_params!();
    fn lowering(&self) -> Lowering<'_> {
        Lowering::Matmul
    }
    fn name(&self) -> &'static str {
        "matmul"
    }
    fn abstract_eval(&self, inputs: &[AvalRef<'_>]) -> Result<Aval> {
        let (a, b) = (inputs[0], inputs[1]);
        if a.dtype != b.dtype || !a.dtype.is_float() {
            return Err(Error::dtype(
                "matmul",
                format!(
                    "operands must share a float dtype, got {} and {}",
                    a.dtype, b.dtype
                ),
            ));
        }
        let r = a.shape.rank();
        let ok = r >= 2
            && b.shape.rank() == r
            && a.shape[..r - 2] == b.shape[..r - 2]
            && a.shape[r - 1] == b.shape[r - 2];
        if !ok {
            return Err(Error::shape(
                "matmul",
                format!(
                    "shapes {} and {} are not compatible for matrix multiplication",
                    a.shape, b.shape
                ),
            ));
        }
        let mut dims = Dims::from_slice(&a.shape[..r - 2]);
        dims.extend([a.shape[r - 2], b.shape[r - 1]]);
        Ok(Aval {
            shape: Shape::try_new(&dims)?,
            dtype: a.dtype,
        })
    }
    fn eval(&self, inputs: &[&Value]) -> Result<Value> {
        let (a, b) = (inputs[0], inputs[1]);
        Ok(dispatch_float!("matmul", a.dtype(), T => matmul::<T>(a, b)))
    }
    fn jvp(&self, p: &[Tensor], t: &[Option<Tensor>], _: &Tensor) -> Result<Option<Tensor>> {
        let (a, b) = (&p[0], &p[1]);
        let ta = t[0].as_ref().map(|t| t.matmul_raw(b)).transpose()?;
        let tb = t[1].as_ref().map(|t| a.matmul_raw(t)).transpose()?;
        Ok(add_opt(ta, tb))
    }
    fn vjp(&self, p: &[Tensor], out: &Tensor, g: &Tensor) -> Result<Vec<Option<Tensor>>> {
        self.vjp_needed(p, out, g, &[true, true])
    }
    fn vjp_needed(
        &self,
        p: &[Tensor],
        _: &Tensor,
        g: &Tensor,
        needed: &[bool],
    ) -> Result<Vec<Option<Tensor>>> {
        let (a, b) = (&p[0], &p[1]);
        let ga = needed[0].then(|| g.matmul_raw(&b.mt())).transpose()?;
        let gb = needed[1].then(|| a.mt().matmul_raw(g)).transpose()?;
        Ok(vec![ga, gb])
    }
    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], size: usize) -> Batched {
        let (a, b) = (&args[0], &args[1]);
        // Per-example rank: `r - 2` leading batch dims, then the matrix dims.
        let r = match dims[0] {
            Some(_) => a.rank() - 1,
            None => a.rank(),
        };
        match (dims[0], dims[1]) {
            // The batch axis among the leading dims of both: an ordinary batched matmul.
            (Some(da), Some(db)) if da == db && da + 2 <= r => {
                Ok(Some((a.matmul_raw(b)?, Some(da))))
            }
            (Some(da), Some(db)) => {
                let y = move_axis(a, da, 0)?.matmul_raw(&move_axis(b, db, 0)?)?;
                Ok(Some((y, Some(0))))
            }
            // Only `a` batched: fold the batch into its rows, one `[.., B·m, k] @ [.., k, n]`.
            (Some(da), None) => {
                let a = move_axis(a, da, r - 2)?;
                let mut rows = a.dims()[..r - 2].to_vec();
                let m = a.dims()[r - 1];
                rows.extend([size * m, a.dims()[r]]);
                let y = a.try_reshape(&rows)?.matmul_raw(b)?;
                let mut out = y.dims()[..r - 2].to_vec();
                out.extend([size, m, y.dims()[r - 1]]);
                Ok(Some((y.try_reshape(&out)?, Some(r - 2))))
            }
            // Only `b` batched: fold the batch into its columns, `[.., m, k] @ [.., k, B·n]`.
            (None, Some(db)) => {
                let b = move_axis(b, db, r - 1)?;
                let n = b.dims()[r];
                let mut cols = b.dims()[..r - 1].to_vec();
                cols.push(size * n);
                let y = a.matmul_raw(&b.try_reshape(&cols)?)?;
                let mut out = y.dims()[..r - 1].to_vec();
                out.extend([size, n]);
                Ok(Some((y.try_reshape(&out)?, Some(r - 1))))
            }
            (None, None) => unreachable!("a batching rule is called with a batched operand"),
        }
    }
}

/// The primitives this module registers (with example parameters).
pub(crate) fn instances() -> Vec<std::sync::Arc<dyn Primitive>> {
    vec![std::sync::Arc::new(Matmul)]
}
