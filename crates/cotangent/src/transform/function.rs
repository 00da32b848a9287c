//! The primitive behind `custom_vjp`, `custom_jvp` and `checkpoint`: the user's function read
//! into a [`Graph`] once per call (recorded on values eagerly, traced under a trace), with the
//! rule (if any) that takes the place of the graph's own derivative. Its shape rule and kernel are the graph's; forward and reverse mode
//! differentiate the graph (see `control::diff`) unless a user rule replaces one of them. Under
//! `vmap` it batches into the same primitive over the batched graph, with the rule mapped too,
//! so the user's rule (or the recomputation) still applies to the whole batch.
//!
//! Tensors the function closes over become extra inputs of the graph (closure conversion, as for
//! control flow): a `checkpoint` then differentiates them like its arguments. A user rule only
//! knows the arguments, so a custom function that closes over a tracked tensor is an error
//! instead of a silently lost derivative.

use std::fmt;
use std::panic::Location;
use std::sync::Arc;

use crate::control::closure::{avals_of, lift, run, staging, trace_closed};
use crate::control::diff::{float_cotangents, jvp_call, vjp_call};
use crate::core::bind::{bind_at, bind_computed};
use crate::core::level::{active, Level};
use crate::core::{Error, Result, Tensor, Value};
use crate::ir::{from_tensors, Graph, Var};
use crate::prim::batching::batch_at;
use crate::prim::{Aval, AvalRef, Primitive};
use crate::transform::alias;
use crate::transform::vmap::{batch_graph, move_axis, try_vmap_call};
use crate::{no_grad, vjp};

/// A user function of several tensors.
pub(crate) type Fun = Arc<dyn Fn(&[Tensor]) -> Tensor + Send + Sync>;
/// A reverse-mode rule: `(primals, output, cotangent) -> one cotangent per primal`.
pub(crate) type VjpRule = Arc<dyn Fn(&[Tensor], &Tensor, &Tensor) -> Vec<Tensor> + Send + Sync>;
/// A forward-mode rule, linear in the tangents: `(primals, tangents) -> output tangent`.
pub(crate) type JvpRule = Arc<dyn Fn(&[Tensor], &[Tensor]) -> Tensor + Send + Sync>;

/// What takes the place of the traced body's own derivative.
#[derive(Clone)]
pub(crate) enum Rule {
    /// Nothing (`checkpoint`): both modes differentiate the body, recomputing it.
    Recompute,
    /// A reverse-mode rule; forward mode differentiates the body.
    Vjp(VjpRule),
    /// A forward-mode rule; reverse mode transposes it.
    Jvp(JvpRule),
}

impl Rule {
    fn name(&self) -> &'static str {
        match self {
            Rule::Recompute => "checkpoint",
            Rule::Vjp(_) => "custom_vjp",
            Rule::Jvp(_) => "custom_jvp",
        }
    }

    /// The rule of a batch whose primals have batch axes `dims` (and whose output, tangents of
    /// the output and cotangents are batched at axis 0).
    fn batched(&self, dims: &[Option<usize>]) -> Rule {
        let in_dims = dims.to_vec();
        match self {
            Rule::Recompute => Rule::Recompute,
            Rule::Vjp(rule) => {
                // Primals at their batch axes, output and cotangent at 0; the cotangent of an
                // unbatched primal is summed over the batch.
                let rule = rule.clone();
                Rule::Vjp(Arc::new(move |p: &[Tensor], out: &Tensor, g: &Tensor| {
                    let n = p.len();
                    let mut xs = p.to_vec();
                    xs.extend([out.clone(), g.clone()]);
                    let mut axes = in_dims.clone();
                    axes.extend([Some(0), Some(0)]);
                    let cts = try_vmap_call(|a| rule(&a[..n], &a[n], &a[n + 1]), &xs, &axes, &[0])
                        .unwrap_or_else(|e| panic!("{e}"));
                    cts.into_iter()
                        .zip(&in_dims)
                        .map(|(c, d)| match d {
                            Some(d) => move_axis(&c, 0, *d),
                            None => c.try_sum_axes(&[0], false),
                        })
                        .collect::<Result<_>>()
                        .unwrap_or_else(|e| panic!("{e}"))
                }))
            }
            Rule::Jvp(rule) => {
                // Each tangent has its primal's batch axis.
                let rule = rule.clone();
                Rule::Jvp(Arc::new(move |p: &[Tensor], t: &[Tensor]| {
                    let n = p.len();
                    let xs: Vec<Tensor> = p.iter().chain(t).cloned().collect();
                    let axes: Vec<Option<usize>> =
                        in_dims.iter().chain(&in_dims).copied().collect();
                    try_vmap_call(|a| vec![rule(&a[..n], &a[n..])], &xs, &axes, &[0])
                        .unwrap_or_else(|e| panic!("{e}"))
                        .remove(0)
                }))
            }
        }
    }
}

/// A traced function with its derivative rule.
struct Function {
    body: Arc<Graph>,
    rule: Rule,
}

impl fmt::Debug for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.rule.name())
    }
}

impl Primitive for Function {
    fn name(&self) -> &'static str {
        self.rule.name()
    }

    fn abstract_eval(&self, inputs: &[AvalRef<'_>]) -> Result<Aval> {
        let traced = self.body.inputs();
        if inputs.len() != traced.len() {
            return Err(Error::usage(
                self.name(),
                format!(
                    "the function was traced with {} inputs, got {}",
                    traced.len(),
                    inputs.len()
                ),
            ));
        }
        for (i, (a, t)) in inputs.iter().zip(traced).enumerate() {
            if a.shape != &t.shape || a.dtype != t.dtype {
                return Err(Error::shape(
                    self.name(),
                    format!("input {i} was traced as {t}, got {}", a.to_aval()),
                ));
            }
        }
        Ok(self.body.output_avals().remove(0))
    }

    fn eval(&self, inputs: &[&Value]) -> Result<Value> {
        Ok(run(&self.body, inputs)?.remove(0).value().clone())
    }

    fn jvp(&self, p: &[Tensor], t: &[Option<Tensor>], _: &Tensor) -> Result<Option<Tensor>> {
        let t = dense(p, t);
        Ok(Some(match &self.rule {
            Rule::Jvp(rule) => rule(p, &t),
            Rule::Recompute | Rule::Vjp(_) => jvp_call(&self.body, p, &t)?.1.remove(0),
        }))
    }

    fn vjp(&self, p: &[Tensor], out: &Tensor, g: &Tensor) -> Result<Vec<Option<Tensor>>> {
        let cts = match &self.rule {
            Rule::Recompute => vjp_call(&self.body, p, std::slice::from_ref(g))?,
            Rule::Vjp(rule) => rule(p, out, g),
            Rule::Jvp(rule) => {
                // The rule is linear in the tangents: its transpose is its reverse derivative
                // there.
                let zeros: Vec<Tensor> = p.iter().map(Tensor::zeros_like).collect();
                let (rule, primals) = (rule.clone(), p.to_vec());
                let (_, pb) = vjp(move |ts| rule(&primals, ts), &zeros);
                pb.try_call(g)?
            }
        };
        if cts.len() != p.len() {
            return Err(Error::shape(
                self.name(),
                format!(
                    "the rule returned {} cotangents for {} inputs",
                    cts.len(),
                    p.len()
                ),
            ));
        }
        Ok(float_cotangents(cts, p))
    }

    fn batch(
        &self,
        args: &[Tensor],
        dims: &[Option<usize>],
        size: usize,
    ) -> Result<Option<(Tensor, Option<usize>)>> {
        // Still one primitive: the body replayed on the batch, traced once more, its output
        // batched at axis 0.
        let (body, extras) = trace_closed(
            |xs| {
                batch_graph(&self.body, xs, dims, size)?
                    .into_iter()
                    .map(|(y, d)| batch_at(&y, d, size, 0))
                    .collect()
            },
            &avals_of(args),
        )?;
        let out = bind_body(
            body,
            extras,
            self.rule.batched(dims),
            args,
            None,
            Location::caller(),
        )?;
        Ok(Some((out, Some(0))))
    }
}

/// Tangents with zeros in place of `None`.
pub(crate) fn dense(primals: &[Tensor], tangents: &[Option<Tensor>]) -> Vec<Tensor> {
    primals
        .iter()
        .zip(tangents)
        .map(|(p, t)| t.clone().unwrap_or_else(|| p.zeros_like()))
        .collect()
}

/// `f` applied to `xs` as one primitive with `rule`, recorded at `location` (the user's line
/// that made the custom function: a closure cannot take its caller's).
///
/// Under a trace (`jit`, `vmap`, `trace`) the function is traced on placeholders. Eagerly it
/// runs once on the values at a recording level of its own, and the graph is read back from
/// what it recorded, as PyTorch's checkpoint runs its function: a function that reads values
/// (`item`, a branch on a value) works there, and its value is not computed twice.
pub(crate) fn apply(
    rule: Rule,
    f: &Fun,
    xs: &[Tensor],
    location: &'static Location<'static>,
) -> Result<Tensor> {
    if active() == 0 {
        // Nothing records (inside `no_grad`): the function itself is all there is to run.
        return Ok(no_grad(|| f(xs)));
    }
    if staging() {
        let (body, extras) =
            trace_closed(|a| Ok(vec![f(a)]), &avals_of(xs)).map_err(|e| e.at(location))?;
        return bind_body(body, extras, rule, xs, None, location);
    }
    let level = Level::new().map_err(|e| e.at(location))?;
    let inputs: Vec<Tensor> = xs.iter().map(|x| alias(&x.detach(), level.bit)).collect();
    let y = f(&inputs);
    let graph =
        from_tensors(&inputs, std::slice::from_ref(&y), level.bit).map_err(|e| e.at(location))?;
    let (body, extras) = lift(graph);
    bind_body(body, extras, rule, xs, Some(y.value().clone()), location)
}

/// Bind the primitive over `body` to `args` and the tensors its closure conversion lifted,
/// with its output `value` when it is already computed.
fn bind_body(
    body: Graph,
    extras: Vec<Tensor>,
    rule: Rule,
    args: &[Tensor],
    value: Option<Value>,
    location: &'static Location<'static>,
) -> Result<Tensor> {
    if !extras.is_empty() && !matches!(rule, Rule::Recompute) {
        let first = Var::Input(args.len() as u32);
        let user = body.eqns().iter().find(|e| e.inputs.contains(&first));
        let (op, at) = user.map_or(("?", location), |e| (e.prim.name(), e.location));
        return Err(Error::usage(
            rule.name(),
            format!(
                "the function uses a tracked tensor it does not take as an argument (at `{op}`, {}:{}); pass it as an argument so its derivative is not lost",
                at.file(),
                at.line()
            ),
        )
        .at(location));
    }
    let inputs = args.iter().chain(&extras).cloned().collect();
    let prim = Function {
        body: Arc::new(body),
        rule,
    };
    match value {
        Some(v) => bind_computed(prim, inputs, v, location),
        None => bind_at(prim, inputs, location),
    }
}
