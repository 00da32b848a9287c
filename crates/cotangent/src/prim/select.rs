//! `select(cond, a, b)`: `a` where `cond` holds, `b` elsewhere (all one shape). The derivative
//! flows to the chosen operand: VJP `(·, select(c, g, 0), select(c, 0, g))`.

use crate::backend::cpu::dispatch::dispatch_all;
use crate::backend::cpu::zip;
use crate::core::{DType, Error, Result, Tensor, Value};
use crate::prim::elementwise::NO_UNITS;
use crate::prim::lowering::{block3, vectorized, Elementwise, Lowering};
use crate::prim::{Aval, AvalRef, Primitive};
use crate::Real;

/// Elementwise choice between two tensors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Select;

/// `c ? a : b` with the condition as 0 or 1 of the float type (fused loops).
fn block<T: Real>(o: &mut [T], i: &[&[T]]) {
    vectorized(o.len(), || block3(o, i, pick))
}

fn pick<T: Real>(c: T, a: T, b: T) -> T {
    zip::pick(c != T::zero(), a, b)
}

const RULE: Elementwise = Elementwise {
    name: "select",
    arity: 3,
    f32: block::<f32>,
    f64: block::<f64>,
    f32_one: |a| pick(a[0], a[1], a[2]),
    f64_one: |a| pick(a[0], a[1], a[2]),
    algebra: NO_UNITS,
    expr: "(c != 0 ? a : b)",
};

impl Primitive for Select {
    crate::prim::typed_params!();
    fn lowering(&self) -> Lowering<'_> {
        Lowering::Elementwise(&RULE)
    }
    crate::prim::batching::elementwise_batch!();
    fn name(&self) -> &'static str {
        "select"
    }
    fn local_dependencies(
        &self,
        inputs: &[&Value],
        output: &Value,
    ) -> Option<crate::prim::lowering::LocalDeps> {
        crate::prim::local::chosen(inputs, output)
    }
    fn abstract_eval(&self, inputs: &[AvalRef<'_>]) -> Result<Aval> {
        let (c, a, b) = (inputs[0], inputs[1], inputs[2]);
        if c.dtype != DType::Bool {
            return Err(Error::dtype(
                "select",
                format!("the condition must be bool, got {}", c.dtype),
            ));
        }
        if a.dtype != b.dtype {
            return Err(Error::dtype(
                "select",
                format!(
                    "the branches have different dtypes: {} and {}",
                    a.dtype, b.dtype
                ),
            ));
        }
        if c.shape != a.shape || a.shape != b.shape {
            return Err(Error::shape(
                "select",
                format!(
                    "shapes differ: condition {}, branches {} and {}",
                    c.shape, a.shape, b.shape
                ),
            ));
        }
        Ok(Aval {
            shape: a.shape.clone(),
            dtype: a.dtype,
        })
    }
    fn eval(&self, inputs: &[&Value]) -> Result<Value> {
        let (c, a, b) = (inputs[0], inputs[1], inputs[2]);
        Ok(dispatch_all!(a.dtype(), T => zip::select::<T>(c, a, b)))
    }
    fn jvp(&self, p: &[Tensor], t: &[Option<Tensor>], out: &Tensor) -> Result<Option<Tensor>> {
        if t[1].is_none() && t[2].is_none() {
            return Ok(None);
        }
        let zero = || out.zeros_like();
        let ta = t[1].clone().unwrap_or_else(zero);
        let tb = t[2].clone().unwrap_or_else(zero);
        Ok(Some(p[0].select(&ta, &tb)))
    }
    fn vjp(&self, p: &[Tensor], _: &Tensor, g: &Tensor) -> Result<Vec<Option<Tensor>>> {
        let zero = g.zeros_like();
        Ok(vec![
            None,
            Some(p[0].select(g, &zero)),
            Some(p[0].select(&zero, g)),
        ])
    }
}

/// The primitives this module registers.
pub(crate) fn instances() -> Vec<std::sync::Arc<dyn Primitive>> {
    vec![std::sync::Arc::new(Select)]
}
