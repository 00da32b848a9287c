//! `det`: the determinant by expansion by minors along the first row, recursively, with the
//! recursion laid out level by level: every minor of one level is handled by one gather, one
//! product and one row sum, so the tensor ops do the same multiplications as the recursive
//! algorithm in about `2ℓ` ops. The gradient is reverse mode (`grad`).

use std::cell::OnceCell;

use cotangent::{grad, Tensor};
use serde::Deserialize;
use serde_json::Value;

use crate::convert::{flat_json, parse, scalar_json, vector};
use crate::modules::{unknown_function, Evaluation};
use crate::runs::{timed, Runs};

#[derive(Deserialize)]
struct Input {
    #[serde(rename = "A")]
    a: Vec<f64>,
    ell: usize,
}

/// One level of the recursion: the sub-minors of every minor of row `row`.
struct Level {
    /// For each sub-minor, the flat index in A of the entry `M[0, j]` that multiplies it.
    entry: Tensor,
    /// The sign `(-1)^j` of each sub-minor's term.
    sign: Tensor,
    /// How many sub-minors each minor of this level has.
    width: usize,
}

/// The recursion's bookkeeping for an `ℓ×ℓ` matrix (which rows and columns each minor keeps).
/// A minor at row `r` is reached by removing one column per row above it; the minors of a level
/// are listed so that the sub-minors of one minor are adjacent and in column order.
pub struct Plan {
    ell: usize,
    /// For the 1×1 minors (the last row), the flat index of their single entry.
    leaves: Tensor,
    /// Rows `ℓ-2` down to 0.
    levels: Vec<Level>,
}

impl Plan {
    /// The plan for `ℓ×ℓ` matrices (`ℓ ≥ 1`).
    pub fn new(ell: usize) -> Plan {
        // Remaining columns of every minor of the current row, minors in order.
        let mut minors: Vec<Vec<usize>> = vec![(0..ell).collect()];
        let mut rows = Vec::new();
        for row in 0..ell.saturating_sub(1) {
            let mut entry = Vec::new();
            let mut sign = Vec::new();
            let mut next = Vec::new();
            for cols in &minors {
                for (j, &c) in cols.iter().enumerate() {
                    entry.push((row * ell + c) as i64);
                    sign.push(if j % 2 == 0 { 1.0 } else { -1.0 });
                    let mut rest = cols.clone();
                    rest.remove(j);
                    next.push(rest);
                }
            }
            let n = entry.len();
            rows.push(Level {
                entry: Tensor::from_vec(entry, &[n]),
                sign: Tensor::from_vec(sign, &[n]),
                width: ell - row,
            });
            minors = next;
        }
        let leaves: Vec<i64> = minors
            .iter()
            .map(|cols| ((ell - 1) * ell + cols[0]) as i64)
            .collect();
        let n = leaves.len();
        rows.reverse();
        Plan {
            ell,
            leaves: Tensor::from_vec(leaves, &[n]),
            levels: rows,
        }
    }

    /// The determinant of the row-major `ℓ×ℓ` matrix `a` (a vector of `ℓ²` entries).
    pub fn det(&self, a: &Tensor) -> Tensor {
        debug_assert_eq!(a.numel(), self.ell * self.ell);
        let mut dets = a.index_select(0, &self.leaves);
        for level in &self.levels {
            let terms = a.index_select(0, &level.entry) * &level.sign * dets;
            let minors = terms.numel() / level.width;
            dets = terms.reshape(&[minors, level.width]).sum_axes(&[1], false);
        }
        dets.reshape(())
    }
}

/// Evaluates `primal` or `gradient`; the plan is made in the first run and reused.
pub fn evaluate(function: &str, input: &Value) -> Result<Evaluation, String> {
    let Input { a, ell } = parse(input)?;
    if ell == 0 || a.len() != ell * ell {
        return Err(format!(
            "bad input: A has {} entries, ell is {ell}",
            a.len()
        ));
    }
    let a = vector(&a);
    let plan = OnceCell::new();
    let plan = || plan.get_or_init(|| Plan::new(ell));
    let runs = Runs::from_input(input);
    let (output, timings) = match function {
        "primal" => {
            let (y, t) = timed(runs, || plan().det(&a));
            (scalar_json(&y), t)
        }
        "gradient" => {
            let (g, t) = timed(runs, || grad(|a: &Tensor| plan().det(a))(&a));
            (flat_json(&g), t)
        }
        _ => return Err(unknown_function("det", function)),
    };
    Ok(Evaluation { output, timings })
}
