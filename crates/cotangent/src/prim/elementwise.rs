//! Shared machinery for elementwise primitives: their shape rules (operands arrive with equal
//! shapes; broadcasting happens before, in `ops`), their kernel dispatch, and the macro that
//! declares a unary float primitive from its kernel and its derivative.

use crate::backend::cpu::block;
use crate::core::{Error, Result, Tensor, Value};
use crate::prim::lowering::Elementwise;
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

/// Run an elementwise rule on float operands of one shape and dtype, into a new buffer.
pub(crate) fn eval_rule(op: &'static str, rule: &Elementwise, inputs: &[&Value]) -> Result<Value> {
    Ok(match inputs[0].dtype() {
        crate::DType::F32 => block::apply(rule.f32, rule.f32_one, inputs),
        crate::DType::F64 => block::apply(rule.f64, rule.f64_one, inputs),
        d => return Err(not_float(op, d)),
    })
}

/// Like [`eval_rule`], writing into an operand's buffer when one is owned alone.
pub(crate) fn eval_rule_owned(
    op: &'static str,
    rule: &Elementwise,
    inputs: Values,
) -> Result<Value> {
    Ok(match inputs[0].dtype() {
        crate::DType::F32 => block::apply_owned(rule.f32, rule.f32_one, inputs),
        crate::DType::F64 => block::apply_owned(rule.f64, rule.f64_one, inputs),
        d => return Err(not_float(op, d)),
    })
}

fn not_float(op: &'static str, d: crate::DType) -> Error {
    Error::dtype(op, format!("expected floating-point tensors, got {d}"))
}

/// Sum of two optional tangents (`None` is zero).
pub(crate) fn add_opt(a: Option<Tensor>, b: Option<Tensor>) -> Option<Tensor> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a + b),
        (a, None) => a,
        (None, b) => b,
    }
}

/// A block function in `$t`: the primitive's vectorized fast path if it names one, else its
/// generic kernel `k` over the block; with `one` first, the same at one element.
macro_rules! float_block {
    (one $t:ty; $fast:path; $k:path) => {
        |a: [$t; 3]| {
            let mut o = [0.0 as $t];
            $fast(&mut o, &a[..1]);
            o[0]
        }
    };
    (one $t:ty; ; $k:path) => {
        |a: [$t; 3]| $k(a[0])
    };
    ($t:ty; $fast:path; $k:path) => {
        |o: &mut [$t], i: &[&[$t]]| $fast(o, i[0])
    };
    ($t:ty; ; $k:path) => {
        |o: &mut [$t], i: &[&[$t]]| {
            $crate::prim::lowering::vectorized(o.len(), || $crate::prim::lowering::block1(o, i, $k))
        }
    };
}

/// The shape rule (`$aval`), kernels, batching rule, typed parameters and lowering shared by
/// every float primitive whose elementwise rule is `Self::RULE`, inside an `impl Primitive`
/// block.
macro_rules! elementwise_eval {
    ($op:literal, $aval:ident) => {
        fn name(&self) -> &'static str {
            $op
        }
        fn abstract_eval(
            &self,
            inputs: &[$crate::prim::AvalRef<'_>],
        ) -> $crate::Result<$crate::prim::Aval> {
            $crate::prim::elementwise::$aval($op, inputs)
        }
        fn eval(&self, inputs: &[&$crate::Value]) -> $crate::Result<$crate::Value> {
            $crate::prim::elementwise::eval_rule($op, &Self::RULE, inputs)
        }
        fn eval_consuming(&self, inputs: $crate::prim::Values) -> $crate::Result<$crate::Value> {
            $crate::prim::elementwise::eval_rule_owned($op, &Self::RULE, inputs)
        }
        fn lowering(&self) -> $crate::prim::lowering::Lowering<'_> {
            $crate::prim::lowering::Lowering::Elementwise(&Self::RULE)
        }
        $crate::prim::batching::elementwise_batch!();
        $crate::prim::typed_params!();
    };
}

/// The struct, its rule, its `Tensor` methods (`try_name` returning `Result`, `name`
/// panicking) and its registration, for a unary float primitive.
macro_rules! unary_float_common {
    (
        $(#[$doc:meta])*
        $name:ident, $op:literal,
        method: $method:ident / $try:ident, $mdoc:literal,
        kernel: |$x:ident| $kernel:expr,
        fast: $($fast:path)?,
        expr: $expr:literal
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub struct $name;

        impl $name {
            // Unused where a fast path replaces it for both float types.
            #[allow(dead_code)]
            #[inline(always)]
            fn k<T: $crate::Real>($x: T) -> T {
                $kernel
            }

            /// The elementwise rule: the kernel over blocks, for eager and fused loops alike.
            pub(crate) const RULE: $crate::prim::lowering::Elementwise =
                $crate::prim::lowering::Elementwise {
                    name: $op,
                    arity: 1,
                    f32: $crate::prim::elementwise::float_block!(f32; $($fast)?; Self::k::<f32>),
                    f64: $crate::prim::elementwise::float_block!(f64; $($fast)?; Self::k::<f64>),
                    f32_one: $crate::prim::elementwise::float_block!(one f32; $($fast)?; Self::k::<f32>),
                    f64_one: $crate::prim::elementwise::float_block!(one f64; $($fast)?; Self::k::<f64>),
                    algebra: $crate::prim::lowering::Algebra {
                        right_unit: None,
                        left_unit: None,
                        copy: false,
                    },
                    expr: $expr,
                };
        }

        #[doc = concat!("**Elementwise math**: `", stringify!($method), "`, a primitive (its rules live in `prim/`).")]
        impl $crate::Tensor {
            #[doc = $mdoc]
            #[doc = ""]
            #[doc = "Fails on integer and bool tensors."]
            #[track_caller]
            pub fn $try(&self) -> $crate::Result<$crate::Tensor> {
                $crate::core::bind::bind($name, smallvec::smallvec![self.clone()])
            }

            #[doc = $mdoc]
            #[doc = ""]
            #[doc = concat!("Panics where [`Tensor::", stringify!($try), "`](crate::Tensor::", stringify!($try), ") fails.")]
            #[track_caller]
            pub fn $method(&self) -> $crate::Tensor {
                match self.$try() {
                    Ok(t) => t,
                    Err(e) => panic!("{e}"),
                }
            }
        }

        /// The primitives this module registers.
        pub(crate) fn instances() -> Vec<std::sync::Arc<dyn $crate::prim::Primitive>> {
            vec![std::sync::Arc::new($name)]
        }
    };
}

/// Declares a unary float primitive from its kernel and its chain rule `g · f'(x)` (written
/// with tensor ops, given `g`, `x` and `out = f(x)`, in the cheapest form: `g / x` for `log`).
/// The rule is linear in `g`, so it serves as the JVP (with the tangent for `g`) and as the VJP.
/// See CONTRIBUTING.md for the recipe.
macro_rules! unary_float_primitive {
    (
        $(#[$doc:meta])*
        $name:ident, $op:literal,
        method: $method:ident / $try:ident, $mdoc:literal,
        kernel: |$x:ident| $kernel:expr,
        $(fast: $fast:path,)?
        chain: |$g:ident, $p:ident, $out:ident| $chain:expr,
        expr: $expr:literal $(,)?
    ) => {
        $crate::prim::elementwise::unary_float_common! {
            $(#[$doc])*
            $name, $op,
            method: $method / $try, $mdoc,
            kernel: |$x| $kernel,
            fast: $($fast)?,
            expr: $expr
        }

        impl $name {
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
            $crate::prim::elementwise::elementwise_eval!($op, unary_float_aval);
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
    (
        $(#[$doc:meta])*
        $name:ident, $op:literal,
        method: $method:ident / $try:ident, $mdoc:literal,
        kernel: |$x:ident| $kernel:expr,
        expr: $expr:literal $(,)?
    ) => {
        $crate::prim::elementwise::unary_float_common! {
            $(#[$doc])*
            $name, $op,
            method: $method / $try, $mdoc,
            kernel: |$x| $kernel,
            fast: ,
            expr: $expr
        }

        impl $crate::prim::Primitive for $name {
            $crate::prim::elementwise::elementwise_eval!($op, unary_float_aval);
            $crate::prim::no_derivatives!(1);
        }
    };
}

/// Declares a binary float primitive (operands of one shape and dtype; `ops` broadcasts
/// first) from its kernel and its chain rule: statements computing what both partials share,
/// then `left` and `right`, each linear in `g` (`g · ∂out/∂a` and `g · ∂out/∂b`). JVP is
/// `left(ta) + right(tb)`, VJP `(left(g), right(g))`. `algebra` lists its exact units.
macro_rules! binary_float_primitive {
    (
        $(#[$doc:meta])*
        $name:ident, $op:literal,
        kernel: |$x:ident, $y:ident| $kernel:expr,
        chain: |$g:ident, $a:ident, $b:ident, $out:ident| { $($prep:tt)* }
            left: $left:expr, right: $right:expr,
        algebra: $algebra:expr,
        expr: $expr:literal
        $(, local: $local:path)? $(,)?
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub struct $name;

        impl $name {
            #[inline(always)]
            fn k<T: $crate::Real>($x: T, $y: T) -> T {
                $kernel
            }

            /// The elementwise rule: the kernel over blocks, for eager and fused loops alike.
            pub(crate) const RULE: $crate::prim::lowering::Elementwise =
                $crate::prim::lowering::Elementwise {
                    name: $op,
                    arity: 2,
                    f32: |o, i| {
                        $crate::prim::lowering::vectorized(o.len(), || {
                            $crate::prim::lowering::block2(o, i, Self::k::<f32>)
                        })
                    },
                    f64: |o, i| {
                        $crate::prim::lowering::vectorized(o.len(), || {
                            $crate::prim::lowering::block2(o, i, Self::k::<f64>)
                        })
                    },
                    f32_one: |a| Self::k::<f32>(a[0], a[1]),
                    f64_one: |a| Self::k::<f64>(a[0], a[1]),
                    algebra: $algebra,
                    expr: $expr,
                };
        }

        impl $crate::prim::Primitive for $name {
            $crate::prim::elementwise::elementwise_eval!($op, binary_float_aval);
            #[allow(unused_variables, clippy::redundant_locals)]
            fn jvp(
                &self,
                p: &[$crate::Tensor],
                t: &[Option<$crate::Tensor>],
                out: &$crate::Tensor,
            ) -> $crate::Result<Option<$crate::Tensor>> {
                let ($a, $b, $out) = (&p[0], &p[1], out);
                $($prep)*
                let l = t[0].as_ref().map(|$g| $left);
                let r = t[1].as_ref().map(|$g| $right);
                Ok($crate::prim::elementwise::add_opt(l, r))
            }
            #[allow(unused_variables, clippy::redundant_locals)]
            fn vjp(
                &self,
                p: &[$crate::Tensor],
                out: &$crate::Tensor,
                g: &$crate::Tensor,
            ) -> $crate::Result<Vec<Option<$crate::Tensor>>> {
                let ($a, $b, $out, $g) = (&p[0], &p[1], out, g);
                $($prep)*
                Ok(vec![Some($left), Some($right)])
            }
            $(
                fn local_dependencies(
                    &self,
                    inputs: &[&$crate::core::Value],
                    output: &$crate::core::Value,
                ) -> Option<$crate::prim::lowering::LocalDeps> {
                    $local(inputs, output)
                }
            )?
        }

        /// The primitives this module registers.
        pub(crate) fn instances() -> Vec<std::sync::Arc<dyn $crate::prim::Primitive>> {
            vec![std::sync::Arc::new($name)]
        }
    };
}

/// `Algebra` with no units (for the binary macro's `algebra:`).
pub(crate) const NO_UNITS: crate::prim::lowering::Algebra = crate::prim::lowering::Algebra {
    right_unit: None,
    left_unit: None,
    copy: false,
};

pub(crate) use binary_float_primitive;
pub(crate) use elementwise_eval;
pub(crate) use float_block;
pub(crate) use piecewise_constant_primitive;
pub(crate) use unary_float_common;
pub(crate) use unary_float_primitive;

fn copy_block<T: Copy>(o: &mut [T], i: &[&[T]]) {
    o.copy_from_slice(i[0]);
}

/// A copy of the operand that must stay (`stop_gradient`, a cast that keeps the float type or
/// reads a bool as 0 or 1).
pub(crate) const MOVE: crate::prim::lowering::Elementwise = crate::prim::lowering::Elementwise {
    name: "mov",
    arity: 1,
    f32: copy_block::<f32>,
    f64: copy_block::<f64>,
    f32_one: |a| a[0],
    f64_one: |a| a[0],
    algebra: NO_UNITS,
    expr: "a",
};

/// A copy the simplifier may remove (`identity`).
pub(crate) const COPY: crate::prim::lowering::Elementwise = crate::prim::lowering::Elementwise {
    name: "identity",
    algebra: crate::prim::lowering::Algebra {
        right_unit: None,
        left_unit: None,
        copy: true,
    },
    ..MOVE
};
