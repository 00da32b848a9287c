//! `cumsum`: running sums along one axis, forward (`y[i] = x[0] + … + x[i]`) or reversed
//! (`y[i] = x[i] + … + x[n-1]`). Linear: the JVP is the cumsum of the tangent and the VJP the
//! cumsum of the cotangent in the other direction.

use crate::core::{DType, Element, Error, Result, Tensor, Value};
use crate::prim::batching::{bind1, first_batched, shift, Batched};
use crate::prim::{Aval, AvalRef, Primitive};

/// Inclusive cumulative sum along `axis`; from the end when `reverse`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cumsum {
    /// The scanned axis.
    pub axis: usize,
    /// Sum from the last element towards the first.
    pub reverse: bool,
}

/// Addition as the running sum does it: integers wrap on overflow (as NumPy and JAX do), floats
/// add.
trait RunningAdd: Element {
    fn add(self, other: Self) -> Self;
}

impl RunningAdd for f32 {
    fn add(self, other: f32) -> f32 {
        self + other
    }
}

impl RunningAdd for f64 {
    fn add(self, other: f64) -> f64 {
        self + other
    }
}

impl RunningAdd for i64 {
    fn add(self, other: i64) -> i64 {
        self.wrapping_add(other)
    }
}

fn kernel<T: RunningAdd>(v: &Value, axis: usize, reverse: bool) -> Value {
    let shape = v.shape().clone();
    let data = v.elements::<T>();
    let outer: usize = shape.dims()[..axis].iter().product();
    let n = shape[axis];
    let inner: usize = shape.dims()[axis + 1..].iter().product();
    let mut out = vec![T::default(); data.len()];
    for o in 0..outer {
        for i in 0..inner {
            let mut acc: Option<T> = None;
            for step in 0..n {
                let j = if reverse { n - 1 - step } else { step };
                let at = (o * n + j) * inner + i;
                let s = acc.map_or(data[at], |a| a.add(data[at]));
                out[at] = s;
                acc = Some(s);
            }
        }
    }
    Value::from_vec(out, shape)
}

impl Primitive for Cumsum {
    crate::prim::typed_params!();
    fn name(&self) -> &'static str {
        "cumsum"
    }
    fn params(&self) -> String {
        format!("axis={} reverse={}", self.axis, self.reverse)
    }
    fn abstract_eval(&self, inputs: &[AvalRef<'_>]) -> Result<Aval> {
        let x = inputs[0];
        if self.axis >= x.shape.rank() {
            return Err(Error::axis("cumsum", self.axis as isize, x.shape.rank()));
        }
        if x.dtype == DType::Bool {
            return Err(Error::dtype(
                "cumsum",
                "expected a numeric tensor, got bool (cast it first)",
            ));
        }
        Ok(Aval {
            shape: x.shape.clone(),
            dtype: x.dtype,
        })
    }
    fn eval(&self, inputs: &[&Value]) -> Result<Value> {
        let v = inputs[0];
        let (a, r) = (self.axis, self.reverse);
        Ok(match v.dtype() {
            DType::F32 => kernel::<f32>(v, a, r),
            DType::F64 => kernel::<f64>(v, a, r),
            DType::I64 => kernel::<i64>(v, a, r),
            other => {
                return Err(Error::dtype(
                    "cumsum",
                    format!("expected an f32, f64 or i64 tensor, got {other}"),
                ))
            }
        })
    }
    fn jvp(&self, _: &[Tensor], t: &[Option<Tensor>], _: &Tensor) -> Result<Option<Tensor>> {
        t[0].as_ref().map(|t| bind1(*self, t)).transpose()
    }
    fn vjp(&self, _: &[Tensor], _: &Tensor, g: &Tensor) -> Result<Vec<Option<Tensor>>> {
        let transposed = Cumsum {
            axis: self.axis,
            reverse: !self.reverse,
        };
        Ok(vec![Some(bind1(transposed, g)?)])
    }
    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], _: usize) -> Batched {
        let b = first_batched(dims);
        let prim = Cumsum {
            axis: shift(self.axis, b),
            reverse: self.reverse,
        };
        Ok(Some((bind1(prim, &args[0])?, Some(b))))
    }
}

/// The primitives this module registers (with example parameters).
pub(crate) fn instances() -> Vec<std::sync::Arc<dyn Primitive>> {
    vec![std::sync::Arc::new(Cumsum {
        axis: 0,
        reverse: false,
    })]
}
