//! The user-facing operations on [`crate::Tensor`]: constructors, elementwise math, operators,
//! reductions, shape and indexing ops, and composites (softmax, losses, …) built from primitives
//! with no rules of their own (cumulative ops, products, triangles, extra elementwise math).
//!
//! Every op comes in two forms: `try_op` returns a [`crate::Result`] and `op` panics with the
//! same message at the caller's line (both are `#[track_caller]`).

/// Defines the panicking form of an op from its `try_` form.
macro_rules! panicking {
    ($(#[$m:meta])* $name:ident($($arg:ident : $ty:ty),*) => $try:ident) => {
        $(#[$m])*
        #[track_caller]
        pub fn $name(&self $(, $arg: $ty)*) -> crate::Tensor {
            match self.$try($($arg),*) {
                Ok(t) => t,
                Err(e) => panic!("{e}"),
            }
        }
    };
}

/// A dtype error naming `op` unless `x` is a float tensor (for composites of float
/// primitives, whose own errors would name the primitive instead).
#[track_caller]
pub(crate) fn need_float(op: &'static str, x: &crate::Tensor) -> crate::Result<()> {
    if x.dtype().is_float() {
        return Ok(());
    }
    Err(crate::core::Error::dtype(
        op,
        format!("expected a floating-point tensor, got {}", x.dtype()),
    )
    .at(std::panic::Location::caller()))
}

mod activation;
mod arith;
mod binary;
mod conv;
mod conv_transpose;
mod create;
mod cumulative;
mod display;
mod einsum;
mod index;
mod indexing;
mod linalg;
mod linalg_det;
mod linalg_exp;
mod linalg_factor;
mod linalg_norm;
pub(crate) mod linalg_shapes;
mod linalg_solve;
mod linalg_svd;
mod loss;
mod math;
mod normalization;
mod pool;
mod product;
mod products;
mod reduce;
mod reduce_min;
mod reorder;
mod reshape_arg;
mod shape;
mod sort;
mod triangular;
mod unary;

pub use binary::where_;
pub use conv::Conv2dOptions;
pub use conv_transpose::ConvTranspose2dOptions;
pub use einsum::{einsum, try_einsum};
pub use indexing::{IndexArg, IndexItem, IndexPart};
pub use linalg_norm::MatrixNorm;
pub use products::{meshgrid, try_meshgrid, Indexing};
pub use reshape_arg::{ReshapeArg, ReshapeDim};
pub use triangular::{tril_indices, triu_indices};
