//! Values, Jacobian and Hessians of several expressions, seen as one
//! function `R^n → R^m` of the `--wrt` variables.
//!
//! The input is one 1-D f64 tensor `x` holding the `--wrt` variables; each
//! expression reads its components with `narrow`, takes the other variables
//! as constants, and the outputs are stacked into one 1-D tensor. The
//! Jacobian comes from [`cotangent::try_jacobian_in`] in the chosen mode
//! (forward: one JVP pass per input; reverse: one VJP pass per output), each
//! Hessian from [`cotangent::hessian`] (forward-over-reverse), and with
//! `--order 3` and up each higher derivative tensor from
//! [`crate::higher::derivative`] (more forward passes over those).
//!
//! One caveat of stacking: in reverse mode, the pass for output `i` sends a
//! zero cotangent into the graphs of the other outputs, and where one of
//! them has an infinite local derivative (`sqrt` at 0, `log` at 0), `0 · ∞`
//! puts a NaN into row `i` although output `i` does not depend on it. So when
//! a reverse-mode row has a non-finite entry and there are several outputs,
//! that row is recomputed from its own output alone (still one reverse pass).
//! Forward mode has no such cross-talk: each output's tangent depends on its
//! own graph only. Within one output it has the same effect, as in JAX: the
//! pass for input `j` gives the other inputs a zero (not an absent) tangent,
//! so `∂(x + sqrt(y))/∂x` at `y = 0` is NaN in forward mode and 1 in reverse.

use cotangent::{hessian, try_jacobian_in, Mode, Tensor};

use crate::build::{build, scalar_value};
use crate::dag::Dag;
use crate::higher::{derivative, Higher};
use crate::point::Point;

/// What [`differentiate`] computed.
#[derive(Clone, Debug, PartialEq)]
pub struct Derivatives {
    /// One value per output.
    pub values: Vec<f64>,
    /// `jacobian[i][j] = ∂ output_i / ∂ wrt_j`.
    pub jacobian: Vec<Vec<f64>>,
    /// One `n × n` Hessian per output, when asked for.
    pub hessians: Option<Vec<Vec<Vec<f64>>>>,
    /// The derivatives of orders 3, 4, … up to `--order` (empty below 3).
    pub higher: Vec<Higher>,
    /// The mode the Jacobian was accumulated in.
    pub mode: Mode,
}

/// The output of `dag` as a rank-0 tensor, reading `--wrt` variables from
/// `x` and the others from `point`.
fn output(dag: &Dag, x: &Tensor, point: &Point, wrt: &[String]) -> Tensor {
    let vars: Vec<Tensor> = dag
        .vars
        .iter()
        .map(|name| match wrt.iter().position(|w| w == name) {
            Some(j) => x.narrow(0, j, 1).reshape(()),
            None => Tensor::scalar(
                point
                    .get(name)
                    .expect("checked: every variable has a value"),
            ),
        })
        .collect();
    build(dag, &vars, None).root
}

/// Splits a row-major `rows × cols` buffer into rows.
fn rows(data: &[f64], cols: usize) -> Vec<Vec<f64>> {
    if cols == 0 {
        return Vec::new();
    }
    data.chunks(cols).map(<[f64]>::to_vec).collect()
}

/// Evaluates and differentiates `dags` (the outputs, in order) at `point`
/// with respect to `wrt`. `mode` `None` lets the library choose: forward when
/// there are fewer inputs than outputs. With `second`, also one Hessian per
/// output (see [`differentiate_to`] for higher orders).
///
/// # Panics
///
/// Panics if a variable of a graph has no value in `point` (callers check
/// with [`crate::source::check_values`] first).
pub fn differentiate(
    dags: &[&Dag],
    point: &Point,
    wrt: &[String],
    mode: Option<Mode>,
    second: bool,
) -> Derivatives {
    differentiate_to(dags, point, wrt, mode, if second { 2 } else { 1 })
}

/// Like [`differentiate`], up to derivatives of order `order`: with 2 or
/// more also one Hessian per output, with 3 or more also the tensors of
/// orders 3 to `order` (see [`crate::higher`]).
///
/// # Panics
///
/// As [`differentiate`].
pub fn differentiate_to(
    dags: &[&Dag],
    point: &Point,
    wrt: &[String],
    mode: Option<Mode>,
    order: u8,
) -> Derivatives {
    let (n, m) = (wrt.len(), dags.len());
    let x_values: Vec<f64> = wrt
        .iter()
        .map(|w| point.get(w).expect("checked: --wrt names have values"))
        .collect();
    let x = Tensor::from_vec(x_values, &[n]);
    let f = |x: &Tensor| {
        let outs: Vec<Tensor> = dags.iter().map(|d| output(d, x, point, wrt)).collect();
        Tensor::stack(&outs, 0)
    };
    let (values, jacobian, mode) = if n == 0 {
        let values = f(&x).to_f64_vec();
        let mode = mode.unwrap_or_else(|| Mode::choose(n, m));
        (values, vec![Vec::new(); m], mode)
    } else {
        let mut values = Vec::new();
        let (jac, mode) = try_jacobian_in(
            |x: &Tensor| {
                let y = f(x);
                values = y.to_f64_vec();
                y
            },
            &x,
            mode,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let mut jacobian = rows(&jac.to_f64_vec(), n);
        if mode == Mode::Reverse && m > 1 {
            for (d, row) in dags.iter().zip(&mut jacobian) {
                if row.iter().all(|v| v.is_finite()) {
                    continue;
                }
                let one = |x: &Tensor| output(d, x, point, wrt).reshape(&[1]);
                let (alone, _) =
                    try_jacobian_in(one, &x, Some(Mode::Reverse)).unwrap_or_else(|e| panic!("{e}"));
                *row = alone.to_f64_vec();
            }
        }
        (values, jacobian, mode)
    };
    let hessians = (order >= 2).then(|| {
        dags.iter()
            .map(|d| {
                if n == 0 {
                    return Vec::new();
                }
                let h = hessian(|x: &Tensor| output(d, x, point, wrt))(&x);
                rows(&h.to_f64_vec(), n)
            })
            .collect()
    });
    let higher = (3..=usize::from(order))
        .map(|k| Higher {
            order: k,
            tensors: dags
                .iter()
                .map(|d| {
                    if n == 0 {
                        return Vec::new();
                    }
                    derivative(|x: &Tensor| output(d, x, point, wrt), &x, k)
                })
                .collect(),
        })
        .collect();
    Derivatives {
        values,
        jacobian,
        hessians,
        higher,
        mode,
    }
}

/// The value of one graph at `point`, without differentiating.
pub fn value(dag: &Dag, point: &Point) -> f64 {
    let vars: Vec<Tensor> = point
        .values_of(&dag.vars)
        .into_iter()
        .map(Tensor::scalar)
        .collect();
    scalar_value(&build(dag, &vars, None).root)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::parse;

    fn dag(src: &str) -> Dag {
        Dag::from_expr(&parse(src).unwrap())
    }

    fn point(s: &str) -> Point {
        Point::parse(&[s.to_string()]).unwrap()
    }

    #[test]
    fn jacobian_in_both_modes() {
        let (a, b) = (dag("x*y"), dag("sin(x) + z"));
        let p = point("x=2,y=3,z=1");
        let wrt: Vec<String> = vec!["x".into(), "y".into()];
        let fwd = differentiate(&[&a, &b], &p, &wrt, Some(Mode::Forward), false);
        let rev = differentiate(&[&a, &b], &p, &wrt, Some(Mode::Reverse), false);
        assert_eq!(fwd.values, [6.0, 2f64.sin() + 1.0]);
        assert_eq!(fwd.jacobian, [[3.0, 2.0], [2f64.cos(), 0.0]]);
        assert_eq!(fwd.jacobian, rev.jacobian);
        assert_eq!((fwd.mode, rev.mode), (Mode::Forward, Mode::Reverse));
        let auto = differentiate(&[&a], &p, &wrt, None, false);
        assert_eq!(auto.mode, Mode::Reverse);
    }

    #[test]
    fn reverse_rows_do_not_see_other_outputs_infinities() {
        let (a, b) = (dag("sqrt(y)"), dag("x"));
        let p = point("x=2,y=0");
        let wrt: Vec<String> = vec!["x".into(), "y".into()];
        for mode in [Mode::Forward, Mode::Reverse] {
            let r = differentiate(&[&a, &b], &p, &wrt, Some(mode), false);
            assert_eq!(r.jacobian[0][1], f64::INFINITY);
            assert_eq!(r.jacobian[1], [1.0, 0.0], "{mode:?}");
        }
        // Within one output, forward mode's zero tangent meets sqrt'(0) = ∞.
        let r = differentiate(&[&a, &b], &p, &wrt, Some(Mode::Forward), false);
        assert!(r.jacobian[0][0].is_nan());
        let r = differentiate(&[&a, &b], &p, &wrt, Some(Mode::Reverse), false);
        assert_eq!(r.jacobian[0][0], 0.0);
    }

    #[test]
    fn hessian_of_a_product() {
        let d = dag("x^2 * y");
        let p = point("x=3,y=5");
        let wrt: Vec<String> = vec!["x".into(), "y".into()];
        let r = differentiate(&[&d], &p, &wrt, None, true);
        assert_eq!(r.hessians.unwrap()[0], [[10.0, 6.0], [6.0, 0.0]]);
    }

    #[test]
    fn third_and_fourth_derivatives() {
        // f = x^2 y^3 at (2, 3).
        let d = dag("x^2 * y^3");
        let p = point("x=2,y=3");
        let wrt: Vec<String> = vec!["x".into(), "y".into()];
        let r = differentiate_to(&[&d], &p, &wrt, None, 4);
        assert_eq!(r.hessians.unwrap()[0], [[54.0, 108.0], [108.0, 72.0]]);
        let [h3, h4] = &r.higher[..] else {
            panic!("{:?}", r.higher)
        };
        assert_eq!((h3.order, h4.order), (3, 4));
        // [i][j][k] row-major: xxx, xxy, xyx, xyy, yxx, yxy, yyx, yyy.
        assert_eq!(
            h3.tensors[0],
            [0.0, 54.0, 54.0, 72.0, 54.0, 72.0, 72.0, 24.0]
        );
        let t = &h4.tensors[0];
        assert_eq!(
            (t[0b0011], t[0b0101], t[0b0111], t[0b1111]),
            (36.0, 36.0, 24.0, 0.0)
        );
        assert!(differentiate(&[&d], &p, &wrt, None, true).higher.is_empty());
    }

    #[test]
    fn no_wrt_variables() {
        let d = dag("x + 1");
        let r = differentiate_to(&[&d], &point("x=1"), &[], None, 3);
        assert_eq!(r.higher[0].tensors, [Vec::<f64>::new()]);
        assert_eq!(r.values, [2.0]);
        assert_eq!(r.jacobian, [Vec::<f64>::new()]);
        assert_eq!(value(&d, &point("x=1")), 2.0);
    }
}
