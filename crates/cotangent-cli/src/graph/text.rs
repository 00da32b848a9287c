//! Plain-text rendering of a [`Graph`] for a terminal: one row per node with
//! its definition, value, adjoint and the nodes that use it (so fan-out is
//! visible), then the output. Numbers are in their shortest round-trip form.

use super::{Graph, Role};
use crate::number::short;
use crate::table::columns;

/// Users listed per node before the list is cut short.
const MAX_USERS: usize = 8;

/// Renders `g` as an aligned table.
pub fn render(g: &Graph) -> String {
    let users = g.users();
    let mut rows = vec![vec![
        "node".to_string(),
        "definition".to_string(),
        "value".to_string(),
        "adjoint".to_string(),
        "used by".to_string(),
    ]];
    for (i, n) in g.nodes.iter().enumerate() {
        let mut used: Vec<&str> = users[i]
            .iter()
            .take(MAX_USERS)
            .map(|&u| g.nodes[u].name.as_str())
            .collect();
        let more = format!("… ({} uses)", users[i].len());
        if users[i].len() > MAX_USERS {
            used.push(&more);
        }
        rows.push(vec![
            n.name.clone(),
            n.formula.clone(),
            short(n.value),
            short(n.adjoint),
            used.join(", "),
        ]);
    }
    let (title, at) = g.heading();
    let mut out = format!("{}\n\n", format!("{title}  {at}").trim_end());
    out.push_str(&columns(&rows));
    let o = &g.nodes[g.output];
    let name = if o.role == Role::Constant {
        String::new()
    } else {
        format!("{} = ", o.name)
    };
    out.push_str(&format!("\n  output: f = {name}{}\n", short(o.value)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::tests::example;

    #[test]
    fn example_text() {
        let t = render(&example());
        assert!(t.contains("v_-1   x1"), "{t}");
        assert!(t.contains("v_1, v_3"), "{t}");
        assert!(t.contains("output: f = v_6 = 1.54364821103515"), "{t}");
    }
}
