//! `cond(pred, true_fn, false_fn, operands)`: one of two functions, chosen by a scalar
//! predicate. A concrete predicate just calls the chosen function; a traced one records a
//! `cond` primitive carrying both branches as graphs.

use std::fmt;
use std::panic::Location;
use std::sync::Arc;

use smallvec::SmallVec;

use super::closure::{avals_of, run, trace_closed, unify};
use super::diff::{float_cotangents, float_tangents};
use super::diff::{jvp_call, vjp_call};
use super::{batched, bool_scalar, check_types, type_list};
use crate::core::multi::bind_multi;
use crate::core::{DType, Error, Result, Tensor, Value};
use crate::ir::Graph;
use crate::prim::{Aval, AvalRef, MultiPrimitive};
use crate::transform::function::dense;
use crate::transform::vmap::{batch_at, batch_graph};

/// The `cond` primitive. Inputs: a rank-0 bool predicate, then the operands both branch graphs
/// take. Outputs: the chosen branch's outputs.
struct CondPrim {
    /// The graph for a true predicate, then the one for false.
    branches: [Arc<Graph>; 2],
    /// The types of the branches' outputs.
    out_avals: Vec<Aval>,
}

impl fmt::Debug for CondPrim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cond{}", type_list(&self.out_avals))
    }
}

impl CondPrim {
    fn new(branches: Vec<Graph>, out_avals: Vec<Aval>) -> CondPrim {
        let mut it = branches.into_iter().map(Arc::new);
        let t = it.next().expect("two branches");
        let f = it.next().expect("two branches");
        CondPrim {
            branches: [t, f],
            out_avals,
        }
    }

    /// Record a new `cond` over `parts` (closed graphs whose first `shared` inputs are the
    /// operands) on `pred` and `operands`, returning its outputs.
    fn apply(
        pred: &Tensor,
        operands: &[Tensor],
        parts: Vec<(Graph, Vec<Tensor>)>,
        out_avals: Vec<Aval>,
    ) -> Result<Vec<Tensor>> {
        let (graphs, extras) = unify(parts, operands.len());
        let prim = CondPrim::new(graphs, out_avals);
        let mut inputs: SmallVec<[Tensor; 2]> = SmallVec::new();
        inputs.push(pred.clone());
        inputs.extend(operands.iter().cloned());
        inputs.extend(extras);
        bind_multi(Arc::new(prim), inputs, Location::caller())
    }
}

impl MultiPrimitive for CondPrim {
    fn name(&self) -> &'static str {
        "cond"
    }

    fn params(&self) -> String {
        format!(
            "true: {} eqns, false: {} eqns",
            self.branches[0].eqns().len(),
            self.branches[1].eqns().len()
        )
    }

    fn abstract_eval(&self, inputs: &[AvalRef<'_>]) -> Result<Vec<Aval>> {
        let p = inputs[0];
        if p.dtype != DType::Bool || p.shape.rank() != 0 {
            return Err(Error::dtype(
                "cond",
                format!(
                    "the predicate must be a bool scalar, got {}{}",
                    p.dtype, p.shape
                ),
            ));
        }
        let want = &self.branches[0].inputs();
        let got: Vec<Aval> = inputs[1..].iter().map(AvalRef::to_aval).collect();
        if got != *want {
            return Err(Error::shape(
                "cond",
                format!(
                    "operands {} do not match the traced {}",
                    type_list(&got),
                    type_list(want)
                ),
            ));
        }
        Ok(self.out_avals.clone())
    }

    fn eval(&self, inputs: &[&Value]) -> Result<Vec<Value>> {
        let p = Tensor::from_value(inputs[0].clone(), Location::caller()).try_item::<bool>()?;
        let g = &self.branches[usize::from(!p)];
        let outs = run(g, &inputs[1..])?;
        Ok(outs.iter().map(|t| t.value().clone()).collect())
    }

    fn jvp(&self, p: &[Tensor], t: &[Option<Tensor>], _: &[Tensor]) -> Result<Vec<Option<Tensor>>> {
        if !self.out_avals.iter().any(|a| a.dtype.is_float()) {
            return Ok(vec![None; self.out_avals.len()]);
        }
        let ops = &p[1..];
        let n = ops.len();
        let mut args = ops.to_vec();
        args.extend(dense(ops, &t[1..]));
        let avals = avals_of(&args);
        let parts = self
            .branches
            .iter()
            .map(|g| trace_closed(|a| Ok(jvp_call(g, &a[..n], &a[n..])?.1), &avals))
            .collect::<Result<Vec<_>>>()?;
        let ts = CondPrim::apply(&p[0], &args, parts, self.out_avals.clone())?;
        Ok(float_tangents(ts))
    }

    fn vjp(&self, p: &[Tensor], _: &[Tensor], g: &[Tensor]) -> Result<Vec<Option<Tensor>>> {
        let ops = &p[1..];
        let n = ops.len();
        let mut args = ops.to_vec();
        args.extend_from_slice(g);
        let avals = avals_of(&args);
        let parts = self
            .branches
            .iter()
            .map(|g| trace_closed(|a| vjp_call(g, &a[..n], &a[n..]), &avals))
            .collect::<Result<Vec<_>>>()?;
        let cts = CondPrim::apply(&p[0], &args, parts, avals_of(ops))?;
        let mut out = vec![None];
        out.extend(float_cotangents(cts, ops));
        Ok(out)
    }

    fn batch(
        &self,
        args: &[Tensor],
        dims: &[Option<usize>],
        size: usize,
    ) -> Result<Option<Vec<(Tensor, Option<usize>)>>> {
        let (ops, ds) = (&args[1..], &dims[1..]);
        let batch_branch = |g: &Graph, xs: &[Tensor]| -> Result<Vec<Tensor>> {
            batch_graph(g, xs, ds, size)?
                .into_iter()
                .map(|(y, yd)| batch_at(&y, yd, size, 0))
                .collect()
        };
        if let Some(pd) = dims[0] {
            // A predicate per example: both branches for every example, then a choice per row.
            let pred = batch_at(&args[0], Some(pd), size, 0)?;
            let t = batch_branch(&self.branches[0], ops)?;
            let f = batch_branch(&self.branches[1], ops)?;
            return t
                .iter()
                .zip(&f)
                .map(|(t, f)| {
                    let mut dims = vec![1; t.rank()];
                    dims[0] = size;
                    Ok((pred.try_reshape(&dims)?.try_select(t, f)?, Some(0)))
                })
                .collect::<Result<_>>()
                .map(Some);
        }
        // One predicate for the batch: a cond over the batched branches.
        let avals = avals_of(ops);
        let parts = self
            .branches
            .iter()
            .map(|g| trace_closed(|a| batch_branch(g, a), &avals))
            .collect::<Result<Vec<_>>>()?;
        let outs = CondPrim::apply(&args[0], ops, parts, batched(&self.out_avals, size))?;
        Ok(Some(outs.into_iter().map(|o| (o, Some(0))).collect()))
    }
}

/// Like [`cond`], returning an error for a predicate that is not a scalar or branches whose
/// results differ in number, shape or dtype.
///
/// ```
/// use cotangent::{try_cond, Tensor};
/// let x = Tensor::scalar(2.0);
/// let y = try_cond(&x.gt(&Tensor::scalar(0.0)), |a| vec![a[0].sqrt()], |a| vec![&a[0] * -1.0], &[x.clone()]);
/// assert_eq!(y.unwrap()[0].item::<f64>(), 2f64.sqrt());
/// ```
#[track_caller]
pub fn try_cond(
    pred: &Tensor,
    true_fn: impl FnOnce(&[Tensor]) -> Vec<Tensor>,
    false_fn: impl FnOnce(&[Tensor]) -> Vec<Tensor>,
    operands: &[Tensor],
) -> Result<Vec<Tensor>> {
    let loc = Location::caller();
    let pred = bool_scalar("cond", pred).map_err(|e| e.at(loc))?;
    if !pred.value().is_abstract() {
        return Ok(if pred.try_item::<bool>()? {
            true_fn(operands)
        } else {
            false_fn(operands)
        });
    }
    let avals = avals_of(operands);
    let t = trace_closed(|a| Ok(true_fn(a)), &avals).map_err(|e| e.at(loc))?;
    let out_avals = t.0.output_avals();
    let f = trace_closed(
        |a| {
            let ys = false_fn(a);
            check_types("cond", "the false branch returns", &out_avals, &ys)?;
            Ok(ys)
        },
        &avals,
    )
    .map_err(|e| e.at(loc))?;
    let (graphs, extras) = unify(vec![t, f], operands.len());
    let prim = CondPrim::new(graphs, out_avals);
    let mut inputs: SmallVec<[Tensor; 2]> = SmallVec::new();
    inputs.push(pred);
    inputs.extend(operands.iter().cloned());
    inputs.extend(extras);
    bind_multi(Arc::new(prim), inputs, loc)
}

/// `true_fn(operands)` if `pred` holds, else `false_fn(operands)` (JAX's `lax.cond`). The
/// predicate is a one-element tensor (bool, or a number: nonzero is true); both branches must
/// return the same number of tensors with the same shapes and dtypes.
///
/// In eager code only the chosen branch runs. When the predicate is traced (inside `trace`,
/// `jit` or `vmap`), both branches are traced and one `cond` primitive is recorded; under
/// `vmap` with a per-example predicate both branches run and each example takes its own.
///
/// ```
/// use cotangent::{cond, ir::trace, prim::Aval, DType, Tensor};
/// let f = |x: &Tensor| {
///     let pos = x.gt(&Tensor::scalar(0.0));
///     cond(&pos, |a| vec![a[0].sqrt()], |a| vec![a[0].square()], &[x.clone()]).remove(0)
/// };
/// assert_eq!(f(&Tensor::scalar(-3.0)).item::<f64>(), 9.0); // eager: plain branch call
/// let g = trace(f, &Aval::new(&[], DType::F64)).unwrap(); // traced: one `cond` equation
/// assert!(g.to_string().contains("cond"));
/// assert_eq!(g.eval(&[Tensor::scalar(4.0)]).unwrap()[0].item::<f64>(), 2.0);
/// ```
#[track_caller]
pub fn cond(
    pred: &Tensor,
    true_fn: impl FnOnce(&[Tensor]) -> Vec<Tensor>,
    false_fn: impl FnOnce(&[Tensor]) -> Vec<Tensor>,
    operands: &[Tensor],
) -> Vec<Tensor> {
    try_cond(pred, true_fn, false_fn, operands).unwrap_or_else(|e| panic!("{e}"))
}
