//! A jitted function called on inputs that reverse mode tracks (`grad(jit(f))`, `backward`, a
//! gradient tape): the call runs compiled and is recorded as one `jit` node, and its gradient
//! runs compiled too, without computing the forward pass again.
//!
//! The first such call splits the function's reverse mode once, by partial evaluation: the
//! joint program "outputs and input cotangents of `f` at `x` given output cotangents `ȳ`" is
//! traced, and its equations divided into those that do not depend on `ȳ` (the forward
//! program: `x → y, residuals`) and those that do (the backward program: `x, residuals, ȳ →
//! x̄`). Both are compiled. A call runs the forward program and keeps the residuals in the
//! recorded node (the policy is to store them, as PyTorch's saved tensors); its VJP runs the
//! backward program on them.
//!
//! Forward mode (`jvp` of a jitted function) runs a compiled JVP program (`x, ẋ → ẏ`, traced
//! and compiled at the first such call). When a transformation tracks a rule's own operands (a
//! second derivative, `create_graph`), stored residuals and programs would be constants to it,
//! so the rule differentiates the function's graph through the library's ops instead (correct
//! at every order, not compiled).

use std::fmt;
use std::panic::Location;
use std::sync::Arc;

use super::compiled::Compiled;
use super::passes::push;
use super::run::execute;
use crate::control::diff::{
    float_cotangents, float_tangents, jvp_call, value_and_vjp_call, vjp_call,
};
use crate::core::level::active;
use crate::core::multi::bind_multi_computed;
use crate::core::{Error, ErrorKind, Result, Tensor, Value};
use crate::ir::{try_trace_fallible, try_trace_n, Graph, Var};
use crate::prim::{Aval, AvalRef, MultiPrimitive};
use crate::transform::function::dense;

/// A function's reverse mode split into a compiled forward and backward program.
#[derive(Debug)]
pub(crate) struct Split {
    /// The function's (optimized) graph, which the rules differentiate at higher orders.
    graph: Arc<Graph>,
    /// `x → y (the outputs), residuals`.
    fwd: Compiled,
    /// `x, residuals, ȳ → x̄` (one cotangent per input of the function).
    bwd: Compiled,
    /// The function's outputs.
    out_avals: Vec<Aval>,
    /// `x, ẋ → ẏ`, compiled at the first forward-mode call (`None` if tracing it
    /// failed: forward mode then replays the graph).
    jvp: std::sync::OnceLock<Option<Compiled>>,
}

/// Trace the joint program of `g` and divide it (see the module docs).
pub(crate) fn split(g: &Graph) -> Result<Split> {
    let n = g.inputs.len();
    let out_avals = g.output_avals();
    let mut avals = g.inputs.clone();
    avals.extend(out_avals.iter().cloned());
    let joint = try_trace_fallible(
        |a| {
            let (mut ys, xbar) = value_and_vjp_call(g, &a[..n], &a[n..])?;
            ys.extend(xbar);
            Ok(ys)
        },
        &avals,
    )?;
    let n_out = out_avals.len();
    // An equation is unknown (backward) when it reads a cotangent or an unknown value.
    let ne = joint.eqns.len();
    let mut unknown = vec![false; ne];
    let is_unknown = |unknown: &[bool], v: Var| match v {
        Var::Input(i) => i as usize >= n,
        Var::Const(_) => false,
        Var::Eqn(k) => unknown[k as usize],
    };
    for (k, e) in joint.eqns.iter().enumerate() {
        unknown[k] = e.inputs.iter().any(|&v| is_unknown(&unknown, v));
    }
    if joint.outputs[..n_out]
        .iter()
        .any(|&v| is_unknown(&unknown, v))
    {
        return Err(Error::new(
            ErrorKind::Tracing,
            "jit",
            "an output of the forward pass depends on the cotangents",
        ));
    }
    // Residuals: known equation results the backward program reads (or returns).
    let mut residuals: Vec<u32> = Vec::new();
    let mut res_index = vec![u32::MAX; ne];
    let mut note = |v: Var, residuals: &mut Vec<u32>| {
        if let Var::Eqn(k) = v {
            if !unknown[k as usize] && res_index[k as usize] == u32::MAX {
                res_index[k as usize] = residuals.len() as u32;
                residuals.push(k);
            }
        }
    };
    for (k, e) in joint.eqns.iter().enumerate() {
        if unknown[k] {
            for &v in &e.inputs {
                note(v, &mut residuals);
            }
        }
    }
    for &v in &joint.outputs[n_out..] {
        note(v, &mut residuals);
    }
    let r = residuals.len() as u32;

    // The forward program: the known equations, renumbered.
    let mut fwd = Graph {
        inputs: g.inputs.clone(),
        consts: joint.consts.clone(),
        eqns: Vec::new(),
        outputs: Vec::new(),
    };
    let mut fmap = vec![Var::Eqn(u32::MAX); ne];
    for (k, e) in joint.eqns.iter().enumerate() {
        if !unknown[k] {
            let inputs = e.inputs.iter().map(|&v| match v {
                Var::Eqn(j) => fmap[j as usize],
                v => v,
            });
            fmap[k] = push(&mut fwd, e, inputs.collect());
        }
    }
    let fwd_var = |v: Var| match v {
        Var::Eqn(j) => fmap[j as usize],
        v => v,
    };
    fwd.outputs = joint.outputs[..n_out].iter().map(|&v| fwd_var(v)).collect();
    fwd.outputs
        .extend(residuals.iter().map(|&k| fwd_var(Var::Eqn(k))));

    // The backward program: inputs x, residuals, ȳ.
    let mut bwd = Graph {
        inputs: g.inputs.clone(),
        consts: joint.consts.clone(),
        eqns: Vec::new(),
        outputs: Vec::new(),
    };
    bwd.inputs.extend(
        residuals
            .iter()
            .map(|&k| joint.eqns[k as usize].aval.clone()),
    );
    bwd.inputs.extend(out_avals.iter().cloned());
    let mut bmap = vec![Var::Eqn(u32::MAX); ne];
    let bwd_var = |bmap: &[Var], v: Var| match v {
        Var::Input(i) if (i as usize) < n => Var::Input(i),
        Var::Input(i) => Var::Input(i + r),
        Var::Const(c) => Var::Const(c),
        Var::Eqn(j) if unknown[j as usize] => bmap[j as usize],
        Var::Eqn(j) => Var::Input(n as u32 + res_index[j as usize]),
    };
    for (k, e) in joint.eqns.iter().enumerate() {
        if unknown[k] {
            let inputs = e.inputs.iter().map(|&v| bwd_var(&bmap, v)).collect();
            bmap[k] = push(&mut bwd, e, inputs);
        }
    }
    bwd.outputs = joint.outputs[n_out..]
        .iter()
        .map(|&v| bwd_var(&bmap, v))
        .collect();
    Ok(Split {
        graph: Arc::new(g.clone()),
        fwd: Compiled::new(fwd),
        bwd: Compiled::new(bwd),
        out_avals,
        jvp: std::sync::OnceLock::new(),
    })
}

/// Whether an active transformation tracks or traces one of `ts` (a rule's operands: then the
/// rule must be built from differentiable ops, not a stored program).
fn tracked<'a>(mut ts: impl Iterator<Item = &'a Tensor>) -> bool {
    let act = active();
    ts.any(|t| t.levels() & act != 0 || t.value().is_abstract())
}

/// Values as untracked tensors.
pub(super) fn tensors(vs: impl IntoIterator<Item = Value>) -> Vec<Tensor> {
    vs.into_iter()
        .map(|v| Tensor::from_value(v, Location::caller()))
        .collect()
}

/// Run `c`'s function on `xs` (concrete; tracked by reverse or forward mode) as one recorded
/// `jit` node, through its split reverse mode.
pub(crate) fn record(
    split: &Arc<Split>,
    xs: &[Tensor],
    location: &'static Location<'static>,
) -> Result<Vec<Tensor>> {
    // The executor reads only the inputs' values.
    let mut outs = execute(&split.fwd, xs)?;
    let residuals = outs.split_off(split.out_avals.len());
    let node = JitNode {
        split: split.clone(),
        residuals,
    };
    bind_multi_computed(Arc::new(node), xs.iter().cloned().collect(), outs, location)
}

/// A call of a compiled function, recorded for reverse mode with its residuals.
struct JitNode {
    split: Arc<Split>,
    residuals: Vec<Value>,
}

impl fmt::Debug for JitNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "jit({} eqns, {} residuals)",
            self.split.graph.eqns.len(),
            self.residuals.len()
        )
    }
}

impl MultiPrimitive for JitNode {
    fn name(&self) -> &'static str {
        "jit"
    }

    fn abstract_eval(&self, inputs: &[AvalRef<'_>]) -> Result<Vec<Aval>> {
        call_outputs(&self.split.graph.inputs, inputs, &self.split.out_avals)
    }

    fn eval(&self, inputs: &[&Value]) -> Result<Vec<Value>> {
        let xs = tensors(inputs.iter().map(|v| (*v).clone()));
        let mut outs = execute(&self.split.fwd, &xs)?;
        outs.truncate(self.split.out_avals.len());
        Ok(outs)
    }

    fn jvp(&self, p: &[Tensor], t: &[Option<Tensor>], _: &[Tensor]) -> Result<Vec<Option<Tensor>>> {
        let n_out = self.split.out_avals.len();
        let t = dense(p, t);
        if !tracked(p.iter().chain(&t)) {
            let program = self.split.jvp.get_or_init(|| {
                let mut avals = self.split.graph.inputs.clone();
                avals.extend(self.split.graph.inputs.iter().cloned());
                let n = p.len();
                let g = &self.split.graph;
                let traced = try_trace_n(
                    |a| jvp_call(g, &a[..n], &a[n..]).map_or_else(|_| Vec::new(), |(_, ts)| ts),
                    &avals,
                );
                traced
                    .ok()
                    .filter(|g| g.outputs.len() == n_out)
                    .map(Compiled::new)
            });
            if let Some(program) = program {
                let args: Vec<Tensor> = p.iter().chain(&t).cloned().collect();
                return Ok(float_tangents(tensors(execute(program, &args)?)));
            }
        }
        let (_, ts) = jvp_call(&self.split.graph, p, &t)?;
        Ok(float_tangents(ts))
    }

    fn vjp(&self, p: &[Tensor], _: &[Tensor], cts: &[Tensor]) -> Result<Vec<Option<Tensor>>> {
        let xbar = if tracked(p.iter().chain(cts)) {
            // A derivative of the derivative: differentiate the graph itself.
            vjp_call(&self.split.graph, p, cts)?
        } else {
            let mut args: Vec<Tensor> = p.to_vec();
            args.extend(tensors(self.residuals.iter().cloned()));
            args.extend_from_slice(cts);
            tensors(execute(&self.split.bwd, &args)?)
        };
        Ok(float_cotangents(xbar, p))
    }
}

/// The shape rule of a call of a compiled program: the inputs must be the compiled ones, and
/// the outputs are the program's (`outs`).
pub(super) fn call_outputs(
    compiled: &[Aval],
    inputs: &[AvalRef<'_>],
    outs: &[Aval],
) -> Result<Vec<Aval>> {
    let got: Vec<Aval> = inputs.iter().map(AvalRef::to_aval).collect();
    if got != compiled {
        return Err(Error::shape(
            "jit",
            "the inputs do not match the compiled ones".to_string(),
        ));
    }
    Ok(outs.to_vec())
}
