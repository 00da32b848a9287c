//! Graphviz DOT rendering of a [`Graph`]: record-shaped nodes with the
//! definition, value and adjoint in three fields, laid out left to right,
//! each edge labelled with its local partial derivative.
//! Render it with `dot -Tsvg`.

use std::fmt::Write;

use super::{Graph, Role};
use crate::number::human;

/// Escapes text for a record label (`{ } | < > " \` and spaces at the ends).
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '{' | '}' | '|' | '<' | '>' | '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Renders `g` as a DOT digraph.
pub fn render(g: &Graph) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "digraph cotangent {{");
    let (title, at) = g.heading();
    let _ = writeln!(
        s,
        "  label=\"{}  {}\";\n  labelloc=t;\n  rankdir=LR;",
        escape(&title),
        escape(&at)
    );
    let _ = writeln!(
        s,
        "  node [shape=record, style=\"rounded,filled\", fontname=\"DejaVu Sans Mono\", fontsize=11];"
    );
    for (i, n) in g.nodes.iter().enumerate() {
        let fill = match n.role {
            Role::Input => "#e8f5e9",
            Role::Op => "#f4f6fb",
            Role::Output | Role::Constant => "#fff3e0",
        };
        let _ = writeln!(
            s,
            "  n{i} [label=\"{{{}|value {}|adjoint {}}}\", fillcolor=\"{fill}\"];",
            escape(&n.title()),
            escape(&human(n.value)),
            escape(&human(n.adjoint))
        );
    }
    for (&(a, b), p) in g.edges.iter().zip(&g.partials) {
        let _ = writeln!(s, "  n{a} -> n{b} [label=\"{}\"];", escape(&human(*p)));
    }
    s.push_str("}\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::tests::example;

    #[test]
    fn example_dot() {
        let dot = render(&example());
        assert!(dot.starts_with("digraph cotangent {"));
        assert!(dot.contains("n0 [label=\"{v_-1 = x1|value 1.5|adjoint 0.9325461998}\""));
        assert_eq!(dot.matches(" -> ").count(), 9);
        assert!(dot.contains("  n0 -> n2 [label=\"1\"];\n"), "{dot}");
        assert!(dot.contains("  n0 -> n4 [label=\"0.5\"];\n"), "{dot}");
        assert!(
            dot.contains("  n4 -> n5 [label=\"0.7316888689\"];\n"),
            "{dot}"
        );
        assert_eq!(escape("[a < b] | {c}"), "[a \\< b] \\| \\{c\\}");
    }
}
