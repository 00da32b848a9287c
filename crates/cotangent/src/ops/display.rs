//! Printing tensors readably: nested brackets like NumPy, long dims elided with `...`, and the
//! dtype and shape after the values.

use std::fmt;

use crate::core::{DType, Tensor};

const EDGE: usize = 3;
const SUMMARIZE_ABOVE: usize = 1000;

fn format_element(v: f64, dtype: DType) -> String {
    match dtype {
        DType::Bool => (v != 0.0).to_string(),
        DType::I64 => format!("{}", v as i64),
        _ if v.is_finite() && v == v.trunc() && v.abs() < 1e15 => format!("{v:.1}"),
        DType::F32 => format!("{}", v as f32),
        _ => format!("{v}"),
    }
}

impl fmt::Display for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let values = self.to_f64_vec();
        let dims = self.dims();
        let summarize = values.len() > SUMMARIZE_ABOVE;
        let strs: Vec<String> = values
            .iter()
            .map(|&v| format_element(v, self.dtype()))
            .collect();
        let width = strs.iter().map(String::len).max().unwrap_or(0);
        let mut out = String::from("tensor(");
        if dims.is_empty() {
            out.push_str(&strs[0]);
        } else {
            write_nested(&mut out, dims, &strs, width, summarize);
        }
        write!(f, "{out}, dtype={}, shape={})", self.dtype(), self.shape())
    }
}

impl fmt::Debug for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)?;
        if let Some(op) = self.op_name() {
            write!(f, " <{op}>")?;
        }
        Ok(())
    }
}

/// Writes the nested brackets iteratively: one pass over the (possibly elided) row-major
/// indices, opening and closing brackets where dims roll over.
fn write_nested(out: &mut String, dims: &[usize], strs: &[String], width: usize, summarize: bool) {
    let rank = dims.len();
    let shown = |d: usize| -> Vec<Option<usize>> {
        let n = dims[d];
        if summarize && n > 2 * EDGE {
            (0..EDGE)
                .map(Some)
                .chain([None])
                .chain((n - EDGE..n).map(Some))
                .collect()
        } else {
            (0..n).map(Some).collect()
        }
    };
    let lists: Vec<Vec<Option<usize>>> = (0..rank).map(shown).collect();
    let strides: Vec<usize> = {
        let mut s = vec![1; rank];
        for d in (0..rank.saturating_sub(1)).rev() {
            s[d] = s[d + 1] * dims[d + 1];
        }
        s
    };
    if lists.iter().any(Vec::is_empty) {
        out.push_str(&"[".repeat(rank));
        out.push_str(&"]".repeat(rank));
        return;
    }
    let mut pos = vec![0usize; rank];
    out.push_str(&"[".repeat(rank));
    loop {
        let elided = (0..rank).any(|d| lists[d][pos[d]].is_none());
        if elided {
            out.push_str("...");
        } else {
            let off: usize = (0..rank)
                .map(|d| lists[d][pos[d]].unwrap() * strides[d])
                .sum();
            out.push_str(&format!("{:>width$}", strs[off]));
        }
        // advance
        let mut d = rank - 1;
        loop {
            pos[d] += 1;
            if pos[d] < lists[d].len() {
                break;
            }
            pos[d] = 0;
            out.push(']');
            if d == 0 {
                return;
            }
            d -= 1;
        }
        let closed = rank - 1 - d;
        out.push(',');
        if closed > 0 {
            out.push_str(&"\n".repeat(closed.min(2)));
            out.push_str(&" ".repeat(8 + d));
            out.push_str(&"[".repeat(closed));
        } else {
            out.push(' ');
        }
    }
}
