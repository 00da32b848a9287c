//! The extension point: apply a user-defined [`Primitive`] (its own kernel and rules) exactly as
//! built-in primitives are applied, so every transformation handles it.

use crate::core::bind::bind;
use crate::core::multi::bind_multi;
use crate::core::{Result, Tensor};
use crate::prim::{MultiPrimitive, Primitive};

/// Apply a user-defined primitive to `inputs`.
///
/// ```
/// use cotangent::prim::{Aval, AvalRef, Primitive};
/// use cotangent::{apply_primitive, grad, Result, Tensor, Value};
///
/// /// `x³` with its own kernel and rules.
/// #[derive(Debug)]
/// struct Cube;
/// impl Primitive for Cube {
///     fn name(&self) -> &'static str { "cube" }
///     fn abstract_eval(&self, i: &[AvalRef<'_>]) -> Result<Aval> {
///         Ok(Aval { shape: i[0].shape.clone(), dtype: i[0].dtype })
///     }
///     fn eval(&self, i: &[&Value]) -> Result<Value> {
///         let x = i[0].to_vec::<f64>();
///         Ok(Value::from_vec(x.iter().map(|v| v * v * v).collect(), i[0].shape().clone()))
///     }
///     fn jvp(&self, p: &[Tensor], t: &[Option<Tensor>], _: &Tensor) -> Result<Option<Tensor>> {
///         Ok(t[0].as_ref().map(|t| t * &(p[0].square() * 3.0)))
///     }
///     fn vjp(&self, p: &[Tensor], _: &Tensor, g: &Tensor) -> Result<Vec<Option<Tensor>>> {
///         Ok(vec![Some(g * &(p[0].square() * 3.0))])
///     }
/// }
///
/// let cube = |x: &Tensor| apply_primitive(Cube, &[x.clone()]).unwrap();
/// assert_eq!(grad(cube)(&Tensor::scalar(2.0)).item::<f64>(), 12.0);
/// assert_eq!(grad(grad(cube))(&Tensor::scalar(2.0)).item::<f64>(), 12.0);
/// ```
#[track_caller]
pub fn apply_primitive<P: Primitive>(prim: P, inputs: &[Tensor]) -> Result<Tensor> {
    bind(prim, inputs.iter().cloned().collect())
}

/// Apply a user-defined primitive with several outputs to `inputs` (see
/// [`crate::prim::MultiPrimitive`], whose example uses it): its outputs, in order.
///
/// ```
/// # use cotangent::prim::{Aval, AvalRef, MultiPrimitive};
/// # use cotangent::{apply_multi_primitive, Result, Tensor, Value};
/// /// The integer and the fractional part of an f64 (an i64 output next to an f64 one).
/// #[derive(Debug)]
/// struct Split;
/// impl MultiPrimitive for Split {
///     fn name(&self) -> &'static str { "split" }
///     fn abstract_eval(&self, i: &[AvalRef<'_>]) -> Result<Vec<Aval>> {
///         Ok(vec![Aval { shape: i[0].shape.clone(), dtype: cotangent::DType::I64 }, i[0].to_aval()])
///     }
///     fn eval(&self, i: &[&Value]) -> Result<Vec<Value>> {
///         let x = i[0].to_vec::<f64>();
///         let s = i[0].shape().clone();
///         Ok(vec![
///             Value::from_vec(x.iter().map(|v| v.trunc() as i64).collect(), s.clone()),
///             Value::from_vec(x.iter().map(|v| v.fract()).collect(), s),
///         ])
///     }
///     fn jvp(&self, _: &[Tensor], t: &[Option<Tensor>], _: &[Tensor]) -> Result<Vec<Option<Tensor>>> {
///         Ok(vec![None, t[0].clone()])
///     }
///     fn vjp(&self, _: &[Tensor], _: &[Tensor], g: &[Tensor]) -> Result<Vec<Option<Tensor>>> {
///         Ok(vec![Some(g[1].clone())])
///     }
/// }
/// let parts = apply_multi_primitive(Split, &[Tensor::scalar(2.75)]).unwrap();
/// assert_eq!(parts[0].item::<i64>(), 2);
/// assert_eq!(parts[1].item::<f64>(), 0.75);
/// ```
#[track_caller]
pub fn apply_multi_primitive<P: MultiPrimitive>(prim: P, inputs: &[Tensor]) -> Result<Vec<Tensor>> {
    bind_multi(
        std::sync::Arc::new(prim),
        inputs.iter().cloned().collect(),
        std::panic::Location::caller(),
    )
}
