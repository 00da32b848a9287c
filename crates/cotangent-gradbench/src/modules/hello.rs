//! `hello`: `square(x) = x²` and `double`, its derivative by `grad`. Inputs and outputs are
//! bare numbers, one run each.

use cotangent::{grad, Tensor};
use serde_json::Value;

use crate::convert::{parse, scalar_json};
use crate::modules::{unknown_function, Evaluation};
use crate::runs::{timed, Runs};

fn square(x: &Tensor) -> Tensor {
    x * x
}

/// Evaluates `square` or `double` at the number `input`.
pub fn evaluate(function: &str, input: &Value) -> Result<Evaluation, String> {
    let x = Tensor::scalar(parse::<f64>(input)?);
    let once = Runs {
        min_runs: 1,
        min_seconds: 0.0,
    };
    let (y, timings) = match function {
        "square" => timed(once, || square(&x)),
        "double" => timed(once, || grad(square)(&x)),
        _ => return Err(unknown_function("hello", function)),
    };
    Ok(Evaluation {
        output: scalar_json(&y),
        timings,
    })
}
