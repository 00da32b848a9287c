//! `while_loop(cond_fn, body_fn, init)`: repeat `body_fn` while `cond_fn` holds. Eager code
//! runs a Rust loop; traced code records a `while_loop` primitive carrying both functions as
//! graphs. Forward mode loops over (primal, tangent) carries; reverse mode is refused for a
//! traced trip count (use `scan` or `fori_loop`).

use std::fmt;
use std::panic::Location;
use std::sync::Arc;

use smallvec::SmallVec;

use super::closure::{avals_of, staging, trace_closed, unify};
use super::diff::{float_tangents, jvp_call};
use super::steps;
use super::{bool_scalar, check_types, type_list};
use crate::core::multi::bind_multi;
use crate::core::{DType, Error, ErrorKind, Result, Tensor, Value};
use crate::ir::Graph;
use crate::jit::body::CompiledBody;
use crate::prim::{Aval, AvalRef, MultiPrimitive};
use crate::transform::function::dense;
use crate::transform::vmap::{batch_at, batch_graph};

/// The `while_loop` primitive. Inputs: the initial carries, then loop-invariant operands. Both
/// graphs take carries ++ invariants; `cond` returns a bool scalar, `body` the next carries.
/// Outputs: the final carries.
struct WhilePrim {
    cond: Arc<Graph>,
    body: Arc<Graph>,
    carry_avals: Vec<Aval>,
    /// `cond` and `body` compiled for the kernel's concrete runs.
    compiled: [CompiledBody; 2],
}

impl fmt::Debug for WhilePrim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "while_loop{}", type_list(&self.carry_avals))
    }
}

impl WhilePrim {
    /// Record a loop over `cond` and `body` (closed graphs whose first `shared` inputs are
    /// `carries ++ consts`), returning the final carries.
    fn apply(
        carries: &[Tensor],
        consts: &[Tensor],
        cond: (Graph, Vec<Tensor>),
        body: (Graph, Vec<Tensor>),
    ) -> Result<Vec<Tensor>> {
        let (mut graphs, extras) = unify(vec![cond, body], carries.len() + consts.len());
        let body = Arc::new(graphs.pop().expect("body"));
        let cond = Arc::new(graphs.pop().expect("cond"));
        let prim = WhilePrim {
            cond,
            body,
            carry_avals: avals_of(carries),
            compiled: Default::default(),
        };
        let inputs: SmallVec<[Tensor; 2]> = carries
            .iter()
            .chain(consts)
            .chain(&extras)
            .cloned()
            .collect();
        bind_multi(Arc::new(prim), inputs, Location::caller())
    }
}

impl MultiPrimitive for WhilePrim {
    fn name(&self) -> &'static str {
        "while_loop"
    }

    fn params(&self) -> String {
        format!(
            "cond: {} eqns, body: {} eqns",
            self.cond.eqns().len(),
            self.body.eqns().len()
        )
    }

    fn abstract_eval(&self, inputs: &[AvalRef<'_>]) -> Result<Vec<Aval>> {
        let got: Vec<Aval> = inputs.iter().map(AvalRef::to_aval).collect();
        if got != self.body.inputs() {
            return Err(Error::shape(
                "while_loop",
                format!(
                    "operands {} do not match the traced {}",
                    type_list(&got),
                    type_list(self.body.inputs())
                ),
            ));
        }
        Ok(self.carry_avals.clone())
    }

    fn eval(&self, inputs: &[&Value]) -> Result<Vec<Value>> {
        // The trip count is not known: both graphs are compiled on the first run.
        let [cond, body] = &self.compiled;
        let (cond, body) = (cond.program(&self.cond), body.program(&self.body));
        steps::while_loop(self.carry_avals.len(), cond, body, inputs)
    }

    fn jvp(&self, p: &[Tensor], t: &[Option<Tensor>], _: &[Tensor]) -> Result<Vec<Option<Tensor>>> {
        if !self.carry_avals.iter().any(|a| a.dtype.is_float()) {
            return Ok(vec![None; self.carry_avals.len()]);
        }
        let n = self.carry_avals.len();
        let m = p.len() - n;
        let tans = dense(p, t);
        // New carries: (c, tc); new invariants: (k, tk).
        let carries: Vec<Tensor> = p[..n].iter().chain(&tans[..n]).cloned().collect();
        let consts: Vec<Tensor> = p[n..].iter().chain(&tans[n..]).cloned().collect();
        let mut avals = avals_of(&carries);
        avals.extend(avals_of(&consts));
        let split = |a: &[Tensor]| -> (Vec<Tensor>, Vec<Tensor>) {
            let (c, tc, k, tk) = (&a[..n], &a[n..2 * n], &a[2 * n..2 * n + m], &a[2 * n + m..]);
            (
                c.iter().chain(k).cloned().collect(),
                tc.iter().chain(tk).cloned().collect(),
            )
        };
        let cond = trace_closed(|a| self.cond.eval(&split(a).0), &avals)?;
        let body = trace_closed(
            |a| {
                let (prim, tan) = split(a);
                let (mut ys, ts) = jvp_call(&self.body, &prim, &tan)?;
                ys.extend(ts);
                Ok(ys)
            },
            &avals,
        )?;
        let mut outs = WhilePrim::apply(&carries, &consts, cond, body)?;
        Ok(float_tangents(outs.split_off(n)))
    }

    fn vjp(&self, _: &[Tensor], _: &[Tensor], _: &[Tensor]) -> Result<Vec<Option<Tensor>>> {
        Err(Error::new(
            ErrorKind::NotDifferentiable,
            "while_loop",
            "reverse-mode differentiation of a while_loop with a traced trip count is not supported (the number of steps to store is unknown); use fori_loop with a static trip count or scan, or forward mode (jvp, jacfwd)",
        ))
    }

    fn batch(
        &self,
        args: &[Tensor],
        dims: &[Option<usize>],
        size: usize,
    ) -> Result<Option<Vec<(Tensor, Option<usize>)>>> {
        let n = self.carry_avals.len();
        // Every carry gets the batch axis first (examples leave the loop at different steps).
        let carries = args[..n]
            .iter()
            .zip(dims)
            .map(|(x, &d)| batch_at(x, d, size, 0))
            .collect::<Result<Vec<_>>>()?;
        let consts = &args[n..];
        let mut inner: Vec<Option<usize>> = vec![Some(0); n];
        inner.extend_from_slice(&dims[n..]);
        let mut avals = avals_of(&carries);
        avals.extend(avals_of(consts));
        let pred = |a: &[Tensor]| -> Result<Tensor> {
            let (p, d) = batch_graph(&self.cond, a, &inner, size)?.remove(0);
            batch_at(&p, d, size, 0)
        };
        let cond = trace_closed(
            |a| {
                let running = pred(a)?.try_cast(DType::F64)?.try_sum()?;
                Ok(vec![running.try_gt(&Tensor::scalar(0.0))?])
            },
            &avals,
        )?;
        let body = trace_closed(
            |a| {
                let p = pred(a)?;
                batch_graph(&self.body, a, &inner, size)?
                    .into_iter()
                    .zip(a)
                    .map(|((y, d), old)| {
                        let y = batch_at(&y, d, size, 0)?;
                        let mut mask = vec![1; y.rank()];
                        mask[0] = size;
                        p.try_reshape(&mask)?.try_select(&y, old)
                    })
                    .collect()
            },
            &avals,
        )?;
        let outs = WhilePrim::apply(&carries, consts, cond, body)?;
        Ok(Some(outs.into_iter().map(|o| (o, Some(0))).collect()))
    }
}

/// Like [`while_loop`], returning an error for a predicate that is not a scalar or a body that
/// changes the number, shapes or dtypes of the carries.
///
/// ```
/// use cotangent::{try_while_loop, Tensor};
/// let r = try_while_loop(|c| c[0].lt(&Tensor::scalar(5.0)), |c| vec![&c[0] + 2.0], &[Tensor::scalar(0.0)]);
/// assert_eq!(r.unwrap()[0].item::<f64>(), 6.0);
/// ```
#[track_caller]
pub fn try_while_loop(
    cond_fn: impl Fn(&[Tensor]) -> Tensor,
    body_fn: impl Fn(&[Tensor]) -> Vec<Tensor>,
    init: &[Tensor],
) -> Result<Vec<Tensor>> {
    let loc = Location::caller();
    let avals = avals_of(init);
    let traced = staging() || init.iter().any(|x| x.value().is_abstract());
    if !traced {
        let mut c = init.to_vec();
        while bool_scalar("while_loop", &cond_fn(&c))
            .and_then(|p| p.try_item::<bool>())
            .map_err(|e| e.at(loc))?
        {
            let next = body_fn(&c);
            check_types("while_loop", "the body returns", &avals, &next).map_err(|e| e.at(loc))?;
            c = next;
        }
        return Ok(c);
    }
    let cond = trace_closed(
        |a| Ok(vec![bool_scalar("while_loop", &cond_fn(a))?]),
        &avals,
    )
    .map_err(|e| e.at(loc))?;
    let body = trace_closed(
        |a| {
            let next = body_fn(a);
            check_types("while_loop", "the body returns", &avals, &next)?;
            Ok(next)
        },
        &avals,
    )
    .map_err(|e| e.at(loc))?;
    let (mut graphs, extras) = unify(vec![cond, body], init.len());
    let prim = WhilePrim {
        body: Arc::new(graphs.pop().expect("body")),
        cond: Arc::new(graphs.pop().expect("cond")),
        carry_avals: avals,
        compiled: Default::default(),
    };
    let inputs: SmallVec<[Tensor; 2]> = init.iter().chain(&extras).cloned().collect();
    bind_multi(Arc::new(prim), inputs, loc)
}

/// Run `body_fn` on the carries while `cond_fn` holds, and return the final carries (JAX's
/// `lax.while_loop`). `cond_fn` returns a one-element tensor (bool, or nonzero is true);
/// `body_fn` returns carries with the same shapes and dtypes as `init`.
///
/// Eager code runs a Rust loop. Traced code (inside `trace`, `jit`, `vmap`) records one
/// `while_loop` primitive; under `vmap` it runs until every example is done, freezing the
/// finished ones. Forward mode works in both; reverse mode through a traced loop is an error
/// naming `fori_loop` and `scan`.
///
/// ```
/// use cotangent::{while_loop, Tensor};
/// // Newton's method for √2: iterate until the step is tiny.
/// let r = while_loop(
///     |c| c[1].abs().gt(&Tensor::scalar(1e-12)),
///     |c| {
///         let step = (c[0].square() - 2.0) / (&c[0] * 2.0);
///         vec![&c[0] - &step, step]
///     },
///     &[Tensor::scalar(1.0), Tensor::scalar(1.0)],
/// );
/// assert!((r[0].item::<f64>() - 2f64.sqrt()).abs() < 1e-15);
/// ```
#[track_caller]
pub fn while_loop(
    cond_fn: impl Fn(&[Tensor]) -> Tensor,
    body_fn: impl Fn(&[Tensor]) -> Vec<Tensor>,
    init: &[Tensor],
) -> Vec<Tensor> {
    try_while_loop(cond_fn, body_fn, init).unwrap_or_else(|e| panic!("{e}"))
}
