//! Derivatives of order three and more: the symmetric tensor
//! `∂^k f / ∂x_i ∂x_j …` of one output, from nested transformations of the
//! library (`jacfwd(… jacfwd(grad(f)))`, forward over forward over reverse,
//! as [`cotangent::hessian`] is for `k = 2`).
//!
//! A tensor is kept flat, row-major over its `k` indices (each `0..n`, in
//! `--wrt` order). For people, [`distinct`] lists each distinct partial once
//! (indices in non-decreasing order: a smooth function's tensor is symmetric)
//! with a label such as `∂³/∂x1∂x2²`; for JSON, [`nested`] turns it into
//! arrays indexed `[i][j][k]…`.

use cotangent::{grad, jacfwd, Tensor};
use serde_json::Value;

/// The highest `--order`. The library nests up to 63 transformations, but
/// time and memory grow faster than `n^k` (order 10 in 3 variables already
/// takes seconds and gigabytes), so higher orders would only be slow.
pub const MAX_ORDER: u8 = 10;

/// The derivatives of one order `k ≥ 3`, one tensor per output.
#[derive(Clone, Debug, PartialEq)]
pub struct Higher {
    /// The order `k`.
    pub order: usize,
    /// `tensors[o]` holds the `n^k` entries `∂^k output_o / ∂x_i ∂x_j …`,
    /// row-major (empty when there are no `--wrt` variables).
    pub tensors: Vec<Vec<f64>>,
}

/// The `k`-th derivative tensor (`k ≥ 1`) of the scalar function `f` at the
/// 1-D `x`, flat and row-major: `n^k` numbers for `n = x.len()`.
///
/// # Panics
///
/// Panics if `k` is 0.
pub fn derivative<'a>(f: impl Fn(&Tensor) -> Tensor + 'a, x: &Tensor, k: usize) -> Vec<f64> {
    assert!(k >= 1, "order 0 is the value");
    let mut g: Box<dyn Fn(&Tensor) -> Tensor + 'a> = Box::new(grad(f));
    for _ in 1..k {
        g = Box::new(jacfwd(g));
    }
    g(x).to_f64_vec()
}

/// The flat `tensor` of order `k` over `n` variables as nested JSON arrays,
/// indexed `[i][j]…`; a number that is not finite becomes `null`.
pub fn nested(tensor: &[f64], n: usize, k: usize) -> Value {
    if k == 0 {
        return tensor.first().map_or(Value::Null, |&v| Value::from(v));
    }
    if n == 0 || tensor.is_empty() {
        return Value::Array(Vec::new());
    }
    let chunk = tensor.len() / n;
    Value::Array(tensor.chunks(chunk).map(|c| nested(c, n, k - 1)).collect())
}

/// The multi-indices of order `k` over `n` variables with non-decreasing
/// entries (`[0,0,1]` but not `[0,1,0]`), in lexicographic order, each with
/// its position in the flat tensor.
pub fn distinct(n: usize, k: usize) -> Vec<(Vec<usize>, usize)> {
    let mut out = Vec::new();
    if n == 0 {
        return out;
    }
    let mut idx = vec![0usize; k];
    loop {
        let flat = idx.iter().fold(0, |acc, &i| acc * n + i);
        out.push((idx.clone(), flat));
        // The next non-decreasing index: bump the last entry below n - 1 and
        // set the ones after it to the same value.
        let Some(p) = idx.iter().rposition(|&i| i + 1 < n) else {
            return out;
        };
        let v = idx[p] + 1;
        idx[p..].iter_mut().for_each(|i| *i = v);
    }
}

/// Superscript digits for an exponent (`2` → `²`, `10` → `¹⁰`).
fn superscript(k: usize) -> String {
    const DIGITS: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    k.to_string()
        .bytes()
        .map(|b| DIGITS[usize::from(b - b'0')])
        .collect()
}

/// The partial derivative with multi-index `idx` written out, repeated
/// variables with an exponent: `[0, 1, 1]` over `x1, x2` is `∂³/∂x1∂x2²`.
pub fn label(idx: &[usize], wrt: &[String]) -> String {
    let mut out = format!("∂{}/", superscript(idx.len()));
    let mut i = 0;
    while i < idx.len() {
        let run = idx[i..].iter().take_while(|&&j| j == idx[i]).count();
        out.push('∂');
        out.push_str(&wrt[idx[i]]);
        if run > 1 {
            out.push_str(&superscript(run));
        }
        i += run;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn third_derivative_of_a_cube() {
        // f = x0^3 x1: ∂³f/∂x0³ = 6 x1, ∂³f/∂x0²∂x1 = 6 x0, the others 0.
        let f = |x: &Tensor| {
            let (a, b) = (x.narrow(0, 0, 1).reshape(()), x.narrow(0, 1, 1).reshape(()));
            &(&a * &a) * &(&a * &b)
        };
        let x = Tensor::from_vec(vec![2.0, 5.0], &[2]);
        let t = derivative(f, &x, 3);
        assert_eq!(t, [30.0, 12.0, 12.0, 0.0, 12.0, 0.0, 0.0, 0.0]);
        assert_eq!(derivative(f, &x, 1), [60.0, 8.0]);
    }

    #[test]
    fn nested_arrays_and_distinct_entries() {
        let t: Vec<f64> = (0..8).map(f64::from).collect();
        assert_eq!(
            nested(&t, 2, 3).to_string(),
            "[[[0.0,1.0],[2.0,3.0]],[[4.0,5.0],[6.0,7.0]]]"
        );
        assert_eq!(nested(&[f64::NAN], 1, 1).to_string(), "[null]");
        assert_eq!(nested(&[], 0, 3).to_string(), "[]");
        let d: Vec<Vec<usize>> = distinct(3, 2).into_iter().map(|(i, _)| i).collect();
        assert_eq!(d, [[0, 0], [0, 1], [0, 2], [1, 1], [1, 2], [2, 2]]);
        let flat: Vec<usize> = distinct(2, 3).into_iter().map(|(_, f)| f).collect();
        assert_eq!(flat, [0, 1, 3, 7]);
        assert_eq!(distinct(2, 4).len(), 5);
        assert!(distinct(0, 3).is_empty());
        let wrt = ["x1".to_string(), "x2".to_string()];
        assert_eq!(label(&[0, 1, 1], &wrt), "∂³/∂x1∂x2²");
        assert_eq!(label(&[1, 1, 1, 1], &wrt), "∂⁴/∂x2⁴");
        assert_eq!(superscript(10), "¹⁰");
    }
}
