//! `fori_loop(lower, upper, body, init)`: `body(i, carry)` for `i` in `lower..upper`. With
//! concrete bounds the trip count is static: eager code runs a Rust loop and traced code a
//! `scan` over the indices (so reverse mode works). With a traced bound it is a `while_loop`.

use std::panic::Location;

use super::check_types;
use super::closure::staging;
use super::remat::Remat;
use super::scan::try_scan_with;
use super::while_loop::try_while_loop;
use crate::core::{DType, Error, Result, Tensor};
use crate::prim::Aval;

/// A loop bound for [`fori_loop`]: a Rust integer, or an integer scalar tensor (which may be
/// traced, making the trip count dynamic).
pub trait LoopBound {
    /// The bound as a rank-0 tensor.
    ///
    /// ```
    /// use cotangent::LoopBound;
    /// assert_eq!(3i64.into_bound().item::<i64>(), 3);
    /// ```
    fn into_bound(self) -> Tensor;
}

impl LoopBound for i64 {
    fn into_bound(self) -> Tensor {
        Tensor::scalar(self)
    }
}

impl LoopBound for i32 {
    fn into_bound(self) -> Tensor {
        Tensor::scalar(i64::from(self))
    }
}

impl LoopBound for usize {
    fn into_bound(self) -> Tensor {
        Tensor::scalar(self as i64)
    }
}

impl LoopBound for &Tensor {
    fn into_bound(self) -> Tensor {
        self.clone()
    }
}

impl LoopBound for Tensor {
    fn into_bound(self) -> Tensor {
        self
    }
}

/// An integer scalar bound as an i64 rank-0 tensor.
fn bound(name: &str, b: Tensor) -> Result<Tensor> {
    if b.numel() != 1 || b.dtype().is_float() || b.dtype() == DType::Bool {
        return Err(Error::dtype(
            "fori_loop",
            format!(
                "the {name} bound must be an integer scalar, got {}",
                Aval::of(&b)
            ),
        ));
    }
    b.try_reshape(())?.try_cast(DType::I64)
}

/// Like [`fori_loop`], returning an error for bounds that are not integer scalars or a body
/// that changes the carries' shapes or dtypes.
///
/// ```
/// use cotangent::{try_fori_loop, Tensor};
/// let r = try_fori_loop(0, 4, |i, c| vec![&c[0] + &i.cast(cotangent::DType::F64)], &[Tensor::scalar(0.0)]);
/// assert_eq!(r.unwrap()[0].item::<f64>(), 6.0);
/// ```
#[track_caller]
pub fn try_fori_loop(
    lower: impl LoopBound,
    upper: impl LoopBound,
    body: impl Fn(&Tensor, &[Tensor]) -> Vec<Tensor>,
    init: &[Tensor],
) -> Result<Vec<Tensor>> {
    try_fori_loop_with(Remat::StoreAll, lower, upper, body, init)
}

/// [`fori_loop`] whose reverse mode follows the checkpointing policy `remat` (see
/// [`scan_with`](crate::scan_with)); with static bounds and a policy other than store-all the
/// loop is recorded as one `scan`, in eager code too.
///
/// ```
/// use cotangent::{fori_loop_with, grad, Remat, Tensor};
/// let f = |x: &Tensor| fori_loop_with(Remat::Revolve { snapshots: 2 }, 0, 3, |_, c| vec![c[0].square()], &[x.clone()]).remove(0);
/// let d = grad(f)(&Tensor::scalar(1.1)).item::<f64>();
/// assert!((d - 8.0 * 1.1f64.powi(7)).abs() < 1e-12);
/// ```
#[track_caller]
pub fn fori_loop_with(
    remat: Remat,
    lower: impl LoopBound,
    upper: impl LoopBound,
    body: impl Fn(&Tensor, &[Tensor]) -> Vec<Tensor>,
    init: &[Tensor],
) -> Vec<Tensor> {
    try_fori_loop_with(remat, lower, upper, body, init).unwrap_or_else(|e| panic!("{e}"))
}

/// [`fori_loop_with`], returning an error where [`try_fori_loop`] does or for an invalid
/// policy.
///
/// ```
/// use cotangent::{try_fori_loop_with, Remat, Tensor};
/// let r = try_fori_loop_with(Remat::Revolve { snapshots: 0 }, 0, 3, |_, c| c.to_vec(), &[Tensor::scalar(1.0)]);
/// assert!(r.is_err());
/// ```
#[track_caller]
pub fn try_fori_loop_with(
    remat: Remat,
    lower: impl LoopBound,
    upper: impl LoopBound,
    body: impl Fn(&Tensor, &[Tensor]) -> Vec<Tensor>,
    init: &[Tensor],
) -> Result<Vec<Tensor>> {
    let loc = Location::caller();
    remat.check("fori_loop").map_err(|e| e.at(loc))?;
    let lo = bound("lower", lower.into_bound()).map_err(|e| e.at(loc))?;
    let hi = bound("upper", upper.into_bound()).map_err(|e| e.at(loc))?;
    if !lo.value().is_abstract() && !hi.value().is_abstract() {
        let (lo, hi) = (lo.try_item::<i64>()?, hi.try_item::<i64>()?);
        if hi <= lo {
            return Ok(init.to_vec());
        }
        let traced =
            staging() || remat != Remat::StoreAll || init.iter().any(|x| x.value().is_abstract());
        if !traced {
            let avals: Vec<Aval> = init.iter().map(Aval::of).collect();
            let mut c = init.to_vec();
            for i in lo..hi {
                let next = body(&Tensor::scalar(i), &c);
                check_types("fori_loop", "the body returns", &avals, &next)
                    .map_err(|e| e.at(loc))?;
                c = next;
            }
            return Ok(c);
        }
        let idx = Tensor::try_arange(lo as f64, hi as f64, 1.0, DType::I64)?;
        let step = |c: &[Tensor], i: &[Tensor]| (body(&i[0], c), Vec::new());
        let (c, _) = try_scan_with(remat, step, init, &[idx]).map_err(|e| {
            Error {
                op: "fori_loop",
                ..e
            }
            .at(loc)
        })?;
        return Ok(c);
    }
    // The counter is carried as f64 (exact up to 2^53): arithmetic is defined on floats.
    let hi = hi.try_cast(DType::F64).map_err(|e| e.at(loc))?;
    let mut carries = vec![lo.try_cast(DType::F64).map_err(|e| e.at(loc))?];
    carries.extend_from_slice(init);
    let mut out = try_while_loop(
        |c| c[0].lt(&hi),
        |c| {
            let mut next = vec![&c[0] + 1.0];
            next.extend(body(&c[0].cast(DType::I64), &c[1..]));
            next
        },
        &carries,
    )
    .map_err(|e| {
        Error {
            op: "fori_loop",
            ..e
        }
        .at(loc)
    })?;
    out.remove(0);
    Ok(out)
}

/// `body(i, carry)` for `i = lower, …, upper - 1` (an i64 scalar), threading the carries
/// (JAX's `lax.fori_loop`). The body returns carries with the shapes and dtypes of `init`.
///
/// With bounds known when called (Rust integers or concrete tensors) the trip count is
/// static: eager code runs a Rust loop, traced code records a `scan` over the indices, and
/// every mode of differentiation works. A traced bound makes it a `while_loop` (forward mode
/// only).
///
/// ```
/// use cotangent::{fori_loop, grad, Tensor};
/// // x ↦ x^(2^3) by repeated squaring; its derivative at 1.1 is 8 · 1.1^7.
/// let f = |x: &Tensor| fori_loop(0, 3, |_, c| vec![c[0].square()], &[x.clone()]).remove(0);
/// let d = grad(f)(&Tensor::scalar(1.1)).item::<f64>();
/// assert!((d - 8.0 * 1.1f64.powi(7)).abs() < 1e-12);
/// ```
#[track_caller]
pub fn fori_loop(
    lower: impl LoopBound,
    upper: impl LoopBound,
    body: impl Fn(&Tensor, &[Tensor]) -> Vec<Tensor>,
    init: &[Tensor],
) -> Vec<Tensor> {
    try_fori_loop(lower, upper, body, init).unwrap_or_else(|e| panic!("{e}"))
}
