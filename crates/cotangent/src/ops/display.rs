//! Printing tensors readably: nested brackets like NumPy, long dims elided with `...`, and the
//! dtype and shape after the values.

use std::fmt;

use crate::core::{DType, Storage, Tensor, Value};

const EDGE: usize = 3;
const SUMMARIZE_ABOVE: usize = 1000;

fn format_element(v: f64, dtype: DType) -> String {
    match dtype {
        DType::Bool => (v != 0.0).to_string(),
        DType::I64 => format!("{}", v as i64),
        _ if v.is_finite() && v == v.trunc() && v.abs() < 1e15 => format!("{v:.1}"),
        DType::F32 => format!("{}", v as f32),
        DType::F16 => shortest(v, |x| half::f16::from_f64(x).to_f64()),
        DType::BF16 => shortest(v, |x| half::bf16::from_f64(x).to_f64()),
        _ => format!("{v}"),
    }
}

/// The shortest decimal that rounds back to `v` in a 16-bit type (`round` rounds an f64 into
/// it), as `0.1001` for bf16's 0.10009765625.
fn shortest(v: f64, round: impl Fn(f64) -> f64) -> String {
    for digits in 1..=9 {
        let s = format!("{:.*e}", digits - 1, v);
        if let Ok(x) = s.parse::<f64>() {
            if round(x) == v {
                return format!("{x}");
            }
        }
    }
    format!("{v}")
}

/// One element as f64, read through the tensor's own layout (no copy of the whole tensor).
fn element(v: &Value, index: &[usize]) -> f64 {
    let l = &v.layout;
    let off = l.offset
        + index
            .iter()
            .zip(l.strides.iter())
            .map(|(i, s)| i * s)
            .sum::<usize>();
    match &*v.storage {
        Storage::F32(b) => b[off] as f64,
        Storage::F64(b) => b[off],
        Storage::F16(b) => b[off].to_f64(),
        Storage::BF16(b) => b[off].to_f64(),
        Storage::I64(b) => b[off] as f64,
        Storage::Bool(b) => b[off] as u8 as f64,
        Storage::Abstract(_) => f64::NAN,
    }
}

impl fmt::Display for Tensor {
    /// Only the elements shown are read, so printing a huge (even broadcast) tensor is cheap.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dims = self.dims();
        if self.value().is_abstract() {
            return write!(f, "traced(dtype={}, shape={})", self.dtype(), self.shape());
        }
        let summarize = self.numel() > SUMMARIZE_ABOVE;
        let cell = |index: &[usize]| format_element(element(self.value(), index), self.dtype());
        let mut out = String::from("tensor(");
        if dims.is_empty() {
            out.push_str(&cell(&[]));
        } else {
            write_nested(&mut out, dims, &cell, summarize);
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
/// indices to format the shown elements (and find the column width), one to write them, opening
/// and closing brackets where dims roll over.
fn write_nested(
    out: &mut String,
    dims: &[usize],
    cell: &dyn Fn(&[usize]) -> String,
    summarize: bool,
) {
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
    if lists.iter().any(Vec::is_empty) {
        out.push_str(&"[".repeat(rank));
        out.push_str(&"]".repeat(rank));
        return;
    }
    // First pass: the shown cells in order (None where a dim is elided).
    let mut cells: Vec<Option<String>> = Vec::new();
    let mut pos = vec![0usize; rank];
    let mut index = vec![0usize; rank];
    loop {
        let elided = (0..rank).any(|d| lists[d][pos[d]].is_none());
        cells.push(if elided {
            None
        } else {
            for d in 0..rank {
                index[d] = lists[d][pos[d]].expect("not elided");
            }
            Some(cell(&index))
        });
        if !advance(&mut pos, &lists) {
            break;
        }
    }
    let width = cells
        .iter()
        .flatten()
        .map(|c| c.chars().count())
        .max()
        .unwrap_or(0);
    // Second pass: write them with the brackets.
    let mut pos = vec![0usize; rank];
    out.push_str(&"[".repeat(rank));
    for c in &cells {
        match c {
            Some(c) => out.push_str(&format!("{c:>width$}")),
            None => out.push_str("..."),
        }
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

/// Step a row-major odometer over `lists`; false when it wraps around.
fn advance(pos: &mut [usize], lists: &[Vec<Option<usize>>]) -> bool {
    for d in (0..pos.len()).rev() {
        pos[d] += 1;
        if pos[d] < lists[d].len() {
            return true;
        }
        pos[d] = 0;
    }
    false
}
