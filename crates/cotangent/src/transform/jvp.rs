//! Forward mode: `jvp` pushes tangents from inputs to outputs through each primitive's JVP rule
//! as the function runs, recording nothing (see `core::tangent`); `linearize` records the
//! function once and then applies its JVP to many tangents by a walk over that record.

use std::panic::Location;

use crate::core::error::AtCaller;

use crate::core::level::Level;
use crate::core::tangent::take_failure;
use crate::core::{Error, Result, Tensor};
use crate::transform::forward::forward;
use crate::transform::stats::count_forward;
use crate::transform::{alias, alias_with_tangent, exit};

fn check_tangents(primals: &[Tensor], tangents: &[Tensor]) -> Result<()> {
    if primals.len() != tangents.len() {
        return Err(Error::shape(
            "jvp",
            format!("{} primals but {} tangents", primals.len(), tangents.len()),
        ));
    }
    for (i, (p, t)) in primals.iter().zip(tangents).enumerate() {
        if p.shape() != t.shape() || p.dtype() != t.dtype() {
            return Err(Error::shape(
                "jvp",
                format!(
                    "tangent {i} is {}{} but its primal is {}{}",
                    t.dtype(),
                    t.shape(),
                    p.dtype(),
                    p.shape()
                ),
            ));
        }
    }
    Ok(())
}

/// `(f(x), J_f(x)·t)`: the value and the Jacobian-vector product, by forward mode.
///
/// ```
/// use cotangent::{jvp, Tensor};
/// let (y, t) = jvp(|xs: &[Tensor]| xs[0].sin(), &[Tensor::scalar(0.0)], &[Tensor::scalar(2.0)]);
/// assert_eq!((y.item::<f64>(), t.item::<f64>()), (0.0, 2.0));
/// ```
#[track_caller]
pub fn jvp(
    f: impl FnOnce(&[Tensor]) -> Tensor,
    primals: &[Tensor],
    tangents: &[Tensor],
) -> (Tensor, Tensor) {
    try_jvp(f, primals, tangents).unwrap_or_else(|e| panic!("{e}"))
}

/// Like [`jvp`], returning an error for tangents that do not match the primals.
///
/// Tangents are pushed forward as `f` runs (each intermediate carries its own), so nothing is
/// recorded: the memory of a `jvp` is that of running `f`.
#[track_caller]
pub fn try_jvp(
    f: impl FnOnce(&[Tensor]) -> Tensor,
    primals: &[Tensor],
    tangents: &[Tensor],
) -> Result<(Tensor, Tensor)> {
    let (mut ys, mut ts) = jvp_n_at(|xs| vec![f(xs)], primals, tangents, Location::caller())?;
    Ok((
        ys.pop().expect("one output"),
        ts.pop().expect("one tangent"),
    ))
}

/// [`try_jvp`] for a function of several outputs, errors attributed to `loc`.
pub(crate) fn jvp_n_at(
    f: impl FnOnce(&[Tensor]) -> Vec<Tensor>,
    primals: &[Tensor],
    tangents: &[Tensor],
    loc: &'static Location<'static>,
) -> Result<(Vec<Tensor>, Vec<Tensor>)> {
    crate::transform::grad::check_float_inputs("jvp", primals).map_err(|e| e.at(loc))?;
    check_tangents(primals, tangents).map_err(|e| e.at(loc))?;
    count_forward();
    let level = Level::new_forward().map_err(|e| e.at(loc))?;
    let bit = level.bit;
    let _ = take_failure(bit); // left by a jvp that unwound at this bit
    let inputs: Vec<Tensor> = primals
        .iter()
        .zip(tangents)
        .map(|(x, t)| alias_with_tangent(x, bit, Some(t.clone())))
        .collect();
    let outputs = f(&inputs);
    if let Some(e) = take_failure(bit) {
        return Err(e);
    }
    let ts = outputs
        .iter()
        .map(|y| {
            let t = y.tangent(bit).cloned().unwrap_or_else(|| y.zeros_like());
            exit(t, bit)
        })
        .collect();
    let ys = outputs.into_iter().map(|y| exit(y, bit)).collect();
    Ok((ys, ts))
}

/// A function linearized at a point by [`linearize`]: applies its Jacobian to tangents.
pub struct Linearized {
    level: Level,
    inputs: Vec<Tensor>,
    outputs: Vec<Tensor>,
}

impl Linearized {
    /// `J·t` for one tangent per input.
    #[track_caller]
    pub fn try_call(&self, tangents: &[Tensor]) -> Result<Tensor> {
        let mut ts = self.try_call_n(tangents).at_caller()?;
        Ok(ts.swap_remove(0))
    }

    /// `J·t` for each output, for a linearization of several outputs (from
    /// `tree::linearize`).
    #[track_caller]
    pub fn try_call_n(&self, tangents: &[Tensor]) -> Result<Vec<Tensor>> {
        check_tangents(&self.inputs, tangents).at_caller()?;
        let bit = self.level.bit;
        let ts = forward(&self.outputs, &self.inputs, tangents, bit)?;
        Ok(ts
            .into_iter()
            .zip(&self.outputs)
            .map(|(t, y)| exit(t.unwrap_or_else(|| y.zeros_like()), bit))
            .collect())
    }

    /// Like [`Linearized::try_call`], panicking on mismatched tangents.
    #[track_caller]
    pub fn call(&self, tangents: &[Tensor]) -> Tensor {
        self.try_call(tangents).unwrap_or_else(|e| panic!("{e}"))
    }
}

/// Run `f` at `primals` once and return its value and its linearization (JAX's `linearize`).
///
/// ```
/// use cotangent::{linearize, Tensor};
/// let (y, lin) = linearize(|xs: &[Tensor]| xs[0].exp(), &[Tensor::scalar(0.0)]);
/// assert_eq!(lin.call(&[Tensor::scalar(3.0)]).item::<f64>(), 3.0);
/// assert_eq!(lin.call(&[Tensor::scalar(1.0)]).item::<f64>(), 1.0);
/// ```
#[track_caller]
pub fn linearize(f: impl FnOnce(&[Tensor]) -> Tensor, primals: &[Tensor]) -> (Tensor, Linearized) {
    try_linearize(f, primals).unwrap_or_else(|e| panic!("{e}"))
}

/// Like [`linearize`], returning an error when no recording level is free.
#[track_caller]
pub fn try_linearize(
    f: impl FnOnce(&[Tensor]) -> Tensor,
    primals: &[Tensor],
) -> Result<(Tensor, Linearized)> {
    let (mut ys, lin) = linearize_n_at(|xs| vec![f(xs)], primals, Location::caller())?;
    Ok((ys.pop().expect("one output"), lin))
}

/// [`try_linearize`] for a function of several outputs, errors attributed to `loc`.
pub(crate) fn linearize_n_at(
    f: impl FnOnce(&[Tensor]) -> Vec<Tensor>,
    primals: &[Tensor],
    loc: &'static Location<'static>,
) -> Result<(Vec<Tensor>, Linearized)> {
    crate::transform::grad::check_float_inputs("jvp", primals).map_err(|e| e.at(loc))?;
    let level = Level::new().map_err(|e| e.at(loc))?;
    let inputs: Vec<Tensor> = primals.iter().map(|x| alias(x, level.bit)).collect();
    let outputs = f(&inputs);
    let ys = outputs
        .iter()
        .map(|y| {
            if y.levels() & !level.bit != 0 {
                y.clone()
            } else {
                y.detach()
            }
        })
        .collect();
    Ok((
        ys,
        Linearized {
            level,
            inputs,
            outputs,
        },
    ))
}
