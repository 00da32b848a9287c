//! The `--check` option: central finite differences of the expressions,
//! evaluated with plain `f64` arithmetic (independently of the library), and
//! the largest disagreement with the automatic derivatives.
//!
//! First derivatives use `(f(x+h) − f(x−h)) / 2h` with `h = ε^(1/3)·max(1, |x|)`
//! (error around 1e-10 for smooth functions); second derivatives the
//! four-point formula with `h = ε^(1/4)·max(1, |x|)` (error around 1e-7).
//! Errors are measured as `|ad − fd| / max(1, |ad|)`.

use std::collections::HashMap;

use crate::expr::Expr;
use crate::point::Point;

/// Evaluates expressions at a point moved along the `--wrt` axes.
struct Probe<'a> {
    vars: HashMap<String, f64>,
    wrt: &'a [String],
    x: Vec<f64>,
}

impl<'a> Probe<'a> {
    fn new(point: &Point, wrt: &'a [String]) -> Probe<'a> {
        let vars: HashMap<String, f64> = point
            .names
            .iter()
            .cloned()
            .zip(point.values.iter().copied())
            .collect();
        let x = wrt.iter().map(|w| vars[w]).collect();
        Probe { vars, wrt, x }
    }

    /// A step for axis `j` of size about `scale·max(1, |x_j|)`, rounded so
    /// that `x_j + h` is exact.
    fn step(&self, j: usize, scale: f64) -> f64 {
        let x = self.x[j];
        let h = scale * x.abs().max(1.0);
        (x + h) - x
    }

    /// `e` at the point with `moves[k] = (axis, delta)` applied.
    fn eval(&mut self, e: &Expr, moves: &[(usize, f64)]) -> f64 {
        for &(j, d) in moves {
            *self.vars.get_mut(&self.wrt[j]).expect("wrt has values") += d;
        }
        let v = e.eval_f64(&self.vars);
        for (j, x) in self.x.iter().enumerate() {
            *self.vars.get_mut(&self.wrt[j]).expect("wrt has values") = *x;
        }
        v
    }
}

/// Central-difference Jacobian of `exprs` with respect to `wrt`.
pub fn jacobian(exprs: &[&Expr], point: &Point, wrt: &[String]) -> Vec<Vec<f64>> {
    let mut p = Probe::new(point, wrt);
    let scale = f64::EPSILON.cbrt();
    exprs
        .iter()
        .map(|e| {
            (0..wrt.len())
                .map(|j| {
                    let h = p.step(j, scale);
                    (p.eval(e, &[(j, h)]) - p.eval(e, &[(j, -h)])) / (2.0 * h)
                })
                .collect()
        })
        .collect()
}

/// Central-difference Hessian of `e` with respect to `wrt`.
pub fn hessian(e: &Expr, point: &Point, wrt: &[String]) -> Vec<Vec<f64>> {
    let mut p = Probe::new(point, wrt);
    let scale = f64::EPSILON.powf(0.25);
    let n = wrt.len();
    let mut entry = |i: usize, j: usize| {
        let (a, b) = (p.step(i, scale), p.step(j, scale));
        let mut f = |s: f64, t: f64| p.eval(e, &[(i, s * a), (j, t * b)]);
        (f(1.0, 1.0) - f(1.0, -1.0) - f(-1.0, 1.0) + f(-1.0, -1.0)) / (4.0 * a * b)
    };
    let mut h = vec![vec![0.0; n]; n];
    for (i, j) in (0..n).flat_map(|i| (0..=i).map(move |j| (i, j))) {
        let v = entry(i, j);
        h[i][j] = v;
        h[j][i] = v;
    }
    h
}

/// The largest `|ad − fd| / max(1, |ad|)` over all entries. Entries where
/// the automatic derivative is not finite are skipped (they are reported as
/// diagnostics instead); a non-finite finite difference against a finite
/// derivative counts as an infinite error.
pub fn max_error(ad: &[Vec<f64>], fd: &[Vec<f64>]) -> f64 {
    let mut worst: f64 = 0.0;
    for (a, f) in ad.iter().flatten().zip(fd.iter().flatten()) {
        if !a.is_finite() {
            continue;
        }
        let err = if f.is_finite() {
            (a - f).abs() / a.abs().max(1.0)
        } else {
            f64::INFINITY
        };
        worst = worst.max(err);
    }
    worst
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::parse;

    #[test]
    fn differences_of_a_smooth_function() {
        let e = parse("x^3 * y + sin(y)").unwrap();
        let p = Point::parse(&["x=1.5,y=-2".to_string()]).unwrap();
        let wrt = p.wrt(&[]).unwrap();
        let j = jacobian(&[&e], &p, &wrt);
        let want = [[3.0 * 2.25 * -2.0, 3.375 + (-2f64).cos()]];
        assert!(max_error(&want.map(|r| r.to_vec()), &j) < 1e-8, "{j:?}");
        let h = hessian(&e, &p, &wrt);
        let want = [
            vec![6.0 * 1.5 * -2.0, 3.0 * 2.25],
            vec![6.75, -(-2f64).sin()],
        ];
        assert!(max_error(&want, &h) < 1e-6, "{h:?}");
    }
}
