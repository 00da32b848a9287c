//! Custom derivative rules: `custom_vjp` (a user function with a user-supplied reverse rule) and
//! `custom_jvp` (with a user-supplied forward rule). Each wraps the function in a primitive that
//! carries it, so every transformation sees one node with the user's rule. Rules written with
//! tensor ops are themselves differentiable, so Hessians work through them.
//!
//! A `custom_vjp` function in forward mode differentiates the original function (the custom
//! rule is for reverse mode). A `custom_jvp` function in reverse mode transposes the user's
//! linear JVP rule by reverse-differentiating it with respect to the tangents.
//!
//! Under `vmap` such a primitive batches into the same kind of primitive carrying the mapped
//! function (and mapped rule), so the user's rule still applies to the whole batch.

use std::fmt;
use std::panic::Location;
use std::sync::Arc;

use smallvec::SmallVec;

use rustc_hash::FxHashSet;

use crate::core::bind::bind_computed;
use crate::core::level::{active, Level};
use crate::core::tensor::NodeId;
use crate::core::{Error, Result, Tensor, Value};
use crate::prim::{Aval, AvalRef, Primitive};
use crate::transform::alias;
use crate::transform::graph::topo_order;
use crate::transform::vmap::{move_axis, try_vmap_call};
use crate::{jvp, no_grad, vjp};

/// A user function of several tensors.
pub(crate) type Fun = Arc<dyn Fn(&[Tensor]) -> Tensor + Send + Sync>;
pub(crate) type VjpRule = Arc<dyn Fn(&[Tensor], &Tensor, &Tensor) -> Vec<Tensor> + Send + Sync>;
type JvpRule = Arc<dyn Fn(&[Tensor], &[Tensor]) -> Tensor + Send + Sync>;

/// Evaluate `f` on `xs` for a primitive that carries it: only the output value is kept.
///
/// While `f` runs, its inputs are tracked on a fresh level so that a tensor tracked by an
/// enclosing transformation that `f` closes over (instead of taking it as an argument) is
/// caught: its derivative would otherwise be silently dropped.
pub(crate) fn eval_detached(f: &Fun, xs: &[Tensor]) -> Value {
    try_eval_checked("function primitive", f, xs).unwrap_or_else(|e| panic!("{e}"))
}

pub(crate) fn try_eval_checked(op: &'static str, f: &Fun, xs: &[Tensor]) -> Result<Value> {
    let outer = active();
    if outer == 0 || xs.iter().all(|x| x.levels() & outer == 0) {
        let plain: Vec<Tensor> = xs.iter().map(Tensor::detach).collect();
        return Ok(no_grad(|| f(&plain)).value().clone());
    }
    let level = Level::new()?;
    // Tensors made from here on were computed inside `f`; only older ones can be captured.
    let start = crate::core::level::epoch();
    let inputs: Vec<Tensor> = xs.iter().map(|x| alias(&x.detach(), level.bit)).collect();
    let y = f(&inputs);
    let stops: FxHashSet<NodeId> = inputs.iter().map(Tensor::id).collect();
    for node in topo_order(std::slice::from_ref(&y), level.bit, &stops) {
        // The inputs' own aliases are where the walk stops (under a trace they have an origin:
        // the `stop_gradient` of the traced input). A value `f` detached itself (softmax's
        // shifted max) is off this level too, but is newer than it: not captured.
        if stops.contains(&node.id()) {
            continue;
        }
        let Some(origin) = node.origin() else {
            continue;
        };
        if origin
            .inputs
            .iter()
            .any(|i| i.levels() & level.bit == 0 && i.levels() & outer != 0 && i.0.epoch < start)
        {
            return Err(Error::usage(
                op,
                format!(
                    "the function uses a tracked tensor it does not take as an argument (at `{}`, {}:{}); pass it as an argument so its derivative is not lost",
                    node.op_name().unwrap_or("?"),
                    node.location().file(),
                    node.location().line()
                ),
            ));
        }
    }
    Ok(y.value().clone())
}

/// Run `f` on `xs` and record the result as the output of `prim` (a primitive carrying `f`),
/// made at `location` (the user's line that made the custom function: a closure cannot take
/// its caller's).
pub(crate) fn apply_function(
    prim: Box<dyn Primitive>,
    f: &Fun,
    xs: &[Tensor],
    location: &'static Location<'static>,
) -> Tensor {
    let value = eval_detached(f, xs);
    bind_computed(
        prim,
        xs.iter().cloned().collect::<SmallVec<_>>(),
        value,
        location,
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// `f` mapped over its inputs' batch axes `dims`, its output batched at axis 0: the function a
/// batched function primitive carries.
pub(crate) fn vmapped(f: &Fun, dims: &[Option<usize>]) -> Fun {
    let (f, dims) = (f.clone(), dims.to_vec());
    Arc::new(move |xs: &[Tensor]| {
        try_vmap_call(|a| vec![f(a)], xs, &dims, &[0])
            .unwrap_or_else(|e| panic!("{e}"))
            .remove(0)
    })
}

/// Tangents with zeros in place of `None`.
pub(crate) fn dense(primals: &[Tensor], tangents: &[Option<Tensor>]) -> Vec<Tensor> {
    primals
        .iter()
        .zip(tangents)
        .map(|(p, t)| t.clone().unwrap_or_else(|| p.zeros_like()))
        .collect()
}

/// The output shape and dtype of a function primitive: its function run once on placeholder
/// inputs (shapes and dtypes only, nothing computed, nothing recorded).
pub(crate) fn abstract_output(f: &Fun, inputs: &[AvalRef<'_>]) -> Result<Aval> {
    // The placeholders belong to a trace level of their own (what is recorded on it is dropped
    // with them): an abstract value outside any live trace is a leaked tracer, refused by bind.
    let level = crate::core::level::Level::new_trace()?;
    let xs: Vec<Tensor> = inputs
        .iter()
        .map(|a| {
            Tensor::new_node(crate::core::tensor::Node {
                value: Value::abstract_of(a.shape.clone(), a.dtype),
                levels: level.bit,
                epoch: crate::core::level::epoch(),
                origin: None,
                location: std::panic::Location::caller(),
                tangents: None,
            })
        })
        .collect();
    let y = no_grad(|| f(&xs));
    Ok(Aval::of(&y))
}

/// Evaluate a function primitive on concrete input values.
pub(crate) fn run(f: &Fun, inputs: &[&Value]) -> Result<Value> {
    let xs: Vec<Tensor> = inputs
        .iter()
        .map(|&v| Tensor::from_value(v.clone(), std::panic::Location::caller()))
        .collect();
    Ok(eval_detached(f, &xs))
}

struct CustomVjp {
    f: Fun,
    rule: VjpRule,
}

impl fmt::Debug for CustomVjp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("custom_vjp")
    }
}

impl Primitive for CustomVjp {
    fn name(&self) -> &'static str {
        "custom_vjp"
    }
    fn abstract_eval(&self, inputs: &[AvalRef<'_>]) -> Result<Aval> {
        abstract_output(&self.f, inputs)
    }
    fn eval(&self, inputs: &[&Value]) -> Result<Value> {
        run(&self.f, inputs)
    }
    fn jvp(&self, p: &[Tensor], t: &[Option<Tensor>], _: &Tensor) -> Result<Option<Tensor>> {
        let f = self.f.clone();
        Ok(Some(jvp(|xs| f(xs), p, &dense(p, t)).1))
    }
    fn vjp(&self, p: &[Tensor], out: &Tensor, g: &Tensor) -> Result<Vec<Option<Tensor>>> {
        let cts = (self.rule)(p, out, g);
        if cts.len() != p.len() {
            return Err(Error::shape(
                "custom_vjp",
                format!(
                    "the rule returned {} cotangents for {} inputs",
                    cts.len(),
                    p.len()
                ),
            ));
        }
        Ok(cts.into_iter().map(Some).collect())
    }
    fn batch(
        &self,
        args: &[Tensor],
        dims: &[Option<usize>],
        _: usize,
    ) -> Result<Option<(Tensor, Option<usize>)>> {
        // The rule mapped too: primals at their batch axes, output and cotangent at 0; the
        // cotangent of an unbatched input is summed over the batch.
        let (rule, in_dims) = (self.rule.clone(), dims.to_vec());
        let batched_rule: VjpRule = Arc::new(move |p: &[Tensor], out: &Tensor, g: &Tensor| {
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
        });
        let f = vmapped(&self.f, dims);
        let prim = CustomVjp {
            f: f.clone(),
            rule: batched_rule,
        };
        Ok(Some((
            apply_function(Box::new(prim), &f, args, Location::caller()),
            Some(0),
        )))
    }
}

/// `f` with a user-supplied reverse-mode rule `rule(primals, output, cotangent) -> one
/// cotangent per input` (JAX's `custom_vjp`).
///
/// ```
/// use cotangent::{custom_vjp, grad, Tensor};
/// // Identity in the forward pass, gradient clipped to [-1, 1] in the backward pass.
/// let clip_grad = custom_vjp(
///     |xs: &[Tensor]| xs[0].clone(),
///     |_, _, g: &Tensor| vec![g.maximum(&Tensor::scalar(-1.0)).minimum(&Tensor::scalar(1.0))],
/// );
/// let f = |x: &Tensor| clip_grad(&[x * 10.0]);
/// assert_eq!(grad(f)(&Tensor::scalar(1.0)).item::<f64>(), 10.0); // 10 · clip(1) = 10
/// ```
#[track_caller]
pub fn custom_vjp<F, R>(f: F, rule: R) -> impl Fn(&[Tensor]) -> Tensor
where
    F: Fn(&[Tensor]) -> Tensor + Send + Sync + 'static,
    R: Fn(&[Tensor], &Tensor, &Tensor) -> Vec<Tensor> + Send + Sync + 'static,
{
    custom_vjp_at(Arc::new(f), Arc::new(rule), Location::caller())
}

/// [`custom_vjp`] reporting at `location` (the line that made it).
pub(crate) fn custom_vjp_at(
    f: Fun,
    rule: VjpRule,
    location: &'static Location<'static>,
) -> impl Fn(&[Tensor]) -> Tensor {
    move |xs: &[Tensor]| {
        let prim = CustomVjp {
            f: f.clone(),
            rule: rule.clone(),
        };
        apply_function(Box::new(prim), &f, xs, location)
    }
}

struct CustomJvp {
    f: Fun,
    rule: JvpRule,
}

impl fmt::Debug for CustomJvp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("custom_jvp")
    }
}

impl Primitive for CustomJvp {
    fn name(&self) -> &'static str {
        "custom_jvp"
    }
    fn abstract_eval(&self, inputs: &[AvalRef<'_>]) -> Result<Aval> {
        abstract_output(&self.f, inputs)
    }
    fn eval(&self, inputs: &[&Value]) -> Result<Value> {
        run(&self.f, inputs)
    }
    fn jvp(&self, p: &[Tensor], t: &[Option<Tensor>], _: &Tensor) -> Result<Option<Tensor>> {
        Ok(Some((self.rule)(p, &dense(p, t))))
    }
    fn vjp(&self, p: &[Tensor], _: &Tensor, g: &Tensor) -> Result<Vec<Option<Tensor>>> {
        // The rule is linear in the tangents: its transpose is its reverse derivative there.
        let zeros: Vec<Tensor> = p.iter().map(Tensor::zeros_like).collect();
        let rule = self.rule.clone();
        let primals = p.to_vec();
        let (_, pb) = vjp(move |ts| rule(&primals, ts), &zeros);
        Ok(pb.try_call(g)?.into_iter().map(Some).collect())
    }
    fn batch(
        &self,
        args: &[Tensor],
        dims: &[Option<usize>],
        _: usize,
    ) -> Result<Option<(Tensor, Option<usize>)>> {
        // The rule mapped too: each tangent has its primal's batch axis.
        let (rule, in_dims) = (self.rule.clone(), dims.to_vec());
        let batched_rule: JvpRule = Arc::new(move |p: &[Tensor], t: &[Tensor]| {
            let n = p.len();
            let xs: Vec<Tensor> = p.iter().chain(t).cloned().collect();
            let axes: Vec<Option<usize>> = in_dims.iter().chain(&in_dims).copied().collect();
            try_vmap_call(|a| vec![rule(&a[..n], &a[n..])], &xs, &axes, &[0])
                .unwrap_or_else(|e| panic!("{e}"))
                .remove(0)
        });
        let f = vmapped(&self.f, dims);
        let prim = CustomJvp {
            f: f.clone(),
            rule: batched_rule,
        };
        Ok(Some((
            apply_function(Box::new(prim), &f, args, Location::caller()),
            Some(0),
        )))
    }
}

/// `f` with a user-supplied forward-mode rule `rule(primals, tangents) -> output tangent`, linear
/// in the tangents (JAX's `custom_jvp`). Reverse mode transposes the rule automatically.
///
/// ```
/// use cotangent::{custom_jvp, grad, Tensor};
/// // log(1 + e^x) with the stable derivative sigmoid(x).
/// let softplus = custom_jvp(
///     |xs: &[Tensor]| xs[0].exp().log1p(),
///     |p: &[Tensor], t: &[Tensor]| &t[0] * &p[0].sigmoid(),
/// );
/// let g = grad(|x: &Tensor| softplus(&[x.clone()]))(&Tensor::scalar(0.0));
/// assert_eq!(g.item::<f64>(), 0.5);
/// ```
#[track_caller]
pub fn custom_jvp<F, R>(f: F, rule: R) -> impl Fn(&[Tensor]) -> Tensor
where
    F: Fn(&[Tensor]) -> Tensor + Send + Sync + 'static,
    R: Fn(&[Tensor], &[Tensor]) -> Tensor + Send + Sync + 'static,
{
    let f: Fun = Arc::new(f);
    let rule: JvpRule = Arc::new(rule);
    let location = Location::caller();
    move |xs: &[Tensor]| {
        let prim = CustomJvp {
            f: f.clone(),
            rule: rule.clone(),
        };
        apply_function(Box::new(prim), &f, xs, location)
    }
}
