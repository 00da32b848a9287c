//! `lse`: LogSumExp with the max trick, `max x + log Σ exp(x - max x)`, written from primitives
//! (a max and a sum), and its gradient by reverse mode.

use cotangent::{grad, Tensor};
use serde::Deserialize;
use serde_json::Value;

use crate::convert::{flat_json, parse, scalar_json, vector};
use crate::modules::{unknown_function, Evaluation};
use crate::runs::{timed, Runs};
use crate::staged::Staged;

#[derive(Deserialize)]
struct Input {
    x: Vec<f64>,
}

/// LogSumExp of a vector.
pub fn lse(x: &Tensor) -> Tensor {
    let a = x.max();
    &a + (x - &a).exp().sum().log()
}

/// Evaluates `primal` or `gradient`.
pub fn evaluate(function: &str, input: &Value) -> Result<Evaluation, String> {
    let x = vector(&parse::<Input>(input)?.x);
    let runs = Runs::from_input(input);
    let (output, timings) = match function {
        "primal" => {
            let f = Staged::new(|x: &[Tensor]| vec![lse(&x[0])]);
            let (y, t) = timed(runs, || f.call(std::slice::from_ref(&x)));
            (scalar_json(&y[0]), t)
        }
        "gradient" => {
            let g = Staged::new(|x: &[Tensor]| vec![grad(lse)(&x[0])]);
            let (g, t) = timed(runs, || g.call(std::slice::from_ref(&x)));
            (flat_json(&g[0]), t)
        }
        _ => return Err(unknown_function("lse", function)),
    };
    Ok(Evaluation { output, timings })
}
