//! `cotangent diff`: values, Jacobian and (with `--order 2`) Hessians, or
//! (with `--order 3` to 10) derivative tensors up to that order, of one or more
//! expressions at a point, as a table or one JSON object.
//!
//! Exit status 0 on success, 2 for bad input (with a caret under the
//! problem), 3 when a value or derivative is not finite (the output is still
//! printed, with `null`s in JSON, plus diagnostics naming the operation that
//! first produced a non-finite number).

use std::io::Write;

use cotangent::Mode;

use super::emit;
use crate::check;
use crate::cli::{DiffArgs, ModeArg};
use crate::dag::Dag;
use crate::derivatives::{differentiate_to, Derivatives};
use crate::diagnostics::{diagnose, render};
use crate::error::{CliError, EXIT_NONFINITE};
use crate::expr::Expr;
use crate::point::Point;
use crate::report::{CheckErrors, Report};
use crate::source::{check_values, parse_all};
use crate::table;

/// The library mode for a `--mode` value (`None`: let it choose).
pub fn library_mode(m: ModeArg) -> Option<Mode> {
    match m {
        ModeArg::Auto => None,
        ModeArg::Forward => Some(Mode::Forward),
        ModeArg::Reverse => Some(Mode::Reverse),
    }
}

/// Compares `r` with finite differences.
fn compare(exprs: &[&Expr], point: &Point, wrt: &[String], r: &Derivatives) -> CheckErrors {
    let fd = check::jacobian(exprs, point, wrt);
    let jacobian = check::max_error(&r.jacobian, &fd);
    let hessian = r.hessians.as_ref().map(|hs| {
        exprs
            .iter()
            .zip(hs)
            .map(|(e, h)| check::max_error(h, &check::hessian(e, point, wrt)))
            .fold(0.0, f64::max)
    });
    CheckErrors { jacobian, hessian }
}

/// Runs `cotangent diff`.
///
/// # Errors
///
/// A [`CliError`] for bad input or a failed write.
pub fn run(args: &DiffArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<u8, CliError> {
    let point = Point::parse(&args.at)?;
    let wrt = point.wrt(&args.wrt)?;
    let sources = parse_all(&args.exprs)?;
    check_values(&sources, &point)?;
    let dags: Vec<&Dag> = sources.iter().map(|s| &s.dag).collect();
    let r = differentiate_to(&dags, &point, &wrt, library_mode(args.mode), args.order);
    let exprs: Vec<&Expr> = sources.iter().map(|s| &s.expr).collect();
    let checked = args.check.then(|| compare(&exprs, &point, &wrt, &r));
    let diagnostics = diagnose(&sources, &point, &wrt, &r);
    if args.json {
        let mut json = Report::new(&wrt, &r, checked, &diagnostics).to_json();
        json.push('\n');
        emit(out, &json)?;
    } else {
        let texts: Vec<&str> = sources.iter().map(|s| s.text.as_str()).collect();
        emit(out, &table::render(&texts, &wrt, &r, checked))?;
        for d in &diagnostics {
            let text = render(d, &sources[d.output], sources.len());
            emit(err, &format!("{text}\n"))?;
        }
    }
    Ok(if diagnostics.is_empty() {
        0
    } else {
        EXIT_NONFINITE
    })
}
