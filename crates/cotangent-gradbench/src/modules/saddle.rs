//! `saddle`: the saddle point of `f(p, q) = |p|² - |q|²` by nested gradient descent:
//! `p* = argmin_p max_q f(p, q)`, then `q* = argmax_q f(p*, q)`, all from the given start.
//! The outer descent differentiates through the inner one. The function name picks the modes
//! (`fr`: forward for the outer descent and the final argmax, reverse for the inner one).

use cotangent::Tensor;
use serde::Deserialize;
use serde_json::Value;

use crate::convert::{flat_json, parse};
use crate::modules::descent::{argmax, argmin, max, Mode};
use crate::modules::{unknown_function, Evaluation};
use crate::runs::{timed, Runs};

#[derive(Deserialize)]
struct Input {
    start: [f64; 2],
}

fn f(p: &Tensor, q: &Tensor) -> Tensor {
    p.square().sum() - q.square().sum()
}

/// `[p*, q*]` as one 4-element vector.
pub fn solve(outer: Mode, inner: Mode, start: &Tensor) -> Tensor {
    let max_over_q = |p: &Tensor| max(inner, &|q: &Tensor| f(p, q), start);
    let p = argmin(outer, &max_over_q, start);
    let q = argmax(outer, &|q: &Tensor| f(&p, q), start);
    Tensor::concat(&[p, q], 0)
}

/// Evaluates `ff`, `fr`, `rf` or `rr`.
pub fn evaluate(function: &str, input: &Value) -> Result<Evaluation, String> {
    let Input { start } = parse(input)?;
    let (outer, inner) =
        Mode::pair(function).ok_or_else(|| unknown_function("saddle", function))?;
    let start = Tensor::from_vec(start.to_vec(), &[2]);
    let (y, timings) = timed(Runs::from_input(input), || solve(outer, inner, &start));
    Ok(Evaluation {
        output: flat_json(&y),
        timings,
    })
}
