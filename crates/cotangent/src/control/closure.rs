//! Closure conversion: a body function is traced into a [`Graph`]; the tensors it closes over
//! that a transformation tracks (an outer `grad`'s variables, an outer trace's placeholders)
//! become extra inputs of the graph, passed to the primitive as explicit operands. Derivatives
//! with respect to them and nesting inside other transformations then need nothing special.

use std::panic::Location;

use crate::core::level::{active, tracing};
use crate::core::{Result, Tensor, Value};
use crate::ir::{try_trace_fallible, Graph, Var};
use crate::prim::Aval;

/// Whether a trace (`trace`, `jit`, `vmap`) is recording on this thread: control flow is then
/// staged into a primitive instead of run in Rust.
pub(crate) fn staging() -> bool {
    tracing() & active() != 0
}

/// The shapes and dtypes of `ts`.
pub(crate) fn avals_of(ts: &[Tensor]) -> Vec<Aval> {
    ts.iter().map(Aval::of).collect()
}

/// Trace `f` at `avals` and lift its tracked constants into extra inputs (after the declared
/// ones). Returns the graph and the tensors to pass for the extra inputs.
#[track_caller]
pub(crate) fn trace_closed(
    f: impl FnOnce(&[Tensor]) -> Result<Vec<Tensor>>,
    avals: &[Aval],
) -> Result<(Graph, Vec<Tensor>)> {
    Ok(lift(try_trace_fallible(f, avals)?))
}

/// Apply `f` to every operand and output reference of `g`.
fn remap(g: &mut Graph, f: impl Fn(Var) -> Var) {
    for e in &mut g.eqns {
        for v in e.inputs.iter_mut() {
            *v = f(*v);
        }
    }
    for v in &mut g.outputs {
        *v = f(*v);
    }
}

/// Turn the constants that are tracked or traced into inputs appended after the existing ones.
pub(crate) fn lift(mut g: Graph) -> (Graph, Vec<Tensor>) {
    let n = g.inputs.len() as u32;
    let mut map = Vec::with_capacity(g.consts.len());
    let mut consts = Vec::new();
    let mut extras = Vec::new();
    for c in std::mem::take(&mut g.consts) {
        if c.levels() != 0 || c.value().is_abstract() {
            map.push(Var::Input(n + extras.len() as u32));
            g.inputs.push(Aval::of(&c));
            extras.push(c);
        } else {
            map.push(Var::Const(consts.len() as u32));
            consts.push(c);
        }
    }
    g.consts = consts;
    remap(&mut g, |v| match v {
        Var::Const(i) => map[i as usize],
        v => v,
    });
    (g, extras)
}

/// Closed graphs that share their first `shared` inputs, each with its own extra inputs, made
/// to take the same inputs: the shared ones, then every graph's extras in order.
pub(crate) fn unify(parts: Vec<(Graph, Vec<Tensor>)>, shared: usize) -> (Vec<Graph>, Vec<Tensor>) {
    let all: Vec<Aval> = parts
        .iter()
        .flat_map(|(g, _)| g.inputs[shared..].to_vec())
        .collect();
    let mut before = 0;
    let mut graphs = Vec::with_capacity(parts.len());
    let mut extras = Vec::new();
    for (mut g, ex) in parts {
        let own = ex.len();
        let shift = before as u32;
        remap(&mut g, |v| match v {
            Var::Input(i) if i as usize >= shared => Var::Input(i + shift),
            v => v,
        });
        g.inputs.truncate(shared);
        g.inputs.extend_from_slice(&all);
        graphs.push(g);
        extras.extend(ex);
        before += own;
    }
    (graphs, extras)
}

/// Evaluate a closed graph on concrete values (inside a primitive's kernel).
pub(crate) fn run(g: &Graph, inputs: &[&Value]) -> Result<Vec<Tensor>> {
    let xs: Vec<Tensor> = inputs
        .iter()
        .map(|v| Tensor::from_value((*v).clone(), Location::caller()))
        .collect();
    g.eval(&xs)
}
