//! Listings of a graph: readable text (one line per equation, like a jaxpr) and Graphviz DOT.

use std::fmt::{self, Write as _};

use super::graph::{Graph, Var};
use crate::prim::Aval;

/// A constant, as the listing shows it: its elements when there are few, else its type.
fn const_text(g: &Graph, i: usize) -> String {
    let t = &g.consts[i];
    if t.numel() <= 4 && !t.value().is_abstract() {
        let vals: Vec<String> = t.to_f64_vec().iter().map(|v| format!("{v}")).collect();
        format!("{} = [{}]", Aval::of(t), vals.join(", "))
    } else {
        Aval::of(t).to_string()
    }
}

impl fmt::Display for Graph {
    /// ```text
    /// graph(%0: f64[], %1: f64[]) {
    ///   %2 = add %0 %1 : f64[]
    ///   …
    ///   return %9, %12
    /// }
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = |v: Var| format!("%{}", self.number(v));
        write!(f, "graph(")?;
        for (i, a) in self.inputs.iter().enumerate() {
            if i > 0 {
                write!(f, ", ")?;
            }
            write!(f, "%{i}: {a}")?;
        }
        writeln!(f, ") {{")?;
        for i in 0..self.consts.len() {
            let v = Var::Const(i as u32);
            writeln!(f, "  {} = const {}", name(v), const_text(self, i))?;
        }
        for (k, eqn) in self.eqns.iter().enumerate() {
            let params = eqn.prim.params();
            let mut line = format!("  {} = {}", name(Var::Eqn(k as u32)), eqn.prim.name());
            if !params.is_empty() {
                let _ = write!(line, "[{params}]");
            }
            for &v in &eqn.inputs {
                let _ = write!(line, " {}", name(v));
            }
            writeln!(f, "{line} : {}", eqn.aval)?;
        }
        let outs: Vec<String> = self.outputs.iter().map(|&v| name(v)).collect();
        writeln!(f, "  return {}", outs.join(", "))?;
        write!(f, "}}")
    }
}

impl Graph {
    /// The graph in Graphviz DOT: inputs and constants as boxes, equations as ellipses labelled
    /// with the primitive and output type, outputs as double octagons.
    ///
    /// ```
    /// use cotangent::{ir::trace, prim::Aval, DType, Tensor};
    /// let g = trace(|x: &Tensor| x.sin(), &Aval::new(&[2], DType::F32)).unwrap();
    /// let dot = g.to_dot();
    /// assert!(dot.starts_with("digraph") && dot.contains("sin"));
    /// ```
    pub fn to_dot(&self) -> String {
        let mut s =
            String::from("digraph graph_ir {\n  rankdir=TB;\n  node [fontname=\"monospace\"];\n");
        let id = |v: Var| format!("n{}", self.number(v));
        for (i, a) in self.inputs.iter().enumerate() {
            let _ = writeln!(
                s,
                "  n{i} [shape=box, style=filled, fillcolor=\"#dbeafe\", label=\"%{i}: {a}\"];"
            );
        }
        for i in 0..self.consts.len() {
            let v = Var::Const(i as u32);
            let _ = writeln!(
                s,
                "  {} [shape=box, label=\"%{} const {}\"];",
                id(v),
                self.number(v),
                const_text(self, i)
            );
        }
        for (k, eqn) in self.eqns.iter().enumerate() {
            let v = Var::Eqn(k as u32);
            let params = eqn.prim.params().replace('"', "'");
            let label = if params.is_empty() {
                eqn.prim.name().to_string()
            } else {
                format!("{}[{params}]", eqn.prim.name())
            };
            let _ = writeln!(
                s,
                "  {} [label=\"%{} = {label}\\n{}\"];",
                id(v),
                self.number(v),
                eqn.aval
            );
            for (j, &a) in eqn.inputs.iter().enumerate() {
                let _ = writeln!(s, "  {} -> {} [label=\"{j}\"];", id(a), id(v));
            }
        }
        for (j, &o) in self.outputs.iter().enumerate() {
            let _ = writeln!(s, "  out{j} [shape=doubleoctagon, label=\"out {j}\"];");
            let _ = writeln!(s, "  {} -> out{j};", id(o));
        }
        s.push_str("}\n");
        s
    }
}
