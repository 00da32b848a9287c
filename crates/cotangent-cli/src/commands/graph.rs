//! `cotangent graph`: the computational graph of one expression at a point,
//! every node labelled with its operation, value and adjoint, as SVG, DOT or
//! text, written to a file (`-o`) or stdout.

use std::io::Write;
use std::path::Path;

use cotangent::Mode;

use super::emit;
use crate::cli::{Format, GraphArgs};
use crate::dag::Op;
use crate::derivatives::Derivatives;
use crate::diagnostics::{diagnose, render};
use crate::error::{CliError, EXIT_NONFINITE};
use crate::graph::{dot, ir, svg, text, Graph};
use crate::notation::Notation;
use crate::number::short;
use crate::partials::local_partials;
use crate::point::Point;
use crate::source::{check_values, parse_all, Source};
use crate::sweep::{sweep, Sweep};

/// The file extensions `-o` understands, and the format each one means.
pub const EXTENSIONS: &[(&str, Format)] = &[
    ("svg", Format::Svg),
    ("dot", Format::Dot),
    ("gv", Format::Dot),
    ("txt", Format::Text),
];

/// The format asked for; else the one the output file's extension names
/// (see [`EXTENSIONS`], case-insensitive); else, for stdout, SVG.
///
/// # Errors
///
/// A usage error naming the supported extensions when `output` has another
/// extension or none, and no `format` was given (`-o x.png` used to get SVG).
pub fn format_for(format: Option<Format>, output: Option<&Path>) -> Result<Format, CliError> {
    if let Some(f) = format {
        return Ok(f);
    }
    let Some(path) = output else {
        return Ok(Format::Svg);
    };
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    if let Some(&(_, f)) = EXTENSIONS.iter().find(|(e, _)| Some(*e) == ext.as_deref()) {
        return Ok(f);
    }
    let known: Vec<String> = EXTENSIONS.iter().map(|(e, _)| format!(".{e}")).collect();
    let why = match &ext {
        Some(e) => format!("unknown extension `.{e}`"),
        None => "no extension".to_string(),
    };
    Err(CliError::usage(format!(
        "cannot tell the format of `{}` ({why}): supported extensions are {}, or give --format",
        path.display(),
        known.join(", ")
    )))
}

/// The point as `x1 = 1.5, x2 = 0.5`.
pub fn describe(point: &Point) -> String {
    let parts: Vec<String> = point
        .names
        .iter()
        .zip(&point.values)
        .map(|(n, v)| format!("{n} = {}", short(*v)))
        .collect();
    parts.join(", ")
}

/// Evaluates and sweeps `source` at `point`, and draws it.
pub fn draw(source: &Source, point: &Point) -> (Graph, Sweep) {
    let dag = &source.dag;
    let s = sweep(dag, &point.values_of(&dag.vars));
    let n = Notation::new(dag, &point.names);
    let p = local_partials(dag, &s.values);
    let g = Graph::new(&source.text, describe(point), dag, &n, &s, &p);
    (g, s)
}

/// The gradient of `source` in the sweep, as a one-row Jacobian with
/// respect to every variable of `point`.
fn as_derivatives(source: &Source, point: &Point, s: &Sweep) -> Derivatives {
    let row = point
        .names
        .iter()
        .map(|name| {
            source
                .dag
                .nodes
                .iter()
                .position(|n| matches!(n.op, Op::Var(v) if source.dag.vars[v] == *name))
                .map_or(0.0, |i| s.adjoints[i])
        })
        .collect();
    Derivatives {
        values: vec![s.output],
        jacobian: vec![row],
        hessians: None,
        higher: Vec::new(),
        mode: Mode::Reverse,
    }
}

/// The traced graph IR of the value and gradient of `source`.
fn trace_ir(source: &Source) -> Result<cotangent::ir::Graph, CliError> {
    ir::traced(&source.dag)
        .map_err(|e| CliError::usage(format!("cannot trace the expression: {e}")))
}

/// Runs `cotangent graph`.
///
/// # Errors
///
/// A [`CliError`] for bad input or a failed write.
pub fn run(args: &GraphArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<u8, CliError> {
    let format = format_for(args.format, args.output.as_deref())?;
    let point = Point::parse(&args.at)?;
    let sources = parse_all(std::slice::from_ref(&args.expr))?;
    check_values(&sources, &point)?;
    let source = &sources[0];
    let (g, s) = draw(source, &point);
    let rendered = match format {
        Format::Svg => svg::render(&g),
        Format::Dot => dot::render(&g),
        Format::Text => text::render(&g),
        Format::Ir => ir::render_text(&source.dag, &trace_ir(source)?),
        Format::IrDot => trace_ir(source)?.to_dot(),
    };
    match &args.output {
        Some(path) => std::fs::write(path, rendered)
            .map_err(|e| CliError::io(&format!("cannot write {}", path.display()), e))?,
        None => emit(out, &rendered)?,
    }
    let diagnostics = diagnose(
        &sources,
        &point,
        &point.names,
        &as_derivatives(source, &point, &s),
    );
    for d in &diagnostics {
        emit(err, &format!("{}\n", render(d, source, 1)))?;
    }
    Ok(if diagnostics.is_empty() {
        0
    } else {
        EXIT_NONFINITE
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_from_extension() {
        let f = |p: &str| format_for(None, Some(Path::new(p)));
        assert_eq!(f("g.dot"), Ok(Format::Dot));
        assert_eq!(f("g.GV"), Ok(Format::Dot));
        assert_eq!(f("g.txt"), Ok(Format::Text));
        assert_eq!(f("g.svg"), Ok(Format::Svg));
        assert_eq!(format_for(None, None), Ok(Format::Svg));
        assert_eq!(
            format_for(Some(Format::Text), Some(Path::new("g.png"))),
            Ok(Format::Text)
        );
    }

    #[test]
    fn unknown_extension_is_an_error() {
        let e = format_for(None, Some(Path::new("g.png"))).unwrap_err();
        assert_eq!(e.code, 2);
        assert_eq!(
            e.message,
            "error: cannot tell the format of `g.png` (unknown extension `.png`): \
             supported extensions are .svg, .dot, .gv, .txt, or give --format"
        );
        let e = format_for(None, Some(Path::new("graph"))).unwrap_err();
        assert!(e.message.contains("(no extension)"), "{e}");
    }
}
