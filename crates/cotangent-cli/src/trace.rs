//! The evaluation trace and the adjoint trace of reverse mode, printed the
//! way textbooks tabulate them.
//!
//! The primal trace lists `v_i = formula = value` in evaluation order; the
//! adjoint trace lists `v̄_i = Σ v̄_p · ∂v_p/∂v_i = value` from the output
//! back to the inputs, one term per use of `v_i`, so a variable used twice
//! visibly sums two paths. Values and adjoints come from a [`Sweep`] of the
//! library; the formulas from [`Notation`].

use crate::dag::{Dag, Operand};
use crate::notation::Notation;
use crate::number::human;
use crate::sweep::Sweep;
use crate::table::columns_with;

/// The name of adjoint `v_k`: `v̄_k` (with a combining macron).
pub fn bar(name: &str) -> String {
    let mut chars = name.chars();
    let first = chars.next().unwrap_or('v');
    format!("{first}\u{304}{}", chars.as_str())
}

/// The primal trace, ending with the output line `f = v_m = value`.
pub fn primal(dag: &Dag, n: &Notation, s: &Sweep) -> String {
    let mut rows: Vec<Vec<String>> = n
        .order()
        .into_iter()
        .map(|i| {
            vec![
                n.names[i].clone(),
                format!("= {}", n.formula(dag, i)),
                format!("= {}", human(s.values[i])),
            ]
        })
        .collect();
    rows.push(vec![
        "f".to_string(),
        format!("= {}", n.operand(&dag.root)),
        format!("= {}", human(s.output)),
    ]);
    columns_with(&rows, " ")
}

/// One term `v̄_p · ∂v_p/∂v_i` of an adjoint sum.
fn term(dag: &Dag, n: &Notation, user: usize, k: usize) -> String {
    let p = n.partial(dag, user, k);
    let simple = !p.contains(' ') && !p.starts_with('-');
    if simple {
        format!("{} · {p}", bar(&n.names[user]))
    } else {
        format!("{} · ({p})", bar(&n.names[user]))
    }
}

/// The adjoint trace, from the output back to the inputs, then the input
/// adjoints under the variables' own names (`x̄1 = v̄_-1 = …`).
pub fn adjoint(dag: &Dag, n: &Notation, s: &Sweep) -> String {
    let users = dag.users();
    let root = match dag.root {
        Operand::Node(r) => Some(r),
        Operand::Const(..) => None,
    };
    let order = n.order();
    let mut rows: Vec<Vec<String>> = Vec::new();
    for &i in order.iter().rev() {
        let rhs = if Some(i) == root {
            "f̄".to_string()
        } else {
            let mut terms: Vec<String> = users[i]
                .iter()
                .rev()
                .map(|&(p, k)| term(dag, n, p, k))
                .collect();
            if terms.is_empty() {
                terms.push("0".to_string());
            }
            terms.join(" + ")
        };
        rows.push(vec![
            bar(&n.names[i]),
            format!("= {rhs}"),
            format!("= {}", human(s.adjoints[i])),
        ]);
    }
    for &i in &order {
        if let crate::dag::Op::Var(v) = dag.nodes[i].op {
            rows.push(vec![
                bar(&dag.vars[v]),
                format!("= {}", bar(&n.names[i])),
                format!("= {}", human(s.adjoints[i])),
            ]);
        }
    }
    columns_with(&rows, " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::parse;
    use crate::sweep::sweep;

    #[test]
    fn teaching_example_traces() {
        let dag = Dag::from_expr(&parse("log((x1 + x2)^2 + sin(x1*x2))").unwrap());
        let n = Notation::new(&dag, &["x1".into(), "x2".into()]);
        let s = sweep(&dag, &[1.5, 0.5]);
        let p = primal(&dag, &n, &s);
        assert!(p.contains("  v_-1 = x1         = 1.5\n"), "{p}");
        assert!(p.contains("  v_1  = v_-1 + v_0 = 2\n"), "{p}");
        assert!(p.contains("  f    = v_6        = 1.5436482110\n"), "{p}");
        let a = adjoint(&dag, &n, &s);
        assert!(a.starts_with("  v̄_6  = f̄ "), "{a}");
        assert!(a.contains("  v̄_-1 = v̄_3 · v_0 + v̄_1 · 1  = 0.93254"), "{a}");
        assert!(a.contains("  v̄_1  = v̄_2 · (2 · v_1) "), "{a}");
        assert!(a.contains("  x̄1   = v̄_-1 "), "{a}");
    }
}
