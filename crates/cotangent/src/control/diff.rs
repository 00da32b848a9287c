//! Differentiating a body graph inside a traced rule: [`jvp_call`] and [`vjp_call`] run the
//! graph through the library's own forward and reverse modes, so a control-flow primitive's
//! rules are again control-flow primitives over the differentiated bodies. Integer and bool
//! values get zero tangents and cotangents of their own dtype.

use crate::core::{Result, Tensor};
use crate::ir::Graph;
use crate::prim::Aval;
use std::panic::Location;

use crate::transform::grad::vjp_n_at;
use crate::transform::jvp::jvp_n_at;

/// `g` on `primals` with every float input replaced by the next of `sub`.
fn eval_with(
    g: &Graph,
    primals: &[Tensor],
    float_in: &[usize],
    sub: &[Tensor],
) -> Result<Vec<Tensor>> {
    let mut full = primals.to_vec();
    for (j, &i) in float_in.iter().enumerate() {
        full[i] = sub[j].clone();
    }
    g.eval(&full)
}

/// `eval_with` inside a transformation's function (which returns tensors, not a result):
/// zeros of the outputs' types on error, the error kept in `err`.
fn eval_or_keep(
    g: &Graph,
    primals: &[Tensor],
    float_in: &[usize],
    sub: &[Tensor],
    err: &mut Option<crate::core::Error>,
) -> Vec<Tensor> {
    eval_with(g, primals, float_in, sub).unwrap_or_else(|e| {
        *err = Some(e);
        zeros(&g.output_avals()).unwrap_or_default()
    })
}

/// Tangents of a rule's outputs as `jvp` returns them: `None` (zero) for non-float ones.
pub(crate) fn float_tangents(ts: Vec<Tensor>) -> Vec<Option<Tensor>> {
    ts.into_iter()
        .map(|t| t.dtype().is_float().then_some(t))
        .collect()
}

/// Cotangents of `primals` as a rule returns them: `None` for the non-float ones.
pub(crate) fn float_cotangents(cts: Vec<Tensor>, primals: &[Tensor]) -> Vec<Option<Tensor>> {
    cts.into_iter()
        .zip(primals)
        .map(|(c, x)| x.dtype().is_float().then_some(c))
        .collect()
}

fn float_positions(ts: &[Tensor]) -> Vec<usize> {
    (0..ts.len())
        .filter(|&i| ts[i].dtype().is_float())
        .collect()
}

fn zeros(avals: &[Aval]) -> Result<Vec<Tensor>> {
    avals
        .iter()
        .map(|a| Tensor::try_zeros(a.shape.dims(), a.dtype))
        .collect()
}

/// The outputs of `g` at `primals` and their tangents for input `tangents` (one per input,
/// same types; ignored for non-float inputs). Non-float outputs get zero tangents.
pub(crate) fn jvp_call(
    g: &Graph,
    primals: &[Tensor],
    tangents: &[Tensor],
) -> Result<(Vec<Tensor>, Vec<Tensor>)> {
    let out_avals = g.output_avals();
    let float_in = float_positions(primals);
    if float_in.is_empty() || !out_avals.iter().any(|a| a.dtype.is_float()) {
        return Ok((g.eval(primals)?, zeros(&out_avals)?));
    }
    let sub: Vec<Tensor> = float_in.iter().map(|&i| primals[i].clone()).collect();
    let subt: Vec<Tensor> = float_in.iter().map(|&i| tangents[i].clone()).collect();
    let mut err = None;
    let (ys, ts) = jvp_n_at(
        |xs| eval_or_keep(g, primals, &float_in, xs, &mut err),
        &sub,
        &subt,
        Location::caller(),
    )?;
    if let Some(e) = err {
        return Err(e);
    }
    let ts = ts
        .into_iter()
        .zip(&out_avals)
        .map(|(t, a)| {
            if a.dtype.is_float() {
                Ok(t)
            } else {
                Tensor::try_zeros(a.shape.dims(), a.dtype)
            }
        })
        .collect::<Result<_>>()?;
    Ok((ys, ts))
}

/// The cotangents of every input of `g` at `primals` (zeros for non-float inputs) given one
/// cotangent per output (ignored for non-float outputs).
pub(crate) fn vjp_call(g: &Graph, primals: &[Tensor], cts: &[Tensor]) -> Result<Vec<Tensor>> {
    Ok(value_and_vjp_call(g, primals, cts)?.1)
}

/// The outputs of `g` at `primals` and [`vjp_call`]'s cotangents, from one forward pass.
pub(crate) fn value_and_vjp_call(
    g: &Graph,
    primals: &[Tensor],
    cts: &[Tensor],
) -> Result<(Vec<Tensor>, Vec<Tensor>)> {
    let out_avals = g.output_avals();
    let in_avals: Vec<Aval> = primals.iter().map(Aval::of).collect();
    let float_in = float_positions(primals);
    if float_in.is_empty() || !out_avals.iter().any(|a| a.dtype.is_float()) {
        return Ok((g.eval(primals)?, zeros(&in_avals)?));
    }
    let sub: Vec<Tensor> = float_in.iter().map(|&i| primals[i].clone()).collect();
    let mut err = None;
    let (ys, pb) = vjp_n_at(
        |xs| eval_or_keep(g, primals, &float_in, xs, &mut err),
        &sub,
        Location::caller(),
    )?;
    if let Some(e) = err {
        return Err(e);
    }
    let seeds = cts
        .iter()
        .zip(&out_avals)
        .map(|(c, a)| {
            if a.dtype.is_float() {
                Ok(c.clone())
            } else {
                Tensor::try_zeros(a.shape.dims(), a.dtype)
            }
        })
        .collect::<Result<Vec<_>>>()?;
    // Zeros only for the non-float inputs: a checkpointed block's weights are all float, and
    // zeros made for them too would be live beside their cotangents.
    let mut got = pb.try_call_n(&seeds)?.into_iter();
    let out = in_avals
        .iter()
        .map(|a| {
            if a.dtype.is_float() {
                Ok(got.next().expect("one cotangent per float input"))
            } else {
                Tensor::try_zeros(a.shape.dims(), a.dtype)
            }
        })
        .collect::<Result<_>>()?;
    Ok((ys, out))
}
