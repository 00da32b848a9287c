//! Primitives: the small set of operations the library knows how to differentiate. Each lives in
//! its own file with everything about it: shape and dtype rule, kernel dispatch, JVP rule and VJP
//! rule. Rules are written with the library's own differentiable tensor ops, so the derivative of
//! a derivative is again an ordinary graph (higher order for free).
//!
//! Everything else (softmax, losses, …) is composed from these in [`crate::ops`].

pub use crate::core::multi::MultiPrimitive;
pub use crate::core::primitive::{Aval, AvalRef, Primitive, Values};

pub(crate) mod batching;
pub(crate) mod elementwise;
pub(crate) mod fastmath;
pub(crate) mod linalg_common;
pub(crate) mod local;
pub mod lowering;
pub(crate) mod special;

/// The registration: every built-in primitive's module, once. Each module declares its
/// primitives' `instances()`; [`registry`] lists them, and tests check that every registered
/// primitive has a row in the test table.
macro_rules! register {
    ($($m:ident),* $(,)?) => {
        $(pub mod $m;)*

        /// One instance of every built-in primitive (parameterized ones with example
        /// parameters), in registration order.
        ///
        /// ```
        /// let names: Vec<&str> = cotangent::prim::registry().iter().map(|p| p.name()).collect();
        /// assert!(names.contains(&"sin") && names.contains(&"matmul"));
        /// ```
        pub fn registry() -> Vec<std::sync::Arc<dyn Primitive>> {
            let mut all = Vec::new();
            $(all.extend($m::instances());)*
            all
        }
    };
}

register! {
    abs,
    acos,
    acosh,
    add,
    argmax,
    argsort,
    asin,
    asinh,
    atan,
    atan2,
    atanh,
    broadcast,
    cast,
    cbrt,
    cholesky,
    cofactor,
    compare,
    concat,
    cos,
    cosh,
    cumsum,
    det,
    div,
    eigh,
    erf,
    erfc,
    erfinv,
    exp,
    exp2,
    expm1,
    floor,
    identity,
    index_bound,
    index_select,
    int_arith,
    lgamma,
    log,
    log1p,
    log10,
    log2,
    matmul,
    max,
    min,
    mul,
    neg,
    pad,
    polygamma,
    qr,
    permute,
    pow,
    random,
    reduce_max,
    reshape,
    round,
    scatter_add,
    select,
    sign,
    sin,
    sinh,
    slice,
    slogdet,
    solve,
    sqrt,
    stop_gradient,
    sub,
    sum,
    svd,
    tan,
    tanh,
    triangular_solve,
}

/// [`Primitive::is_equivalent`] and [`Primitive::hash_params`] from the type's `PartialEq` and
/// `Hash`, inside an `impl Primitive` block.
macro_rules! typed_params {
    () => {
        fn is_equivalent(&self, other: &dyn $crate::prim::Primitive) -> bool {
            (other as &dyn std::any::Any)
                .downcast_ref::<Self>()
                .is_some_and(|o| o == self)
        }
        fn hash_params(&self, mut state: &mut dyn std::hash::Hasher) {
            std::hash::Hash::hash(self, &mut state)
        }
    };
}
pub(crate) use typed_params;

/// The rules of a primitive with no derivative (an integer or boolean output, or samples that
/// do not depend on any float input), inside its `impl Primitive` block: no output tangent, and
/// no cotangent for any of its `$n` inputs.
macro_rules! no_derivatives {
    ($n:expr) => {
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
            Ok(vec![None; $n])
        }
    };
}
pub(crate) use no_derivatives;
