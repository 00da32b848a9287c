//! `bounded_while_loop(cond_fn, body_fn, init, max_steps, remat)`: a while loop that runs at
//! most `max_steps` iterations and is differentiable in reverse mode. Traced, it is a `scan`
//! of `max_steps` steps whose step runs the body under a `cond` while the loop is still going
//! and passes the carries through once it has stopped; the gradient is that of the loop as
//! executed (the steps after it stopped are identities). The scan's checkpointing policy
//! bounds the memory of the reverse pass.

use std::cell::RefCell;
use std::panic::Location;

use super::closure::staging;
use super::cond::try_cond;
use super::remat::Remat;
use super::scan::try_scan_with;
use super::{bool_scalar, check_types};
use crate::core::{DType, Error, Result, Tensor};
use crate::ops::where_;
use crate::prim::Aval;

/// Like [`bounded_while_loop`], returning an error for a predicate that is not a scalar, a body
/// that changes the carries' shapes or dtypes, or an invalid policy.
///
/// ```
/// use cotangent::{try_bounded_while_loop, Remat, Tensor};
/// let r = try_bounded_while_loop(|c| c[0].lt(&Tensor::scalar(5.0)), |c| vec![&c[0] + 2.0], &[Tensor::scalar(0.0)], 100, Remat::StoreAll);
/// assert_eq!(r.unwrap()[0].item::<f64>(), 6.0);
/// ```
#[track_caller]
pub fn try_bounded_while_loop(
    cond_fn: impl Fn(&[Tensor]) -> Tensor,
    body_fn: impl Fn(&[Tensor]) -> Vec<Tensor>,
    init: &[Tensor],
    max_steps: usize,
    remat: Remat,
) -> Result<Vec<Tensor>> {
    const OP: &str = "bounded_while_loop";
    let loc = Location::caller();
    remat.check(OP).map_err(|e| e.at(loc))?;
    let avals: Vec<Aval> = init.iter().map(Aval::of).collect();
    let traced =
        staging() || remat != Remat::StoreAll || init.iter().any(|x| x.value().is_abstract());
    if !traced || max_steps == 0 {
        let mut c = init.to_vec();
        for _ in 0..max_steps {
            let go = bool_scalar(OP, &cond_fn(&c))
                .and_then(|p| p.try_item::<bool>())
                .map_err(|e| e.at(loc))?;
            if !go {
                break;
            }
            let next = body_fn(&c);
            check_types(OP, "the body returns", &avals, &next).map_err(|e| e.at(loc))?;
            c = next;
        }
        return Ok(c);
    }
    let err = RefCell::new(None);
    let step = |c: &[Tensor], _: &[Tensor]| -> (Vec<Tensor>, Vec<Tensor>) {
        let run = || -> Result<Vec<Tensor>> {
            let going = bool_scalar(OP, &cond_fn(&c[1..]))?;
            let p = where_(&c[0], &going, &c[0]);
            let next = try_cond(
                &p,
                |a| {
                    let next = body_fn(a);
                    match check_types(OP, "the body returns", &avals, &next) {
                        Ok(()) => next,
                        Err(e) => {
                            err.borrow_mut().get_or_insert(e);
                            a.to_vec()
                        }
                    }
                },
                |a| a.to_vec(),
                &c[1..],
            )?;
            let mut out = vec![p];
            out.extend(next);
            Ok(out)
        };
        match run() {
            Ok(out) => (out, Vec::new()),
            Err(e) => {
                err.borrow_mut().get_or_insert(e);
                (c.to_vec(), Vec::new())
            }
        }
    };
    let mut carries = vec![Tensor::scalar(true)];
    carries.extend_from_slice(init);
    let steps = Tensor::try_zeros(&[max_steps], DType::Bool)?;
    let result = try_scan_with(remat, step, &carries, &[steps]);
    if let Some(e) = err.into_inner() {
        return Err(Error { op: OP, ..e }.at(loc));
    }
    let (mut out, _) = result.map_err(|e| Error { op: OP, ..e }.at(loc))?;
    out.remove(0);
    Ok(out)
}

/// Run `body_fn` on the carries while `cond_fn` holds, at most `max_steps` times, and return
/// the final carries; unlike [`while_loop`](crate::while_loop) it is differentiable in
/// reverse mode, under `jit` and `vmap` too (each example stops on its own). The gradient is
/// that of the loop as executed: the same as unrolling the Rust loop for the trip count it
/// took. A loop still running after `max_steps` iterations stops there silently.
///
/// Traced code pays for `max_steps` steps (the ones after the loop stopped only copy the
/// carries), and reverse mode follows `remat`: [`Remat::Revolve`] keeps the memory to a few
/// carries for a large bound.
///
/// ```
/// use cotangent::{bounded_while_loop, grad, Remat, Tensor};
/// // Halve x until it is below 1: the result is x / 2^k, so the derivative is 2^-k.
/// let f = |x: &Tensor| {
///     let r = bounded_while_loop(|c| c[0].ge(&Tensor::scalar(1.0)), |c| vec![&c[0] * 0.5], &[x.clone()], 64, Remat::Revolve { snapshots: 4 });
///     r[0].clone()
/// };
/// assert_eq!(grad(f)(&Tensor::scalar(10.0)).item::<f64>(), 1.0 / 16.0);
/// ```
#[track_caller]
pub fn bounded_while_loop(
    cond_fn: impl Fn(&[Tensor]) -> Tensor,
    body_fn: impl Fn(&[Tensor]) -> Vec<Tensor>,
    init: &[Tensor],
    max_steps: usize,
    remat: Remat,
) -> Vec<Tensor> {
    try_bounded_while_loop(cond_fn, body_fn, init, max_steps, remat)
        .unwrap_or_else(|e| panic!("{e}"))
}
