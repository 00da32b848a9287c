//! The picture of a computational graph: one node per operation or input,
//! one edge per data dependency, each node labelled with its definition,
//! value and adjoint, each edge with its local partial derivative.
//!
//! [`Graph::new`] collects what is drawn from a [`Dag`] (shared
//! subexpressions are already merged there, so a variable used twice is one
//! node with two out-edges), its [`Notation`] and a [`Sweep`]. The renderers
//! live in submodules: [`svg`] (with the layered [`layout`]), [`dot`] for
//! Graphviz, and [`text`] for a terminal. [`ir`] lists the library's traced
//! graph IR of the expression and its gradient instead.

pub mod dot;
pub mod ir;
pub mod layout;
pub mod svg;
pub mod text;

use crate::dag::{Dag, Op, Operand};
use crate::notation::Notation;
use crate::sweep::Sweep;

/// What part a node plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// An input variable.
    Input,
    /// An intermediate operation.
    Op,
    /// The operation whose value is the output.
    Output,
    /// The whole expression is a constant (the only node).
    Constant,
}

/// One node as drawn.
#[derive(Clone, Debug, PartialEq)]
pub struct GraphNode {
    /// Its name, `v_3`.
    pub name: String,
    /// Its definition, `v_-1 · v_0` (the variable name for an input).
    pub formula: String,
    /// Its value.
    pub value: f64,
    /// Its adjoint `∂f/∂v`.
    pub adjoint: f64,
    /// What part it plays.
    pub role: Role,
}

impl GraphNode {
    /// `v_3 = v_-1 · v_0`.
    pub fn title(&self) -> String {
        format!("{} = {}", self.name, self.formula)
    }
}

/// Nodes (in evaluation order, inputs first) and edges `(from, to)`, one
/// per use of a value (so `x * x` has two edges from `x`).
#[derive(Clone, Debug, PartialEq)]
pub struct Graph {
    /// The source expression.
    pub expr: String,
    /// The point, as `x1 = 1.5, x2 = 0.5`.
    pub at: String,
    /// The nodes.
    pub nodes: Vec<GraphNode>,
    /// Data dependencies, operand to user, as indices into `nodes`.
    pub edges: Vec<(usize, usize)>,
    /// `partials[e]` is the local partial derivative `∂user/∂operand` of
    /// edge `e` at the point: the user's adjoint times it, summed over a
    /// node's out-edges, is the node's adjoint.
    pub partials: Vec<f64>,
    /// The node whose value is `f` (an input, for `f = x`).
    pub output: usize,
}

/// Longest expression text shown in a picture's or table's heading.
pub const MAX_HEADING: usize = 100;

impl Graph {
    /// The heading: `f = expression` (shortened) and the point.
    pub fn heading(&self) -> (String, String) {
        let expr = crate::table::shorten(&self.expr, MAX_HEADING);
        let at = if self.at.is_empty() {
            String::new()
        } else {
            format!("at {}", self.at)
        };
        (format!("f = {expr}"), at)
    }

    /// Collects the drawing of `dag` evaluated and swept in `s`, with the
    /// local partial derivatives `partials` of
    /// [`crate::partials::local_partials`] on the edges.
    pub fn new(
        expr: &str,
        at: String,
        dag: &Dag,
        n: &Notation,
        s: &Sweep,
        partials: &[Vec<f64>],
    ) -> Graph {
        let order = n.order();
        let mut position = vec![0; order.len()];
        for (p, &i) in order.iter().enumerate() {
            position[i] = p;
        }
        let root = match &dag.root {
            Operand::Node(r) => Some(*r),
            Operand::Const(..) => None,
        };
        let mut nodes: Vec<GraphNode> = order
            .iter()
            .map(|&i| GraphNode {
                name: n.names[i].clone(),
                formula: n.formula(dag, i),
                value: s.values[i],
                adjoint: s.adjoints[i],
                role: match dag.nodes[i].op {
                    Op::Var(_) => Role::Input,
                    _ if Some(i) == root => Role::Output,
                    _ => Role::Op,
                },
            })
            .collect();
        if let Operand::Const(v, text) = &dag.root {
            nodes.push(GraphNode {
                name: "f".to_string(),
                formula: text.clone(),
                value: *v,
                adjoint: 1.0,
                role: Role::Constant,
            });
        }
        let output = root.map_or(nodes.len() - 1, |r| position[r]);
        let (mut edges, mut edge_partials) = (Vec::new(), Vec::new());
        for &i in &order {
            for (k, a) in dag.nodes[i].args.iter().enumerate() {
                if let Operand::Node(c) = a {
                    edges.push((position[*c], position[i]));
                    edge_partials.push(partials[i][k]);
                }
            }
        }
        Graph {
            expr: expr.to_string(),
            at,
            nodes,
            edges,
            partials: edge_partials,
            output,
        }
    }

    /// For each node, the nodes it uses (one entry per edge).
    pub fn inputs(&self) -> Vec<Vec<usize>> {
        let mut ins = vec![Vec::new(); self.nodes.len()];
        for &(a, b) in &self.edges {
            ins[b].push(a);
        }
        ins
    }

    /// For each node, the nodes that use it (one entry per edge).
    pub fn users(&self) -> Vec<Vec<usize>> {
        let mut outs = vec![Vec::new(); self.nodes.len()];
        for &(a, b) in &self.edges {
            outs[a].push(b);
        }
        outs
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::expr::parse;
    use crate::partials::local_partials;
    use crate::sweep::sweep;

    /// The teaching example's graph.
    pub(crate) fn example() -> Graph {
        let src = "log((x1 + x2)^2 + sin(x1*x2))";
        let dag = Dag::from_expr(&parse(src).unwrap());
        let n = Notation::new(&dag, &["x1".into(), "x2".into()]);
        let s = sweep(&dag, &[1.5, 0.5]);
        let p = local_partials(&dag, &s.values);
        Graph::new(src, "x1 = 1.5, x2 = 0.5".into(), &dag, &n, &s, &p)
    }

    #[test]
    fn fan_out_is_one_node_with_two_edges() {
        let g = example();
        assert_eq!(g.nodes.len(), 8);
        assert_eq!(g.nodes[0].title(), "v_-1 = x1");
        assert_eq!(g.users()[0], [2, 4]);
        assert_eq!(g.inputs()[4], [0, 1]);
        assert_eq!(g.nodes[7].role, Role::Output);
        assert_eq!(g.output, 7);
    }

    #[test]
    fn edges_carry_local_partials_that_sum_to_adjoints() {
        let g = example();
        assert_eq!(g.partials.len(), g.edges.len());
        let e = g.edges.iter().position(|&e| e == (4, 5)).unwrap();
        assert_eq!(g.partials[e], 0.75f64.cos(), "∂sin(v_3)/∂v_3");
        for (i, node) in g.nodes.iter().enumerate().filter(|(i, _)| *i != g.output) {
            let sum: f64 = (0..g.edges.len())
                .filter(|&e| g.edges[e].0 == i)
                .map(|e| g.partials[e] * g.nodes[g.edges[e].1].adjoint)
                .sum();
            assert!((sum - node.adjoint).abs() < 1e-15, "{}", node.name);
        }
    }
}
