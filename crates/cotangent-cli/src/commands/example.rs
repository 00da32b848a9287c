//! `cotangent` with no arguments, or `cotangent example`: the teaching
//! example of reverse-mode AD, `f(x1, x2) = log((x1 + x2)^2 + sin(x1*x2))`
//! at `(1.5, 0.5)`.
//!
//! It prints the primal trace, the adjoint trace (from one reverse sweep of
//! the library, with every node's adjoint), the gradient, a finite-difference
//! check, and writes a picture of the graph. Nothing is hard-coded but the
//! expression and the point: every number is computed.

use std::io::Write;

use cotangent::Mode;

use super::emit;
use super::graph::{describe, draw, format_for};
use crate::check;
use crate::cli::{ExampleArgs, Format};
use crate::derivatives::differentiate;
use crate::error::CliError;
use crate::graph::{dot, svg, text, Graph};
use crate::notation::Notation;
use crate::number::human;
use crate::point::Point;
use crate::source::parse_all;
use crate::trace::{adjoint, primal};

/// The example's expression.
pub const EXPR: &str = "log((x1 + x2)^2 + sin(x1*x2))";

/// The example's point.
pub const AT: &str = "x1=1.5,x2=0.5";

/// Where the picture goes by default (in the current directory).
pub const DEFAULT_OUTPUT: &str = "cotangent-example.svg";

/// The printed explanation (without the line about the picture) and the
/// graph to draw.
///
/// # Errors
///
/// Never for the built-in example; the signature allows other inputs.
pub fn explain(expr: &str, at: &str) -> Result<(String, Graph), CliError> {
    let point = Point::parse(&[at.to_string()])?;
    let sources = parse_all(&[expr.to_string()])?;
    crate::source::check_values(&sources, &point)?;
    let source = &sources[0];
    let dag = &source.dag;
    let (graph, s) = draw(source, &point);
    let n = Notation::new(dag, &point.names);
    let wrt = point.names.clone();
    let r = differentiate(&[dag], &point, &wrt, Some(Mode::Reverse), false);
    let fd = check::jacobian(&[&source.expr], &point, &wrt);

    let mut t = String::new();
    t.push_str(&format!(
        "f({}) = {expr}\nat {}\n\n",
        wrt.join(", "),
        describe(&point)
    ));
    t.push_str(
        "Primal trace: each elementary operation evaluated once, in order\n\
         (inputs v_-1, v_0; intermediates v_1, v_2, ...):\n\n",
    );
    t.push_str(&primal(dag, &n, &s));
    t.push_str(
        "\nAdjoint trace: v̄_i = ∂f/∂v_i, from the output back to the inputs. Each\n\
         v̄_i sums v̄_p · ∂v_p/∂v_i over the operations p that use v_i, so a value\n\
         used twice (x1 and x2 both feed v_1 and v_3) adds up two paths:\n\n",
    );
    t.push_str(&adjoint(dag, &n, &s));
    t.push_str(&format!(
        "\nResult of one forward and one reverse sweep:\n\n  f = {}\n",
        human(r.values[0])
    ));
    for (w, g) in wrt.iter().zip(&r.jacobian[0]) {
        t.push_str(&format!("  ∂f/∂{w} = {}\n", human(*g)));
    }
    t.push_str("\nCheck against central finite differences (f64 evaluation):\n\n");
    let rows: Vec<Vec<String>> = wrt
        .iter()
        .zip(r.jacobian[0].iter().zip(&fd[0]))
        .map(|(w, (g, d))| {
            vec![
                format!("∂f/∂{w} ≈ {}", human(*d)),
                format!("|AD − FD| = {:.1e}", (g - d).abs()),
            ]
        })
        .collect();
    t.push_str(&crate::table::columns(&rows));
    Ok((t, graph))
}

/// Runs the teaching example, writing the picture to `args.output` as SVG,
/// DOT or text, chosen by its extension (see
/// [`super::graph::EXTENSIONS`]).
///
/// # Errors
///
/// A [`CliError`] if the picture or the output cannot be written.
pub fn run(args: &ExampleArgs, out: &mut dyn Write) -> Result<u8, CliError> {
    let format = format_for(None, Some(&args.output))?;
    let (explanation, g) = explain(EXPR, AT)?;
    let picture = match format {
        Format::Dot => dot::render(&g),
        Format::Text => text::render(&g),
        Format::Svg | Format::Ir | Format::IrDot => svg::render(&g),
    };
    std::fs::write(&args.output, picture)
        .map_err(|e| CliError::io(&format!("cannot write {}", args.output.display()), e))?;
    emit(
        out,
        &format!(
            "{explanation}\nWrote {}: the graph, each node with its value and adjoint.\n",
            args.output.display()
        ),
    )?;
    Ok(0)
}
