//! The VJP of a `scan` under a checkpointing policy other than store-all: one primitive whose
//! kernel runs the policy's schedule (`remat::execute`) step by step, recomputing carries
//! from snapshots instead of stacking them all. Its own derivatives and batching rule are those
//! of the store-all VJP, traced (so second order and `vmap` are exact, without the memory
//! bound).

use std::fmt;
use std::panic::Location;
use std::sync::Arc;

use smallvec::SmallVec;

use super::closure::{avals_of, trace_closed};
use super::diff::{float_cotangents, float_tangents, jvp_call, vjp_call};
use super::remat::{execute, Stepper};
use super::scan::{step, ScanPrim};
use super::stacked;
use crate::core::multi::bind_multi;
use crate::core::{Result, Tensor, Value};
use crate::ir::Graph;
use crate::prim::{Aval, AvalRef, MultiPrimitive};
use crate::transform::function::dense;
use crate::transform::vmap::{batch_at, batch_graph};

/// Inputs: the scan's operands (carries, sequences, invariants), then the cotangents of its
/// outputs (final carries, stacked step outputs). Outputs: the cotangents of the
/// initial carries, of the invariants, and of the sequences.
pub(super) struct RematVjp {
    scan: ScanPrim,
    bwd: Arc<Graph>,
    out_avals: Vec<Aval>,
}

impl fmt::Debug for RematVjp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "scan_vjp[{:?}]", self.scan.remat)
    }
}

impl RematVjp {
    /// The VJP of `scan` at operands `p` for output cotangents `cts`, recorded as one
    /// primitive. Falls back to the store-all VJP if the backward step closes over traced
    /// values (it then cannot be a self-contained kernel).
    pub(super) fn apply(scan: &ScanPrim, p: &[Tensor], cts: &[Tensor]) -> Result<Vec<Tensor>> {
        let (bwd, extras) = scan.backward_step()?;
        if !extras.is_empty() {
            return scan.store_all_vjp(p, cts);
        }
        let m = scan.n_xs;
        let outs = bwd.output_avals();
        let mut out_avals = outs[..outs.len() - m].to_vec();
        out_avals.extend(stacked(&outs[outs.len() - m..], scan.length));
        let prim = RematVjp {
            scan: scan.clone(),
            bwd: Arc::new(bwd),
            out_avals: out_avals.clone(),
        };
        debug_assert_eq!(out_avals.len(), p.len());
        let inputs: SmallVec<[Tensor; 2]> = p.iter().chain(cts).cloned().collect();
        bind_multi(Arc::new(prim), inputs, Location::caller())
    }

    /// The store-all VJP as a graph over this primitive's inputs (returning its outputs): what
    /// its derivatives and batching rule transform.
    fn store_all_graph(&self, inputs: &[Aval]) -> Result<Graph> {
        let k = self.scan.body.inputs().len();
        let (g, extras) = trace_closed(|a| self.scan.store_all_vjp(&a[..k], &a[k..]), inputs)?;
        debug_assert!(extras.is_empty(), "the scan's graphs are closed");
        Ok(g)
    }
}

/// One scan as seen by the schedule: steps in the order the scan runs them, the cotangents
/// accumulated by the backward steps.
struct Steps<'a> {
    scan: &'a ScanPrim,
    bwd: &'a Graph,
    xs: &'a [Tensor],
    consts: &'a [Tensor],
    ct_ys: &'a [Tensor],
    /// The cotangents of the carries (of the step about to be reversed) and of the invariants.
    ct: Vec<Tensor>,
    /// Each sequence element's cotangent, by time index.
    ct_xs: Vec<Vec<Tensor>>,
}

impl Steps<'_> {
    /// The time index of the scan's `s`-th step.
    fn time(&self, s: usize) -> usize {
        if self.scan.reverse {
            self.scan.length - 1 - s
        } else {
            s
        }
    }
}

impl Stepper for Steps<'_> {
    type State = Vec<Tensor>;

    fn advance(&mut self, c: &Vec<Tensor>, s: usize) -> Result<Vec<Tensor>> {
        let t = self.time(s);
        let mut args = c.clone();
        args.extend(step(self.xs, t)?);
        args.extend_from_slice(self.consts);
        let mut outs = self.scan.body.eval(&args)?;
        outs.truncate(self.scan.n_carry);
        Ok(outs)
    }

    fn backward(&mut self, c: &Vec<Tensor>, s: usize) -> Result<()> {
        let t = self.time(s);
        let mut args = std::mem::take(&mut self.ct);
        args.extend_from_slice(c);
        args.extend(step(self.xs, t)?);
        args.extend(step(self.ct_ys, t)?);
        args.extend_from_slice(self.consts);
        let mut outs = self.bwd.eval(&args)?;
        let keep = outs.len() - self.scan.n_xs;
        self.ct_xs[t] = outs.split_off(keep);
        self.ct = outs;
        Ok(())
    }
}

impl MultiPrimitive for RematVjp {
    fn name(&self) -> &'static str {
        "scan_vjp"
    }

    fn params(&self) -> String {
        format!("length={}, {:?}", self.scan.length, self.scan.remat)
    }

    fn abstract_eval(&self, _: &[AvalRef<'_>]) -> Result<Vec<Aval>> {
        Ok(self.out_avals.clone())
    }

    fn eval(&self, inputs: &[&Value]) -> Result<Vec<Value>> {
        let scan = &self.scan;
        let (n, m) = (scan.n_carry, scan.n_xs);
        let k = scan.body.inputs().len();
        let args: Vec<Tensor> = inputs
            .iter()
            .map(|v| Tensor::from_value((*v).clone(), Location::caller()))
            .collect();
        let (carries, xs, consts) = (&args[..n], &args[n..n + m], &args[n + m..k]);
        let (ct_c, ct_ys) = (&args[k..k + n], &args[k + n..]);
        let mut ct = ct_c.to_vec();
        ct.extend(consts.iter().map(Tensor::zeros_like));
        let mut steps = Steps {
            scan,
            bwd: &self.bwd,
            xs,
            consts,
            ct_ys,
            ct,
            ct_xs: vec![Vec::new(); scan.length],
        };
        execute(&mut steps, carries.to_vec(), scan.length, scan.remat)?;
        let mut result = steps.ct;
        let seq_avals = &self.out_avals[result.len()..];
        for (j, a) in seq_avals.iter().enumerate() {
            result.push(if scan.length == 0 {
                Tensor::try_zeros(a.shape.dims(), a.dtype)?
            } else {
                let parts: Vec<Tensor> = steps.ct_xs.iter().map(|c| c[j].clone()).collect();
                Tensor::try_stack(&parts, 0)?
            });
        }
        Ok(result.iter().map(|t| t.value().clone()).collect())
    }

    fn jvp(&self, p: &[Tensor], t: &[Option<Tensor>], _: &[Tensor]) -> Result<Vec<Option<Tensor>>> {
        let g = self.store_all_graph(&avals_of(p))?;
        let (_, ts) = jvp_call(&g, p, &dense(p, t))?;
        Ok(float_tangents(ts))
    }

    fn vjp(&self, p: &[Tensor], _: &[Tensor], cts: &[Tensor]) -> Result<Vec<Option<Tensor>>> {
        let g = self.store_all_graph(&avals_of(p))?;
        let grads = vjp_call(&g, p, cts)?;
        Ok(float_cotangents(grads, p))
    }

    fn batch(
        &self,
        args: &[Tensor],
        dims: &[Option<usize>],
        size: usize,
    ) -> Result<Option<Vec<(Tensor, Option<usize>)>>> {
        let inner: Vec<Aval> = args
            .iter()
            .zip(dims)
            .map(|(x, d)| {
                let mut dims = x.dims().to_vec();
                if let Some(d) = d {
                    dims.remove(*d);
                }
                Aval::new(&dims, x.dtype())
            })
            .collect();
        let g = self.store_all_graph(&inner)?;
        let rows = batch_graph(&g, args, dims, size)?
            .into_iter()
            .map(|(y, d)| Ok((batch_at(&y, d, size, 0)?, Some(0))))
            .collect::<Result<Vec<_>>>()?;
        Ok(Some(rows))
    }
}
