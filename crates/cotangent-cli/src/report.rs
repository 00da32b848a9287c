//! The result of `cotangent diff` as one JSON object (`--json`).
//!
//! ```text
//! {"wrt": ["x1", "x2"], "value": [1.54…], "jacobian": [[0.93…, 1.08…]],
//!  "hessian": [[[…], […]]], "mode": "reverse", "check": 2.1e-11,
//!  "diagnostics": [ … ]}
//! ```
//!
//! `hessian` appears only with `--order 2` or more; with `--order 3` and up,
//! `d3`, `d4`, … hold the derivative tensors of those orders, one per output,
//! as nested arrays: `d3[o][i][j][k] = ∂³ output_o / ∂x_i ∂x_j ∂x_k`, indices
//! in `wrt` order. `check` (and `check_hessian`) appear only with `--check`
//! (orders above 2 are not checked), `diagnostics` only when something is not
//! finite.
//! Numbers are printed by serde_json in their shortest round-trip form, and
//! a number that is not finite is printed as `null`.

use cotangent::Mode;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use crate::derivatives::Derivatives;
use crate::diagnostics::Diagnostic;
use crate::higher::{nested, Higher};

/// The name of a Jacobian mode in output: `forward` or `reverse`.
pub fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Forward => "forward",
        Mode::Reverse => "reverse",
    }
}

/// The finite-difference comparison, when `--check` was given.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CheckErrors {
    /// Largest relative error of the Jacobian.
    pub jacobian: f64,
    /// Largest relative error of the Hessians, with `--order 2`.
    pub hessian: Option<f64>,
}

/// The JSON object, borrowing from the computed results.
#[derive(Serialize)]
pub struct Report<'a> {
    /// The differentiation variables, in column order.
    pub wrt: &'a [String],
    /// One value per output.
    pub value: &'a [f64],
    /// `jacobian[i][j] = ∂ output_i / ∂ wrt_j`.
    pub jacobian: &'a [Vec<f64>],
    /// One Hessian per output (only with `--order 2` or more).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hessian: Option<&'a [Vec<Vec<f64>>]>,
    /// `d3`, `d4`, …: the higher derivative tensors (with `--order 3` or more).
    #[serde(flatten)]
    pub higher: HigherJson<'a>,
    /// How the Jacobian was accumulated.
    pub mode: &'static str,
    /// Largest Jacobian error against finite differences (only with `--check`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<f64>,
    /// Largest Hessian error against finite differences (with `--check` and
    /// `--order 2`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check_hessian: Option<f64>,
    /// Explanations of non-finite numbers (only when there are some).
    #[serde(skip_serializing_if = "<[Diagnostic]>::is_empty")]
    pub diagnostics: &'a [Diagnostic],
}

/// The derivatives of orders 3 and up as JSON fields `d3`, `d4`, …, each one
/// nested array per output.
pub struct HigherJson<'a> {
    /// The tensors.
    pub higher: &'a [Higher],
    /// How many `--wrt` variables (the length of every index).
    pub n: usize,
}

impl Serialize for HigherJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.higher.len()))?;
        for h in self.higher {
            let per_output: Vec<serde_json::Value> = h
                .tensors
                .iter()
                .map(|t| nested(t, self.n, h.order))
                .collect();
            map.serialize_entry(&format!("d{}", h.order), &per_output)?;
        }
        map.end()
    }
}

impl<'a> Report<'a> {
    /// Assembles the report.
    pub fn new(
        wrt: &'a [String],
        r: &'a Derivatives,
        check: Option<CheckErrors>,
        diagnostics: &'a [Diagnostic],
    ) -> Report<'a> {
        Report {
            wrt,
            value: &r.values,
            jacobian: &r.jacobian,
            hessian: r.hessians.as_deref(),
            higher: HigherJson {
                higher: &r.higher,
                n: wrt.len(),
            },
            mode: mode_name(r.mode),
            check: check.map(|c| c.jacobian),
            check_hessian: check.and_then(|c| c.hessian),
            diagnostics,
        }
    }

    /// The object as one line of JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("plain data serializes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonfinite_numbers_are_null_and_optional_fields_absent() {
        let wrt = vec!["x".to_string()];
        let r = Derivatives {
            values: vec![f64::NEG_INFINITY],
            jacobian: vec![vec![0.1]],
            hessians: None,
            higher: Vec::new(),
            mode: Mode::Reverse,
        };
        let json = Report::new(&wrt, &r, None, &[]).to_json();
        assert_eq!(
            json,
            r#"{"wrt":["x"],"value":[null],"jacobian":[[0.1]],"mode":"reverse"}"#
        );
    }
}
