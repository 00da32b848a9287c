//! Control flow for traced code: [`cond`], [`while_loop`], [`scan`] and [`fori_loop`].
//!
//! In eager code these simply run the Rust control flow (and derivatives come from ordinary
//! recording), so native `if` / `for` keep working too. Inside a trace (`trace`, `jit`, `vmap`)
//! a predicate or a loop state has no value yet: the branch and body functions are then traced
//! into graphs and one primitive carrying those graphs is recorded. Its rules are control flow
//! again — `cond`'s JVP is a `cond` over the JVPs of the branches, `scan`'s VJP a reverse
//! `scan` over the stored carries — and its batching rules vectorize the bodies, so the
//! constructs compose with `grad`, `jvp`, `vmap` and each other. Reverse mode through a
//! `while_loop` with a traced trip count is refused (as in JAX): use `scan`, a `fori_loop`
//! with a static trip count, or [`bounded_while_loop`] (a while loop with a bound on its
//! iterations, differentiable in reverse mode). Reverse mode through a loop follows a
//! checkpointing policy, [`Remat`]: store every carry, every k-th, or Griewank and Walther's
//! optimal binomial schedule (`scan_with`, `fori_loop_with`).
//!
//! Each construct is one multi-output primitive ([`crate::prim::MultiPrimitive`]): its results
//! keep their own shapes and dtypes (an i64 carry stays exact), nothing is packed.

mod bounded_while;
pub(crate) mod closure;
mod cond;
pub(crate) mod diff;
mod fori;
mod implicit;
mod remat;
mod scan;
mod scan_remat;
mod steps;
mod while_loop;

pub use bounded_while::{bounded_while_loop, try_bounded_while_loop};
pub use cond::{cond, try_cond};
pub use fori::{fori_loop, fori_loop_with, try_fori_loop, try_fori_loop_with, LoopBound};
pub use implicit::{
    custom_linear_solve, custom_linear_solve_symmetric, custom_root, try_custom_linear_solve,
    try_custom_linear_solve_symmetric, try_custom_root,
};
pub use remat::Remat;
pub use scan::{scan, scan_with, try_scan, try_scan_with};
pub use while_loop::{try_while_loop, while_loop};

use crate::core::{DType, Error, Result, Tensor};
use crate::prim::Aval;

/// `(f64[8], i64[])`: a list of types for messages.
pub(crate) fn type_list(avals: &[Aval]) -> String {
    let parts: Vec<String> = avals.iter().map(ToString::to_string).collect();
    format!("({})", parts.join(", "))
}

/// An error naming `op` unless `got` has exactly the types `expected` (a loop carry must keep
/// its shapes and dtypes; both branches of a `cond` must agree).
pub(crate) fn check_types(
    op: &'static str,
    what: &str,
    expected: &[Aval],
    got: &[Tensor],
) -> Result<()> {
    let got: Vec<Aval> = got.iter().map(Aval::of).collect();
    if got != expected {
        return Err(Error::shape(
            op,
            format!(
                "{what} {} but it must be {}",
                type_list(&got),
                type_list(expected)
            ),
        ));
    }
    Ok(())
}

/// A one-element predicate as a rank-0 bool tensor (nonzero is true).
pub(crate) fn bool_scalar(op: &'static str, p: &Tensor) -> Result<Tensor> {
    if p.numel() != 1 {
        return Err(Error::shape(
            op,
            format!("the predicate must be a scalar, got {}", Aval::of(p)),
        ));
    }
    let p = if p.rank() == 0 {
        p.clone()
    } else {
        p.try_reshape(())?
    };
    p.try_cast(DType::Bool)
}

/// The avals with a batch axis of length `size` in front.
pub(crate) fn batched(avals: &[Aval], size: usize) -> Vec<Aval> {
    avals
        .iter()
        .map(|a| {
            let mut dims = vec![size];
            dims.extend_from_slice(a.shape.dims());
            Aval::new(&dims, a.dtype)
        })
        .collect()
}

/// The avals with a leading axis of `length` (values stacked over the steps of a loop).
pub(crate) fn stacked(avals: &[Aval], length: usize) -> Vec<Aval> {
    batched(avals, length)
}
