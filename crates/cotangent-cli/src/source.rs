//! The expressions given on the command line: parsed, checked against the
//! point, and turned into graphs.
//!
//! Errors quote the expression with a caret under the offending text, and
//! say which expression it was when there are several.

use crate::dag::{Dag, Op};
use crate::error::CliError;
use crate::expr::{parse, Expr, NodeKind, ParseError};
use crate::point::Point;

/// One command-line expression.
#[derive(Clone, Debug)]
pub struct Source {
    /// The text as given.
    pub text: String,
    /// Its parse tree.
    pub expr: Expr,
    /// Its deduplicated computational graph.
    pub dag: Dag,
}

/// Renders `err` against `text`, naming the expression when there are
/// several.
fn render(err: ParseError, text: &str, index: usize, count: usize) -> CliError {
    let suffix = if count > 1 {
        format!(" (in expression {} of {count})", index + 1)
    } else {
        String::new()
    };
    CliError::parse(&err, text, index, &suffix)
}

/// Parses every expression.
///
/// # Errors
///
/// The first syntax error, unknown function or wrong argument count, rendered
/// with a caret (exit status 2).
pub fn parse_all(texts: &[String]) -> Result<Vec<Source>, CliError> {
    texts
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let expr = parse(text).map_err(|e| render(e, text, i, texts.len()))?;
            let dag = Dag::from_expr(&expr);
            Ok(Source {
                text: text.clone(),
                expr,
                dag,
            })
        })
        .collect()
}

/// Checks that every variable used has a value in `point`.
///
/// # Errors
///
/// A usage error with a caret under the first use of the first variable that
/// has no value.
pub fn check_values(sources: &[Source], point: &Point) -> Result<(), CliError> {
    for (i, s) in sources.iter().enumerate() {
        let missing = s.dag.nodes.iter().find_map(|n| match n.op {
            Op::Var(v) if point.get(&s.dag.vars[v]).is_none() => Some(&s.dag.vars[v]),
            _ => None,
        });
        let Some(name) = missing else { continue };
        let span = s
            .expr
            .nodes
            .iter()
            .find(|n| matches!(&n.kind, NodeKind::Var(v) if v == name))
            .map_or((0, 0), |n| n.span);
        let err = ParseError::new(
            format!("variable `{name}` has no value: give it with --at {name}=VALUE"),
            span.0,
            span.1 - span.0,
        );
        return Err(render(err, &s.text, i, sources.len()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_variable_is_pointed_at() {
        let sources = parse_all(&["x + y*2".to_string()]).unwrap();
        let point = Point::parse(&["x=1".to_string()]).unwrap();
        let err = check_values(&sources, &point).unwrap_err();
        assert_eq!(err.code, 2);
        assert_eq!(
            err.message,
            "error: variable `y` has no value: give it with --at y=VALUE\n  x + y*2\n      ^"
        );
    }

    #[test]
    fn syntax_error_names_the_expression() {
        let err = parse_all(&["x".to_string(), "x +".to_string()]).unwrap_err();
        assert!(err.message.contains("(in expression 2 of 2)"), "{err}");
        assert!(err.message.ends_with("  x +\n     ^"), "{err}");
    }
}
