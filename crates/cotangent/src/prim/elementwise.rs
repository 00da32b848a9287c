//! Shared machinery for elementwise primitives: their shape rules (operands arrive with equal
//! shapes; broadcasting happens before, in `ops`), their kernel dispatch, and the macro that
//! declares a unary float primitive from its kernel and its derivative.

use crate::backend::cpu::{map, zip};
use crate::core::{Error, Result, Tensor, Value};
use crate::prim::{Aval, AvalRef, Values};

/// Shape rule of a unary op on a float tensor.
pub(crate) fn unary_float_aval(op: &'static str, inputs: &[AvalRef<'_>]) -> Result<Aval> {
    let x = inputs[0];
    if !x.dtype.is_float() {
        return Err(Error::dtype(
            op,
            format!("expected a floating-point tensor, got {}", x.dtype),
        ));
    }
    Ok(Aval {
        shape: x.shape.clone(),
        dtype: x.dtype,
    })
}

/// Shape rule of a binary op on two float tensors of one shape and dtype.
pub(crate) fn binary_float_aval(op: &'static str, inputs: &[AvalRef<'_>]) -> Result<Aval> {
    let aval = binary_same_aval(op, inputs)?;
    if !aval.dtype.is_float() {
        return Err(Error::dtype(
            op,
            format!("expected floating-point tensors, got {}", aval.dtype),
        ));
    }
    Ok(aval)
}

/// Shape rule of a binary op whose operands must agree in shape and dtype.
pub(crate) fn binary_same_aval(op: &'static str, inputs: &[AvalRef<'_>]) -> Result<Aval> {
    let (a, b) = (inputs[0], inputs[1]);
    if a.dtype != b.dtype {
        return Err(Error::dtype(
            op,
            format!(
                "operands have different dtypes: {} and {}",
                a.dtype, b.dtype
            ),
        ));
    }
    if a.shape != b.shape {
        return Err(Error::shape(
            op,
            format!("shapes {} and {} differ", a.shape, b.shape),
        ));
    }
    Ok(Aval {
        shape: a.shape.clone(),
        dtype: a.dtype,
    })
}

/// Run a unary float kernel given as its f32 and f64 instances, into a new buffer.
pub(crate) fn map_float(
    op: &'static str,
    v: &Value,
    k32: impl Fn(f32) -> f32 + Sync + Send,
    k64: impl Fn(f64) -> f64 + Sync + Send,
) -> Result<Value> {
    Ok(match v.dtype() {
        crate::DType::F32 => map::map(v, k32),
        crate::DType::F64 => map::map(v, k64),
        d => {
            return Err(Error::dtype(
                op,
                format!("expected a floating-point tensor, got {d}"),
            ))
        }
    })
}

/// Like [`map_float`], writing in place when `v` owns its buffer alone.
pub(crate) fn map_float_owned(
    op: &'static str,
    mut inputs: Values,
    k32: impl Fn(f32) -> f32 + Sync + Send,
    k64: impl Fn(f64) -> f64 + Sync + Send,
) -> Result<Value> {
    let v = inputs.swap_remove(0);
    Ok(match v.dtype() {
        crate::DType::F32 => map::map_same(v, k32),
        crate::DType::F64 => map::map_same(v, k64),
        d => {
            return Err(Error::dtype(
                op,
                format!("expected a floating-point tensor, got {d}"),
            ))
        }
    })
}

/// Run a binary float kernel given as its f32 and f64 instances, into a new buffer.
pub(crate) fn zip_float(
    op: &'static str,
    a: &Value,
    b: &Value,
    k32: impl Fn(f32, f32) -> f32 + Sync + Send,
    k64: impl Fn(f64, f64) -> f64 + Sync + Send,
) -> Result<Value> {
    Ok(match a.dtype() {
        crate::DType::F32 => zip::zip(a, b, k32),
        crate::DType::F64 => zip::zip(a, b, k64),
        d => {
            return Err(Error::dtype(
                op,
                format!("expected floating-point tensors, got {d}"),
            ))
        }
    })
}

/// Like [`zip_float`], writing into an operand's buffer when one is owned alone.
pub(crate) fn zip_float_owned(
    op: &'static str,
    mut inputs: Values,
    k32: impl Fn(f32, f32) -> f32 + Sync + Send,
    k64: impl Fn(f64, f64) -> f64 + Sync + Send,
) -> Result<Value> {
    let b = inputs.swap_remove(1);
    let a = inputs.swap_remove(0);
    Ok(match a.dtype() {
        crate::DType::F32 => zip::zip_same(a, b, k32),
        crate::DType::F64 => zip::zip_same(a, b, k64),
        d => {
            return Err(Error::dtype(
                op,
                format!("expected floating-point tensors, got {d}"),
            ))
        }
    })
}

/// Sum of two optional tangents (`None` is zero).
pub(crate) fn add_opt(a: Option<Tensor>, b: Option<Tensor>) -> Option<Tensor> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a + b),
        (a, None) => a,
        (None, b) => b,
    }
}

/// The shape rule and kernel dispatch shared by every unary float primitive (its kernel is the
/// type's `k` function), inside an `impl Primitive` block.
macro_rules! unary_float_eval {
    ($op:literal) => {
        fn name(&self) -> &'static str {
            $op
        }
        fn abstract_eval(
            &self,
            inputs: &[$crate::prim::AvalRef<'_>],
        ) -> $crate::Result<$crate::prim::Aval> {
            $crate::prim::elementwise::unary_float_aval($op, inputs)
        }
        fn eval(&self, inputs: &[&$crate::Value]) -> $crate::Result<$crate::Value> {
            $crate::prim::elementwise::map_float($op, inputs[0], Self::k::<f32>, Self::k::<f64>)
        }
        fn eval_consuming(&self, inputs: $crate::prim::Values) -> $crate::Result<$crate::Value> {
            $crate::prim::elementwise::map_float_owned($op, inputs, Self::k::<f32>, Self::k::<f64>)
        }
    };
}

/// Declares a unary float primitive from its kernel and its chain rule `g · f'(x)` (written
/// with tensor ops, given `g`, `x` and `out = f(x)`, in the cheapest form: `g / x` for `log`).
/// The rule is linear in `g`, so it serves as the JVP (with the tangent for `g`) and as the VJP.
macro_rules! unary_float_primitive {
    (
        $(#[$doc:meta])*
        $name:ident, $op:literal,
        kernel: |$x:ident| $kernel:expr,
        chain: |$g:ident, $p:ident, $out:ident| $chain:expr $(,)?
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub struct $name;

        impl $name {
            #[inline(always)]
            fn k<T: $crate::Real>($x: T) -> T {
                $kernel
            }

            /// `g · f'(x)` given `g`, `x` and `f(x)`.
            #[allow(unused_variables)]
            fn chain(
                $g: &$crate::Tensor,
                $p: &$crate::Tensor,
                $out: &$crate::Tensor,
            ) -> $crate::Tensor {
                $chain
            }
        }

        impl $crate::prim::Primitive for $name {
            $crate::prim::elementwise::unary_float_eval!($op);
            $crate::prim::batching::elementwise_batch!();
            fn jvp(
                &self,
                primals: &[$crate::Tensor],
                tangents: &[Option<$crate::Tensor>],
                out: &$crate::Tensor,
            ) -> $crate::Result<Option<$crate::Tensor>> {
                Ok(tangents[0].as_ref().map(|t| Self::chain(t, &primals[0], out)))
            }
            fn vjp(
                &self,
                primals: &[$crate::Tensor],
                out: &$crate::Tensor,
                g: &$crate::Tensor,
            ) -> $crate::Result<Vec<Option<$crate::Tensor>>> {
                Ok(vec![Some(Self::chain(g, &primals[0], out))])
            }
        }
    };
}

/// Declares a piecewise-constant unary float primitive: its derivative is zero wherever it is
/// defined, so both rules return a zero (`None`) tangent.
macro_rules! piecewise_constant_primitive {
    ($(#[$doc:meta])* $name:ident, $op:literal, kernel: |$x:ident| $kernel:expr $(,)?) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub struct $name;

        impl $name {
            #[inline(always)]
            fn k<T: $crate::Real>($x: T) -> T {
                $kernel
            }
        }

        impl $crate::prim::Primitive for $name {
            $crate::prim::elementwise::unary_float_eval!($op);
            $crate::prim::batching::elementwise_batch!();
            fn jvp(
                &self,
                _: &[$crate::Tensor],
                _: &[Option<$crate::Tensor>],
                _: &$crate::Tensor,
            ) -> $crate::Result<Option<$crate::Tensor>> {
                Ok(None)
            }
            fn vjp(
                &self,
                _: &[$crate::Tensor],
                _: &$crate::Tensor,
                _: &$crate::Tensor,
            ) -> $crate::Result<Vec<Option<$crate::Tensor>>> {
                Ok(vec![None])
            }
        }
    };
}

pub(crate) use piecewise_constant_primitive;
pub(crate) use unary_float_eval;
pub(crate) use unary_float_primitive;
