//! The checks of the `expr_parse` fuzz target, shared by the libFuzzer binary
//! (`fuzz/fuzz_targets/expr_parse.rs`) and the corpus-replaying test of `cotangent-cli`.
//!
//! For any UTF-8 input, [`check`] requires that parsing never panics and that:
//! - an error points inside the source (its column and length are byte offsets on character
//!   boundaries) and renders with a caret;
//! - a parsed expression prints to text that parses back to the same tree and prints the same;
//!   every node's span lies inside the source;
//! - `cotangent diff`'s pipeline on it (merge into a graph, evaluate, Jacobian, and for small
//!   expressions the Hessian, at a fixed point) never panics, and the value it computes with
//!   tensors agrees with the plain `f64` evaluation of the tree.

use std::collections::HashMap;

use cotangent_cli::dag::Dag;
use cotangent_cli::derivatives::differentiate;
use cotangent_cli::expr::parse;
use cotangent_cli::point::Point;

/// Expressions with more nodes than this are only parsed and printed, not differentiated
/// (the fuzzer's time goes to the parser).
const MAX_DIFF_NODES: usize = 256;
/// Hessians are taken only up to this many nodes.
const MAX_HESSIAN_NODES: usize = 48;

/// Runs every check on one input; panics (with the input in the message) on a violation.
/// Returns whether the input parsed.
pub fn check(data: &[u8]) -> bool {
    let Ok(src) = std::str::from_utf8(data) else {
        return false;
    };
    let expr = match parse(src) {
        Ok(expr) => expr,
        Err(e) => {
            let end = e.column.checked_add(e.len).expect("error span overflows");
            assert!(
                end <= src.len() && src.is_char_boundary(e.column) && src.is_char_boundary(end),
                "error span {}..{end} is not inside {src:?} on character boundaries: {e}",
                e.column
            );
            let text = e.render(src);
            assert!(
                text.starts_with("error: ") && text.ends_with('^'),
                "bad rendering of {src:?}: {text:?}"
            );
            return false;
        }
    };
    for node in &expr.nodes {
        assert!(
            node.span.0 <= node.span.1 && node.span.1 <= src.len(),
            "node span {:?} outside {src:?}",
            node.span
        );
    }
    let printed = expr.to_string();
    let again = parse(&printed)
        .unwrap_or_else(|e| panic!("{src:?} printed as {printed:?}, which does not parse: {e}"));
    assert!(
        again.same_tree(&expr),
        "{src:?} printed as {printed:?}, which parses to another tree"
    );
    assert_eq!(again.to_string(), printed, "printing {src:?} is not stable");

    if expr.nodes.len() > MAX_DIFF_NODES {
        return true;
    }
    let names: Vec<String> = expr.variables().iter().map(|v| v.to_string()).collect();
    let values: Vec<f64> = (0..names.len()).map(|i| 0.3 + 0.25 * i as f64).collect();
    let at: Vec<String> = names
        .iter()
        .zip(&values)
        .map(|(n, v)| format!("{n}={v}"))
        .collect();
    let point = Point::parse(&at)
        .unwrap_or_else(|e| panic!("variables of {src:?} are refused by --at: {e:?}"));
    let vars: HashMap<String, f64> = names.iter().cloned().zip(values).collect();
    let plain = expr.eval_f64(&vars);
    let dag = Dag::from_expr(&expr);
    let d = differentiate(
        &[&dag],
        &point,
        &names,
        None,
        expr.nodes.len() <= MAX_HESSIAN_NODES,
    );
    let ours = d.values[0];
    assert!(
        same_value(plain, ours),
        "{src:?} at {at:?}: tensors give {ours}, f64 evaluation gives {plain}"
    );
    assert_eq!(d.jacobian.len(), 1);
    assert_eq!(d.jacobian[0].len(), names.len());
    true
}

/// Equal up to rounding: both NaN, the same infinity, or close relative to their size.
fn same_value(a: f64, b: f64) -> bool {
    if a.is_nan() || b.is_nan() {
        return a.is_nan() && b.is_nan();
    }
    if a.is_infinite() || b.is_infinite() {
        return a == b;
    }
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}
