//! Tracing: run a function on abstract inputs at a fresh recording level, then read the
//! recorded nodes back as a [`Graph`].

use std::panic::Location;

use rustc_hash::FxHashMap;
use smallvec::SmallVec;

use super::graph::{Eqn, Graph, Var};
use crate::core::level::Level;
use crate::core::tensor::{Node, NodeId};
use crate::core::{Error, ErrorKind, Result, Tensor, Value};
use crate::prim::Aval;
use crate::transform::graph::topo_order;

/// Trace a one-input, one-output function at the given input shape and dtype.
///
/// ```
/// use cotangent::{ir::trace, prim::Aval, DType, Tensor};
/// let g = trace(|x: &Tensor| x.exp().sum(), &Aval::new(&[4], DType::F32)).unwrap();
/// assert!(g.to_string().contains("exp %0 : f32[4]"));
/// ```
#[track_caller]
pub fn trace(f: impl FnOnce(&Tensor) -> Tensor, input: &Aval) -> Result<Graph> {
    try_trace_n(|xs| vec![f(&xs[0])], std::slice::from_ref(input))
}

/// Trace a function of several tensors returning several tensors, panicking on error.
#[track_caller]
pub fn trace_n(f: impl FnOnce(&[Tensor]) -> Vec<Tensor>, inputs: &[Aval]) -> Graph {
    try_trace_n(f, inputs).unwrap_or_else(|e| panic!("{e}"))
}

/// Trace a function of several tensors returning several tensors.
///
/// The function runs once, on tensors that have a shape and dtype but no elements: reading a
/// value (`item`, `to_vec`) fails with an error that names `cond` and `while_loop`. Tensors it
/// closes over become the graph's constants.
///
/// ```
/// use cotangent::{ir::try_trace_n, prim::Aval, DType, Tensor};
/// let g = try_trace_n(
///     |x: &[Tensor]| vec![&x[0] * &x[1], x[0].sin()],
///     &[Aval::new(&[], DType::F64), Aval::new(&[], DType::F64)],
/// )
/// .unwrap();
/// assert_eq!(g.outputs().len(), 2);
/// ```
#[track_caller]
pub fn try_trace_n(f: impl FnOnce(&[Tensor]) -> Vec<Tensor>, inputs: &[Aval]) -> Result<Graph> {
    let location = Location::caller();
    let level = Level::new_trace().map_err(|e| e.at(location))?;
    let xs: Vec<Tensor> = inputs
        .iter()
        .map(|a| {
            Tensor::new_node(Node {
                value: Value::abstract_of(a.shape.clone(), a.dtype),
                levels: level.bit,
                epoch: crate::core::level::epoch(),
                origin: None,
                location,
                tangents: None,
            })
        })
        .collect();
    let ys = f(&xs);
    from_tensors(&xs, &ys, level.bit).map_err(|e| e.at(location))
}

/// [`try_trace_n`] of a fallible function: its error, if it returns one, is the result.
#[track_caller]
pub(crate) fn try_trace_fallible(
    f: impl FnOnce(&[Tensor]) -> Result<Vec<Tensor>>,
    inputs: &[Aval],
) -> Result<Graph> {
    let mut err = None;
    let g = try_trace_n(
        |xs| {
            f(xs).unwrap_or_else(|e| {
                err = Some(e);
                Vec::new()
            })
        },
        inputs,
    );
    match err {
        Some(e) => Err(e),
        None => g,
    }
}

/// Read the nodes recorded at `bit` between `xs` and `ys` back as a graph.
pub(crate) fn from_tensors(xs: &[Tensor], ys: &[Tensor], bit: u64) -> Result<Graph> {
    let mut vars: FxHashMap<NodeId, Var> = FxHashMap::default();
    for (i, x) in xs.iter().enumerate() {
        vars.insert(x.id(), Var::Input(i as u32));
    }
    let stops = xs.iter().map(Tensor::id).collect();
    let mut graph = Graph {
        inputs: xs.iter().map(Aval::of).collect(),
        consts: Vec::new(),
        eqns: Vec::new(),
        outputs: Vec::new(),
    };
    let var_of = |t: &Tensor, graph: &mut Graph, vars: &mut FxHashMap<NodeId, Var>| {
        if let Some(v) = vars.get(&t.id()) {
            return Ok(*v);
        }
        if t.levels() & bit != 0 {
            return Err(Error::new(ErrorKind::Tracing, "trace", format!(
                "a traced value escaped its trace: the tensor made at {}:{} belongs to another trace or was cut from this one",
                t.location().file(),
                t.location().line()
            )));
        }
        let v = Var::Const(graph.consts.len() as u32);
        graph.consts.push(t.clone());
        vars.insert(t.id(), v);
        Ok(v)
    };
    for node in topo_order(ys, bit, &stops) {
        if vars.contains_key(&node.id()) {
            continue;
        }
        let Some(origin) = node.origin() else {
            return Err(Error::new(
                ErrorKind::Tracing,
                "trace",
                format!(
                    "a tensor made at {}:{} carries the trace but was not computed from its inputs",
                    node.location().file(),
                    node.location().line()
                ),
            ));
        };
        let mut inputs: SmallVec<[Var; 3]> = SmallVec::new();
        for i in &origin.inputs {
            inputs.push(var_of(i, &mut graph, &mut vars)?);
        }
        let v = Var::Eqn(graph.eqns.len() as u32);
        graph.eqns.push(Eqn {
            prim: origin.prim.clone(),
            inputs,
            aval: Aval::of(&node),
            location: node.location(),
        });
        vars.insert(node.id(), v);
    }
    for y in ys {
        let v = var_of(y, &mut graph, &mut vars)?;
        graph.outputs.push(v);
    }
    Ok(graph)
}
