//! `scan(f, init, xs)`: a loop over the leading axis of `xs` that threads a carry and stacks
//! per-step outputs (JAX's `lax.scan`). Eager code runs a Rust loop; traced code records one
//! `scan` primitive carrying `f` as a graph. Its VJP is a reverse scan over the carries of a
//! forward pass, stored stacked (memory linear in the number of steps) under
//! [`Remat::StoreAll`]; other policies run a checkpointing schedule instead (see `remat`).

use std::fmt;
use std::panic::Location;
use std::sync::Arc;

use smallvec::SmallVec;

use super::closure::{avals_of, staging, trace_closed};
use super::diff::{float_cotangents, jvp_call, vjp_call};
use super::remat::Remat;
use super::scan_remat::RematVjp;
use super::steps::{self, ScanSpec};
use super::{batched, stacked};
use super::{check_types, type_list};
use crate::core::multi::bind_multi;
use crate::core::{Error, Result, Tensor, Value};
use crate::ir::Graph;
use crate::jit::body::CompiledBody;
use crate::prim::{Aval, AvalRef, MultiPrimitive};
use crate::transform::function::dense;
use crate::transform::vmap::{batch_at, batch_graph, move_axis};

/// The `scan` primitive. Inputs: carries, then sequences (leading axis `length`), then
/// loop-invariant operands. The body takes carries ++ one step of each sequence ++ invariants
/// and returns new carries ++ per-step outputs. Outputs: the final carries, then the stacked
/// per-step outputs.
#[derive(Clone)]
pub(super) struct ScanPrim {
    pub(super) body: Arc<Graph>,
    pub(super) n_carry: usize,
    pub(super) n_xs: usize,
    pub(super) length: usize,
    /// Steps run from the last element of the sequences to the first.
    pub(super) reverse: bool,
    pub(super) carry_avals: Vec<Aval>,
    pub(super) y_avals: Vec<Aval>,
    /// How the VJP gets the carries of each step.
    pub(super) remat: Remat,
    /// The first `n_carry` per-step outputs are the carries each step starts from, stored for
    /// the VJP (a store-all scan recorded under reverse mode), which then reads them from the
    /// output instead of running the forward scan again.
    pub(super) starts_out: bool,
    /// The body compiled for its concrete runs (see `eval`).
    pub(super) compiled: CompiledBody,
}

impl fmt::Debug for ScanPrim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "scan{}", type_list(&self.carry_avals))
    }
}

impl ScanPrim {
    /// The types of the outputs: final carries, then stacked per-step outputs.
    pub(super) fn out_avals(&self) -> Vec<Aval> {
        let mut a = self.carry_avals.clone();
        a.extend(stacked(&self.y_avals, self.length));
        a
    }

    /// A scan over the closed graph `body` (its declared inputs are carries ++ one step of the
    /// sequences ++ `consts`), recorded on the operands; returns its outputs.
    pub(super) fn apply(
        body: (Graph, Vec<Tensor>),
        carries: &[Tensor],
        xs: &[Tensor],
        consts: &[Tensor],
        length: usize,
        reverse: bool,
        remat: Remat,
    ) -> Result<Vec<Tensor>> {
        let (graph, extras) = body;
        let (n, m) = (carries.len(), xs.len());
        let outs = graph.output_avals();
        let prim = ScanPrim {
            n_carry: n,
            n_xs: m,
            length,
            reverse,
            carry_avals: outs[..n].to_vec(),
            y_avals: outs[n..].to_vec(),
            body: Arc::new(graph),
            remat,
            starts_out: false,
            compiled: CompiledBody::default(),
        };
        let inputs: SmallVec<[Tensor; 2]> = carries
            .iter()
            .chain(xs)
            .chain(consts)
            .chain(&extras)
            .cloned()
            .collect();
        bind_multi(Arc::new(prim), inputs, Location::caller())
    }

    /// The reverse of one step as a closed graph. Inputs: the carries' cotangents, the
    /// invariants' accumulated cotangents, the step's carries and sequence elements, the step
    /// outputs' cotangents, the invariants. Outputs: the cotangents of the carries before the
    /// step, the invariants' cotangents with this step's added, the sequence elements'
    /// cotangents.
    pub(super) fn backward_step(&self) -> Result<(Graph, Vec<Tensor>)> {
        let (n, m, r) = (self.n_carry, self.n_xs, self.y_avals.len());
        let bi = self.body.inputs().to_vec();
        let q = bi.len() - n - m;
        let mut avals = self.carry_avals.clone();
        avals.extend_from_slice(&bi[n + m..]);
        avals.extend_from_slice(&bi[..n + m]);
        avals.extend_from_slice(&self.y_avals);
        avals.extend_from_slice(&bi[n + m..]);
        trace_closed(
            |a| {
                let (ct_c, ct_k) = (&a[..n], &a[n..n + q]);
                let step = &a[n + q..2 * n + q + m];
                let ct_y = &a[2 * n + q + m..2 * n + q + m + r];
                let k = &a[2 * n + q + m + r..];
                let primals: Vec<Tensor> = step.iter().chain(k).cloned().collect();
                let seeds: Vec<Tensor> = ct_c.iter().chain(ct_y).cloned().collect();
                let grads = vjp_call(&self.body, &primals, &seeds)?;
                let mut out = grads[..n].to_vec();
                for (acc, gk) in ct_k.iter().zip(&grads[n + m..]) {
                    out.push(if acc.dtype().is_float() {
                        acc.try_add(gk)?
                    } else {
                        acc.clone()
                    });
                }
                out.extend_from_slice(&grads[n..n + m]);
                Ok(out)
            },
            &avals,
        )
    }

    /// The store-all VJP: a forward scan that also stacks the carry each step starts from,
    /// then a reverse scan of [`Self::backward_step`] over them. Returns the cotangents of the
    /// initial carries, of the invariants, and of the sequences.
    pub(super) fn store_all_vjp(&self, p: &[Tensor], cts: &[Tensor]) -> Result<Vec<Tensor>> {
        let (n, m) = (self.n_carry, self.n_xs);
        let (carries, xs, consts) = (&p[..n], &p[n..n + m], &p[n + m..]);
        let bi = self.body.inputs().to_vec();
        let fwd = trace_closed(
            |a| {
                let outs = self.body.eval(a)?;
                let mut o = outs[..n].to_vec();
                o.extend_from_slice(&a[..n]);
                o.extend_from_slice(&outs[n..]);
                Ok(o)
            },
            &bi,
        )?;
        let all = Remat::StoreAll;
        let run = ScanPrim::apply(fwd, carries, xs, consts, self.length, self.reverse, all)?;
        self.reverse_scan(&run[n..2 * n], p, cts)
    }

    /// The store-all VJP of a scan that returned the carries each step starts from
    /// (`starts_out`): only the reverse scan runs. `outs` are the scan's outputs.
    fn stored_vjp(&self, p: &[Tensor], outs: &[Tensor], cts: &[Tensor]) -> Result<Vec<Tensor>> {
        let n = self.n_carry;
        // The per-step outputs' cotangents include the stored starts' own (zero in a first
        // derivative; a start is its step's input carry, so the step's VJP adds them there).
        self.reverse_scan(&outs[n..2 * n], p, cts)
    }

    /// The reverse scan of [`Self::backward_step`] over the carries each step started from
    /// (`starts`, stacked), the sequences and the outputs' cotangents: the cotangents of the
    /// initial carries, of the invariants, and of the sequences.
    fn reverse_scan(&self, starts: &[Tensor], p: &[Tensor], cts: &[Tensor]) -> Result<Vec<Tensor>> {
        let (n, m) = (self.n_carry, self.n_xs);
        let (xs, consts) = (&p[n..n + m], &p[n + m..]);
        let mut init: Vec<Tensor> = cts[..n].to_vec();
        for k in consts {
            init.push(k.zeros_like());
        }
        let seqs: Vec<Tensor> = starts.iter().chain(xs).chain(&cts[n..]).cloned().collect();
        let bwd = self.backward_step()?;
        let all = Remat::StoreAll;
        ScanPrim::apply(bwd, &init, &seqs, consts, self.length, !self.reverse, all)
    }
}

impl MultiPrimitive for ScanPrim {
    fn name(&self) -> &'static str {
        "scan"
    }

    fn params(&self) -> String {
        format!(
            "length={}{}, body: {} eqns",
            self.length,
            if self.reverse { ", reverse" } else { "" },
            self.body.eqns().len()
        )
    }

    fn abstract_eval(&self, inputs: &[AvalRef<'_>]) -> Result<Vec<Aval>> {
        let (n, m) = (self.n_carry, self.n_xs);
        let got: Vec<Aval> = inputs.iter().map(AvalRef::to_aval).collect();
        let mut want = self.body.inputs().to_vec();
        for a in &mut want[n..n + m] {
            *a = stacked(std::slice::from_ref(a), self.length).remove(0);
        }
        if got != want {
            return Err(Error::shape(
                "scan",
                format!(
                    "operands {} do not match the traced {}",
                    type_list(&got),
                    type_list(&want)
                ),
            ));
        }
        Ok(self.out_avals())
    }

    fn eval(&self, inputs: &[&Value]) -> Result<Vec<Value>> {
        let (n, m) = (self.n_carry, self.n_xs);
        if let Some(body) = self.compiled.program_for(&self.body, self.length) {
            let spec = ScanSpec {
                n_carry: n,
                n_xs: m,
                length: self.length,
                reverse: self.reverse,
                ys: &self.y_avals,
            };
            return steps::scan(&spec, body, inputs);
        }
        // Too short a loop to compile its body for: the body's graph, replayed.
        let mut args: Vec<Tensor> = inputs
            .iter()
            .map(|v| Tensor::from_value((*v).clone(), Location::caller()))
            .collect();
        let xs: Vec<Tensor> = args[n..n + m].to_vec();
        let mut ys: Vec<Vec<Tensor>> = vec![Vec::with_capacity(self.length); self.y_avals.len()];
        for s in 0..self.length {
            let t = if self.reverse { self.length - 1 - s } else { s };
            for (j, x) in xs.iter().enumerate() {
                args[n + j] = x.try_narrow(0, t, 1)?.try_squeeze(0)?;
            }
            let outs = self.body.eval(&args)?;
            let mut outs = outs.into_iter();
            for a in &mut args[..n] {
                *a = outs.next().expect("a carry per carry");
            }
            for (y, o) in ys.iter_mut().zip(outs) {
                y.push(o);
            }
        }
        let mut result: Vec<Tensor> = args[..n].to_vec();
        for (mut y, a) in ys.into_iter().zip(&self.y_avals) {
            if self.reverse {
                y.reverse();
            }
            result.push(if y.is_empty() {
                let s = stacked(std::slice::from_ref(a), 0).remove(0);
                Tensor::try_zeros(s.shape.dims(), s.dtype)?
            } else {
                Tensor::try_stack(&y, 0)?
            });
        }
        Ok(result.iter().map(|t| t.value().clone()).collect())
    }

    fn jvp(&self, p: &[Tensor], t: &[Option<Tensor>], _: &[Tensor]) -> Result<Vec<Option<Tensor>>> {
        let out_avals = self.out_avals();
        if !out_avals.iter().any(|a| a.dtype.is_float()) {
            return Ok(vec![None; out_avals.len()]);
        }
        let (n, m) = (self.n_carry, self.n_xs);
        let q = p.len() - n - m;
        let tans = dense(p, t);
        let pair = |r: std::ops::Range<usize>| -> Vec<Tensor> {
            p[r.clone()].iter().chain(&tans[r]).cloned().collect()
        };
        let (carries, xs, consts) = (pair(0..n), pair(n..n + m), pair(n + m..p.len()));
        let bi = self.body.inputs();
        let twice = |r: std::ops::Range<usize>| -> Vec<Aval> {
            bi[r.clone()].iter().chain(&bi[r]).cloned().collect()
        };
        let mut avals = twice(0..n);
        avals.extend(twice(n..n + m));
        avals.extend(twice(n + m..n + m + q));
        let body = trace_closed(
            |a| {
                let (c, tc) = (&a[..n], &a[n..2 * n]);
                let (x, tx) = (&a[2 * n..2 * n + m], &a[2 * n + m..2 * n + 2 * m]);
                let (k, tk) = (&a[2 * (n + m)..2 * (n + m) + q], &a[2 * (n + m) + q..]);
                let prim: Vec<Tensor> = c.iter().chain(x).chain(k).cloned().collect();
                let tan: Vec<Tensor> = tc.iter().chain(tx).chain(tk).cloned().collect();
                let (ys, ts) = jvp_call(&self.body, &prim, &tan)?;
                let mut out = ys[..n].to_vec();
                out.extend_from_slice(&ts[..n]);
                out.extend_from_slice(&ys[n..]);
                out.extend_from_slice(&ts[n..]);
                Ok(out)
            },
            &avals,
        )?;
        let outs = ScanPrim::apply(
            body,
            &carries,
            &xs,
            &consts,
            self.length,
            self.reverse,
            self.remat,
        )?;
        let r = self.y_avals.len();
        Ok(outs[n..2 * n]
            .iter()
            .chain(&outs[2 * n + r..])
            .zip(&out_avals)
            .map(|(t, a)| a.dtype.is_float().then(|| t.clone()))
            .collect())
    }

    fn vjp(&self, p: &[Tensor], outs: &[Tensor], cts: &[Tensor]) -> Result<Vec<Option<Tensor>>> {
        let (n, m) = (self.n_carry, self.n_xs);
        let q = p.len() - n - m;
        let back = match self.remat {
            Remat::StoreAll if self.starts_out => self.stored_vjp(p, outs, cts)?,
            Remat::StoreAll => self.store_all_vjp(p, cts)?,
            _ => RematVjp::apply(self, p, cts)?,
        };
        let grads = back[..n]
            .iter()
            .chain(&back[n + q..])
            .chain(&back[n..n + q]);
        Ok(float_cotangents(grads.cloned().collect(), p))
    }

    fn batch(
        &self,
        args: &[Tensor],
        dims: &[Option<usize>],
        size: usize,
    ) -> Result<Option<Vec<(Tensor, Option<usize>)>>> {
        let (n, m) = (self.n_carry, self.n_xs);
        let bi = self.body.inputs();
        let mut inner: Vec<Option<usize>> = Vec::with_capacity(args.len());
        let mut avals = Vec::with_capacity(args.len());
        let mut carries = Vec::with_capacity(n);
        for (x, &d) in args[..n].iter().zip(dims) {
            let c = batch_at(x, d, size, 0)?;
            avals.push(Aval::of(&c));
            carries.push(c);
            inner.push(Some(0));
        }
        let mut xs = Vec::with_capacity(m);
        for (j, (x, &d)) in args[n..n + m].iter().zip(&dims[n..n + m]).enumerate() {
            match d {
                Some(d) => {
                    xs.push(move_axis(x, d, 1)?);
                    avals.extend(batched(std::slice::from_ref(&bi[n + j]), size));
                    inner.push(Some(0));
                }
                None => {
                    xs.push(x.clone());
                    avals.push(bi[n + j].clone());
                    inner.push(None);
                }
            }
        }
        let consts = &args[n + m..];
        avals.extend(avals_of(consts));
        inner.extend_from_slice(&dims[n + m..]);
        let body = trace_closed(
            |a| {
                batch_graph(&self.body, a, &inner, size)?
                    .into_iter()
                    .map(|(y, d)| batch_at(&y, d, size, 0))
                    .collect()
            },
            &avals,
        )?;
        let outs = ScanPrim::apply(
            body,
            &carries,
            &xs,
            consts,
            self.length,
            self.reverse,
            self.remat,
        )?;
        let mut rows: Vec<(Tensor, Option<usize>)> =
            outs[..n].iter().map(|c| (c.clone(), Some(0))).collect();
        for y in &outs[n..] {
            rows.push((move_axis(y, 1, 0)?, Some(0)));
        }
        Ok(Some(rows))
    }
}

/// One step of each sequence.
pub(super) fn step(xs: &[Tensor], t: usize) -> Result<Vec<Tensor>> {
    xs.iter()
        .map(|x| x.try_narrow(0, t, 1)?.try_squeeze(0))
        .collect()
}

/// Like [`scan`], returning an error for no sequences, sequences of different lengths, or a
/// step function that changes the carry's shapes or dtypes.
///
/// ```
/// use cotangent::{try_scan, Tensor};
/// let xs = Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3]);
/// let (c, ys) = try_scan(|c, x| (vec![&c[0] + &x[0]], vec![&c[0] * 1.0]), &[Tensor::scalar(0.0)], &[xs]).unwrap();
/// assert_eq!(c[0].item::<f64>(), 6.0);
/// assert_eq!(ys[0].to_vec::<f64>(), vec![0.0, 1.0, 3.0]);
/// ```
#[track_caller]
#[allow(clippy::type_complexity)]
pub fn try_scan(
    f: impl Fn(&[Tensor], &[Tensor]) -> (Vec<Tensor>, Vec<Tensor>),
    init: &[Tensor],
    xs: &[Tensor],
) -> Result<(Vec<Tensor>, Vec<Tensor>)> {
    try_scan_with(Remat::StoreAll, f, init, xs)
}

/// [`scan`] whose reverse mode follows the checkpointing policy `remat`: with
/// [`Remat::Revolve`] a loop of T steps is differentiated holding at most `snapshots` carries,
/// recomputing the fewest steps possible (gradients bit-identical to store-all). With a policy
/// other than store-all the loop is always recorded as one primitive, in eager code too (so an
/// outer `grad` keeps one node for it, not one per step).
///
/// ```
/// use cotangent::{grad, scan_with, Remat, Tensor};
/// // x ↦ x^(2^20) by repeated squaring, differentiated with 3 snapshots.
/// let f = |x: &Tensor| {
///     let xs = Tensor::zeros(&[20], cotangent::DType::F64);
///     let (c, _) = scan_with(Remat::Revolve { snapshots: 3 }, |c, _| (vec![c[0].square()], vec![]), &[x.clone()], &[xs]);
///     c[0].clone()
/// };
/// let d = grad(f)(&Tensor::scalar(1.0 + 1e-7)).item::<f64>();
/// let want = 2f64.powi(20) * (1.0f64 + 1e-7).powi((1 << 20) - 1);
/// assert!((d - want).abs() < 1e-9 * want);
/// ```
#[track_caller]
#[allow(clippy::type_complexity)]
pub fn scan_with(
    remat: Remat,
    f: impl Fn(&[Tensor], &[Tensor]) -> (Vec<Tensor>, Vec<Tensor>),
    init: &[Tensor],
    xs: &[Tensor],
) -> (Vec<Tensor>, Vec<Tensor>) {
    try_scan_with(remat, f, init, xs).unwrap_or_else(|e| panic!("{e}"))
}

/// [`scan_with`], returning an error where [`try_scan`] does, or for an invalid policy.
///
/// ```
/// use cotangent::{try_scan_with, Remat, Tensor};
/// let xs = Tensor::from_vec(vec![1.0, 2.0], &[2]);
/// let r = try_scan_with(Remat::Every(0), |c, x| (vec![&c[0] + &x[0]], vec![]), &[Tensor::scalar(0.0)], &[xs]);
/// assert!(r.unwrap_err().to_string().contains("Every"));
/// ```
#[track_caller]
#[allow(clippy::type_complexity)]
pub fn try_scan_with(
    remat: Remat,
    f: impl Fn(&[Tensor], &[Tensor]) -> (Vec<Tensor>, Vec<Tensor>),
    init: &[Tensor],
    xs: &[Tensor],
) -> Result<(Vec<Tensor>, Vec<Tensor>)> {
    let loc = Location::caller();
    remat.check("scan").map_err(|e| e.at(loc))?;
    let err = |m: String| Error::shape("scan", m).at(loc);
    let Some(first) = xs.first() else {
        return Err(err(
            "no sequences to scan over (use fori_loop for a loop without xs)".into(),
        ));
    };
    if first.rank() == 0 {
        return Err(err("sequence 0 is a scalar; scan runs over axis 0".into()));
    }
    let length = first.dims()[0];
    for (j, x) in xs.iter().enumerate() {
        if x.rank() == 0 || x.dims()[0] != length {
            return Err(err(format!(
                "sequence {j} has shape {} but sequence 0 has length {length} along axis 0",
                x.shape()
            )));
        }
    }
    let c_avals = avals_of(init);
    let traced = staging()
        || length == 0
        || remat != Remat::StoreAll
        || init.iter().chain(xs).any(|x| x.value().is_abstract());
    if !traced {
        let mut c = init.to_vec();
        let mut ys: Vec<Vec<Tensor>> = Vec::new();
        for t in 0..length {
            let (next, y) = f(&c, &step(xs, t).map_err(|e| e.at(loc))?);
            check_types("scan", "the step returns carries", &c_avals, &next)
                .map_err(|e| e.at(loc))?;
            if t == 0 {
                ys = y.iter().map(|_| Vec::with_capacity(length)).collect();
            } else if y.len() != ys.len() {
                return Err(err(format!(
                    "step {t} returns {} outputs, step 0 returned {}",
                    y.len(),
                    ys.len()
                )));
            }
            for (acc, yi) in ys.iter_mut().zip(y) {
                acc.push(yi);
            }
            c = next;
        }
        let ys = ys
            .iter()
            .map(|y| Tensor::try_stack(y, 0))
            .collect::<Result<Vec<_>>>()
            .map_err(|e| e.at(loc))?;
        return Ok((c, ys));
    }
    let mut avals = c_avals.clone();
    for x in xs {
        avals.push(Aval::new(&x.dims()[1..], x.dtype()));
    }
    let n = init.len();
    // Under reverse mode a store-all scan also returns the carry each step starts from, so its
    // VJP runs only the reverse scan (jit(grad(scan)) has one forward scan, not two). Decided
    // before tracing the body, whose captured tensors a reverse level may track too: so
    // whenever one is active.
    let starts_out = remat == Remat::StoreAll && reverse_active();
    let body = trace_closed(
        |a| {
            let (mut next, y) = f(&a[..n], &a[n..]);
            check_types("scan", "the step returns carries", &c_avals, &next)?;
            if starts_out {
                next.extend_from_slice(&a[..n]);
            }
            next.extend(y);
            Ok(next)
        },
        &avals,
    )
    .map_err(|e| e.at(loc))?;
    let (graph, extras) = body;
    let outs = graph.output_avals();
    let prim = ScanPrim {
        n_carry: n,
        n_xs: xs.len(),
        length,
        reverse: false,
        carry_avals: c_avals,
        y_avals: outs[n..].to_vec(),
        body: Arc::new(graph),
        remat,
        starts_out,
        compiled: CompiledBody::default(),
    };
    let inputs: SmallVec<[Tensor; 2]> = init.iter().chain(xs).chain(&extras).cloned().collect();
    let mut outs = bind_multi(Arc::new(prim), inputs, loc)?;
    let mut ys = outs.split_off(n);
    if starts_out {
        ys.drain(..n);
    }
    Ok((outs, ys))
}

/// Whether a reverse-mode level (not only a trace or forward mode) is active.
fn reverse_active() -> bool {
    use crate::core::level::{active, forward, tracing};
    active() & !forward() & !tracing() != 0
}

/// Loop over the leading axis of the sequences `xs`, threading carries (JAX's `lax.scan`):
/// `f(carry, x_t) -> (new_carry, y_t)`; returns the final carries and each output stacked
/// along a new leading axis. The carries keep their shapes and dtypes.
///
/// Eager code runs a Rust loop. Traced code (inside `trace`, `jit`, `vmap`) records one `scan`
/// primitive, however many steps: its JVP is a scan of the JVP'd step, its VJP a reverse scan
/// over the stored carries, and under `vmap` it scans the batched step.
///
/// ```
/// use cotangent::{scan, Tensor};
/// // Running sum and the partial sums.
/// let xs = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[4]);
/// let (c, ys) = scan(|c, x| { let s = &c[0] + &x[0]; (vec![s.clone()], vec![s]) }, &[Tensor::scalar(0.0)], &[xs]);
/// assert_eq!(c[0].item::<f64>(), 10.0);
/// assert_eq!(ys[0].to_vec::<f64>(), vec![1.0, 3.0, 6.0, 10.0]);
/// ```
#[track_caller]
pub fn scan(
    f: impl Fn(&[Tensor], &[Tensor]) -> (Vec<Tensor>, Vec<Tensor>),
    init: &[Tensor],
    xs: &[Tensor],
) -> (Vec<Tensor>, Vec<Tensor>) {
    try_scan(f, init, xs).unwrap_or_else(|e| panic!("{e}"))
}
