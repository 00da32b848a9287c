//! Explaining a value or derivative that is not finite: which primitive of
//! which expression first produced a non-finite number, from what inputs, and
//! where it is in the source.
//!
//! For a value, the first node (in evaluation order) whose value is not
//! finite is the culprit: its operands, evaluated earlier, are finite. For a
//! first derivative, the reverse sweep is replayed from the node adjoints of
//! [`crate::sweep`]: walking from the output towards the inputs, the culprit
//! is the first node whose own adjoint is finite but whose derivative rule
//! (the library's VJP of that one operation) sends a non-finite cotangent to
//! an operand that depends on a `--wrt` variable. A non-finite Hessian of
//! finite first derivatives (or a non-finite higher derivative) gets a
//! diagnostic without a culprit.

use cotangent::{vjp, Tensor};
use serde::Serialize;

use crate::build::{apply, scalar_value};
use crate::dag::{Dag, Operand};
use crate::derivatives::Derivatives;
use crate::expr::ParseError;
use crate::number::{human, nonfinite};
use crate::point::Point;
use crate::source::Source;
use crate::sweep::{sweep, Sweep};

/// Where a non-finite number came from.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Diagnostic {
    /// The output (expression) concerned, counting from 0.
    pub output: usize,
    /// What is not finite: `"value"`, `"derivative"`, `"hessian"` or
    /// `"higher"` (an order above 2).
    pub stage: &'static str,
    /// The operation that produced the first non-finite number (`log`, `/`,
    /// `unary -`…), when it could be found.
    pub primitive: Option<String>,
    /// Byte offset (from 0, as in syntax errors) of that operation's first
    /// occurrence in the expression.
    pub column: Option<usize>,
    /// The source text of that operation, e.g. `log(x - 1)`.
    pub text: Option<String>,
    /// The values of its operands.
    pub inputs: Vec<f64>,
    /// For a derivative: the adjoint (output cotangent) the operation
    /// received, which is finite.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adjoint: Option<f64>,
    /// The non-finite number it produced: `inf`, `-inf` or `NaN`.
    pub produced: Option<&'static str>,
    /// A one-line explanation.
    pub message: String,
}

/// The operand values of node `i`.
fn operand_values(dag: &Dag, values: &[f64], i: usize) -> Vec<f64> {
    dag.nodes[i]
        .args
        .iter()
        .map(|a| match a {
            Operand::Node(c) => values[*c],
            Operand::Const(v, _) => *v,
        })
        .collect()
}

/// A diagnostic naming node `i` of `source`.
fn at_node(source: &Source, output: usize, stage: &'static str, s: &Sweep, i: usize) -> Diagnostic {
    let node = &source.dag.nodes[i];
    let (a, b) = node.span;
    Diagnostic {
        output,
        stage,
        primitive: Some(node.op.name().to_string()),
        column: Some(a),
        text: Some(source.text[a..b].to_string()),
        inputs: operand_values(&source.dag, &s.values, i),
        adjoint: None,
        produced: None,
        message: String::new(),
    }
}

/// The first node whose value is not finite.
fn value_culprit(source: &Source, output: usize, s: &Sweep) -> Option<Diagnostic> {
    let i = s.values.iter().position(|v| !v.is_finite())?;
    let mut d = at_node(source, output, "value", s, i);
    let produced = nonfinite(s.values[i]);
    d.message = format!(
        "`{}` gives {produced} for input {}",
        d.primitive.as_deref().unwrap_or("?"),
        list(&d.inputs)
    );
    d.produced = Some(produced);
    Some(d)
}

/// Replays the reverse sweep to find the first derivative rule that turns a
/// finite adjoint into a non-finite cotangent for an active operand.
fn derivative_culprit(
    source: &Source,
    output: usize,
    s: &Sweep,
    active: &[bool],
) -> Option<Diagnostic> {
    let dag = &source.dag;
    let bad_child = |i: usize| {
        dag.nodes[i]
            .args
            .iter()
            .any(|a| matches!(a, Operand::Node(c) if active[*c] && !s.adjoints[*c].is_finite()))
    };
    for i in (0..dag.nodes.len()).rev() {
        if !active[i] || !s.adjoints[i].is_finite() || !bad_child(i) {
            continue;
        }
        let inputs = operand_values(dag, &s.values, i);
        let xs: Vec<Tensor> = inputs.iter().map(|&v| Tensor::scalar(v)).collect();
        let op = dag.nodes[i].op;
        let (_, pullback) = vjp(|xs: &[Tensor]| apply(op, xs), &xs);
        let cot = pullback.call(&Tensor::scalar(s.adjoints[i]));
        let bad = dag.nodes[i]
            .args
            .iter()
            .zip(&cot)
            .find_map(|(a, c)| match a {
                Operand::Node(k) if active[*k] && !scalar_value(c).is_finite() => {
                    Some(scalar_value(c))
                }
                _ => None,
            });
        if let Some(v) = bad {
            let mut d = at_node(source, output, "derivative", s, i);
            let produced = nonfinite(v);
            d.message = format!(
                "the derivative of `{}` is {produced} at input {} (adjoint {})",
                d.primitive.as_deref().unwrap_or("?"),
                list(&d.inputs),
                human(s.adjoints[i])
            );
            d.adjoint = Some(s.adjoints[i]);
            d.produced = Some(produced);
            return Some(d);
        }
    }
    None
}

fn list(values: &[f64]) -> String {
    let parts: Vec<String> = values.iter().map(|v| human(*v)).collect();
    parts.join(", ")
}

/// A diagnostic that could not be traced to one operation.
fn unplaced(output: usize, stage: &'static str, message: String) -> Diagnostic {
    Diagnostic {
        output,
        stage,
        primitive: None,
        column: None,
        text: None,
        inputs: Vec::new(),
        adjoint: None,
        produced: None,
        message,
    }
}

/// One diagnostic for each output whose value, Jacobian row, Hessian or
/// higher derivative has a non-finite entry.
pub fn diagnose(
    sources: &[Source],
    point: &Point,
    wrt: &[String],
    r: &Derivatives,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (i, source) in sources.iter().enumerate() {
        let finite = |row: &[f64]| row.iter().all(|v| v.is_finite());
        let value_ok = r.values[i].is_finite();
        let row_ok = finite(&r.jacobian[i]);
        let hess_ok = r
            .hessians
            .as_ref()
            .is_none_or(|h| h[i].iter().all(|row| finite(row)));
        let higher_ok = r.higher.iter().all(|h| finite(&h.tensors[i]));
        if value_ok && row_ok && hess_ok && higher_ok {
            continue;
        }
        let dag = &source.dag;
        let s = sweep(dag, &point.values_of(&dag.vars));
        let d = if !value_ok {
            value_culprit(source, i, &s)
                .unwrap_or_else(|| unplaced(i, "value", "the value is not finite".to_string()))
        } else if !row_ok {
            let marked: Vec<bool> = dag.vars.iter().map(|v| wrt.contains(v)).collect();
            let active = dag.depends_on(&marked);
            derivative_culprit(source, i, &s, &active).unwrap_or_else(|| {
                unplaced(i, "derivative", "a derivative is not finite".to_string())
            })
        } else if !hess_ok {
            unplaced(
                i,
                "hessian",
                "the first derivatives are finite but a second derivative is not".to_string(),
            )
        } else {
            unplaced(
                i,
                "higher",
                "the first and second derivatives are finite but a higher one is not".to_string(),
            )
        };
        out.push(d);
    }
    out
}

/// The diagnostic for a terminal: the message, and the expression with a
/// caret under the operation when it was found.
pub fn render(d: &Diagnostic, source: &Source, count: usize) -> String {
    let which = if count > 1 {
        format!(" (in expression {} of {count})", d.output + 1)
    } else {
        String::new()
    };
    let message = format!("{}{which}", d.message);
    match (d.column, &d.text) {
        (Some(c), Some(t)) => ParseError::new(message, c, t.len())
            .render(&source.text)
            .replacen("error: ", "diagnostic: ", 1),
        _ => format!("diagnostic: {message}\n  {}", source.text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::derivatives::differentiate;
    use crate::source::parse_all;

    fn diag(exprs: &[&str], at: &str, wrt: &str) -> Vec<Diagnostic> {
        let texts: Vec<String> = exprs.iter().map(|s| s.to_string()).collect();
        let sources = parse_all(&texts).unwrap();
        let point = Point::parse(&[at.to_string()]).unwrap();
        let wrt = point.wrt(&[wrt.to_string()]).unwrap();
        let dags: Vec<&Dag> = sources.iter().map(|s| &s.dag).collect();
        let r = differentiate(&dags, &point, &wrt, None, true);
        diagnose(&sources, &point, &wrt, &r)
    }

    #[test]
    fn log_of_zero() {
        let d = diag(&["x + log(y - 1)"], "x=1,y=1", "x");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].stage, "value");
        assert_eq!(d[0].primitive.as_deref(), Some("log"));
        assert_eq!(d[0].column, Some(4));
        assert_eq!(d[0].inputs, [0.0]);
        assert_eq!(d[0].produced, Some("-inf"));
    }

    #[test]
    fn derivative_of_sqrt_at_zero() {
        let d = diag(&["x^2", "2 * sqrt(x) + 1"], "x=0", "x");
        assert_eq!(d.len(), 1);
        assert_eq!((d[0].output, d[0].stage), (1, "derivative"));
        assert_eq!(d[0].primitive.as_deref(), Some("sqrt"));
        assert_eq!(d[0].column, Some(4));
        assert_eq!(d[0].adjoint, Some(2.0));
        assert_eq!(d[0].produced, Some("inf"));
    }

    #[test]
    fn inactive_variables_are_ignored() {
        assert!(diag(&["x * sqrt(y)"], "x=1,y=0", "x").is_empty());
    }
}
