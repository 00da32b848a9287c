//! `sum` over a set of axes (removed from the shape). Linear: JVP sums the tangent; VJP
//! broadcasts the cotangent back over the reduced axes.

use crate::backend::cpu::dispatch::dispatch_float;
use crate::backend::cpu::reduce::{reduce, SumR};
use crate::core::shape::{Dims, Shape};
use crate::core::{Error, Result, Tensor, Value};
use crate::prim::batching::{bind1, first_batched, shift, Batched};
use crate::prim::{Aval, AvalRef, Primitive};
use crate::prim::lowering::{Lowering, ReduceOp};

/// Sum over `axes` (sorted, distinct, in range).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sum {
    /// The reduced axes.
    pub axes: Dims,
}

/// The shape of a reduction's output, and the same with the reduced axes kept as size 1.
pub(crate) fn reduced_shapes(shape: &Shape, axes: &[usize]) -> (Shape, Shape) {
    let out = Shape(
        (0..shape.rank())
            .filter(|d| !axes.contains(d))
            .map(|d| shape[d])
            .collect(),
    );
    let keep = Shape(
        (0..shape.rank())
            .map(|d| if axes.contains(&d) { 1 } else { shape[d] })
            .collect(),
    );
    (out, keep)
}

pub(crate) fn reduce_aval(op: &'static str, axes: &[usize], x: AvalRef<'_>) -> Result<Aval> {
    if let Some(&a) = axes.iter().find(|&&a| a >= x.shape.rank()) {
        return Err(Error::axis(op, a as isize, x.shape.rank()));
    }
    if !x.dtype.is_float() {
        return Err(Error::dtype(
            op,
            format!("expected a floating-point tensor, got {}", x.dtype),
        ));
    }
    Ok(Aval {
        shape: reduced_shapes(x.shape, axes).0,
        dtype: x.dtype,
    })
}

impl Primitive for Sum {
    crate::prim::typed_params!();
    fn lowering(&self) -> Lowering<'_> {
        Lowering::Reduce { op: ReduceOp::Sum, axes: &self.axes }
    }
    fn name(&self) -> &'static str {
        "sum"
    }
    fn params(&self) -> String {
        format!("axes={:?}", &self.axes[..])
    }
    fn abstract_eval(&self, inputs: &[AvalRef<'_>]) -> Result<Aval> {
        reduce_aval("sum", &self.axes, inputs[0])
    }
    fn eval(&self, inputs: &[&Value]) -> Result<Value> {
        let x = inputs[0];
        Ok(dispatch_float!("sum", x.dtype(), T => reduce::<T>(x, &self.axes, SumR)))
    }
    fn jvp(&self, _: &[Tensor], t: &[Option<Tensor>], _: &Tensor) -> Result<Option<Tensor>> {
        t[0].as_ref().map(|t| t.sum_dims(&self.axes)).transpose()
    }
    fn vjp(&self, p: &[Tensor], _: &Tensor, g: &Tensor) -> Result<Vec<Option<Tensor>>> {
        let keep = reduced_shapes(p[0].shape(), &self.axes).1;
        Ok(vec![Some(
            g.try_reshape(&keep)?.try_broadcast_to(p[0].shape())?,
        )])
    }
    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], _: usize) -> Batched {
        let b = first_batched(dims);
        let axes: Dims = self.axes.iter().map(|&a| shift(a, b)).collect();
        let out = b - self.axes.iter().filter(|&&a| a < b).count();
        Ok(Some((bind1(Sum { axes }, &args[0])?, Some(out))))
    }
}

/// The primitives this module registers (with example parameters).
pub(crate) fn instances() -> Vec<std::sync::Arc<dyn Primitive>> {
    vec![std::sync::Arc::new(Sum { axes: Dims::new() })]
}
