//! The readable (non-JSON) output of `cotangent diff`: a table with one row
//! per output (its value and partial derivatives), one matrix per Hessian,
//! the distinct entries of each higher derivative tensor (`∂³/∂x∂y²  12`),
//! and the finite-difference check. Numbers are in their shortest round-trip
//! form ([`short`]), the same digits as the JSON output.

use std::fmt::Write;

use crate::derivatives::Derivatives;
use crate::higher::{distinct, label};
use crate::number::short;
use crate::report::{mode_name, CheckErrors};

/// Longest expression text shown in a row before it is shortened with `…`.
const MAX_EXPR: usize = 48;

/// Display width of `s`, not counting combining marks.
pub fn width(s: &str) -> usize {
    s.chars()
        .filter(|c| !('\u{300}'..='\u{36f}').contains(c))
        .count()
}

/// `s` padded with spaces to display width `w` (left-aligned).
pub fn pad(s: &str, w: usize) -> String {
    format!("{s}{}", " ".repeat(w.saturating_sub(width(s))))
}

/// `s` shortened to at most `max` characters, ending in `…` when cut.
pub fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut t: String = s.chars().take(max - 1).collect();
    t.push('…');
    t
}

/// Lays out rows of cells in columns separated by three spaces, each line
/// indented by two.
pub fn columns(rows: &[Vec<String>]) -> String {
    columns_with(rows, "   ")
}

/// Like [`columns`], with `sep` between the columns.
pub fn columns_with(rows: &[Vec<String>], sep: &str) -> String {
    let n = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..n)
        .map(|j| {
            rows.iter()
                .filter_map(|r| r.get(j))
                .map(|c| width(c))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let last = row.len().saturating_sub(1);
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(j, c)| {
                if j == last {
                    c.clone()
                } else {
                    pad(c, widths[j])
                }
            })
            .collect();
        let _ = writeln!(out, "  {}", cells.join(sep).trim_end());
    }
    out
}

/// The whole readable report.
pub fn render(
    exprs: &[&str],
    wrt: &[String],
    r: &Derivatives,
    check: Option<CheckErrors>,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Jacobian accumulated in {} mode ({} input{}, {} output{})\n",
        mode_name(r.mode),
        wrt.len(),
        if wrt.len() == 1 { "" } else { "s" },
        exprs.len(),
        if exprs.len() == 1 { "" } else { "s" },
    );
    let mut head = vec!["output".to_string(), "value".to_string()];
    head.extend(wrt.iter().map(|w| format!("∂/∂{w}")));
    let mut rows = vec![head];
    for (i, e) in exprs.iter().enumerate() {
        let mut row = vec![shorten(e, MAX_EXPR), short(r.values[i])];
        row.extend(r.jacobian[i].iter().map(|v| short(*v)));
        rows.push(row);
    }
    out.push_str(&columns(&rows));
    if let Some(hs) = &r.hessians {
        for (e, h) in exprs.iter().zip(hs) {
            let _ = writeln!(out, "\nHessian of {}:", shorten(e, MAX_EXPR));
            let mut rows = vec![std::iter::once(String::new())
                .chain(wrt.iter().cloned())
                .collect::<Vec<_>>()];
            for (w, row) in wrt.iter().zip(h) {
                rows.push(
                    std::iter::once(w.clone())
                        .chain(row.iter().map(|v| short(*v)))
                        .collect(),
                );
            }
            out.push_str(&columns(&rows));
        }
    }
    for h in &r.higher {
        for (e, t) in exprs.iter().zip(&h.tensors) {
            let _ = writeln!(
                out,
                "\nDerivatives of order {} of {} (each distinct one once):",
                h.order,
                shorten(e, MAX_EXPR)
            );
            let rows: Vec<Vec<String>> = distinct(wrt.len(), h.order)
                .into_iter()
                .map(|(idx, flat)| vec![label(&idx, wrt), short(t[flat])])
                .collect();
            out.push_str(&columns(&rows));
        }
    }
    if let Some(c) = check {
        let _ = write!(
            out,
            "\nfinite-difference check: max error {:.1e} in the Jacobian",
            c.jacobian
        );
        if let Some(h) = c.hessian {
            let _ = write!(out, ", {h:.1e} in the Hessian");
        }
        out.push_str(" (relative to max(1, |derivative|))\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligned_columns() {
        let rows = vec![
            vec!["v̄_1".to_string(), "1".to_string()],
            vec!["v_10".to_string(), "2".to_string()],
        ];
        assert_eq!(columns(&rows), "  v̄_1    1\n  v_10   2\n");
        assert_eq!(shorten("abcdef", 4), "abc…");
    }
}
