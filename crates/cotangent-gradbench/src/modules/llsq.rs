//! `llsq`: the linear least-squares objective `½ Σᵢ (sᵢ - Σⱼ xⱼ tᵢʲ)²` with `tᵢ` evenly spaced
//! on [-1, 1] and `sᵢ = sign(tᵢ)`, as a matrix-vector product, and its gradient by reverse mode.

use cotangent::{grad, DType, Tensor};
use serde::Deserialize;
use serde_json::Value;

use crate::convert::{flat_json, parse, scalar_json, vector};
use crate::modules::{unknown_function, Evaluation};
use crate::runs::{timed, Runs};

#[derive(Deserialize)]
struct Input {
    x: Vec<f64>,
    n: usize,
}

/// The objective for `n` sample points at the coefficients `x` (length m).
pub fn objective(x: &Tensor, n: usize) -> Tensor {
    let m = x.numel();
    // tᵢ = -1 + 2i/(n-1), as the reference computes it.
    let i = Tensor::arange(0.0, n as f64, 1.0, DType::F64);
    let t = &i * (2.0 / (n as f64 - 1.0)) - 1.0;
    let s = t.sign();
    // The Vandermonde matrix [n, m]: tᵢ^j.
    let j = Tensor::arange(0.0, m as f64, 1.0, DType::F64).reshape(&[1, m]);
    let powers = t.reshape(&[n, 1]).pow(&j);
    let r = &s - powers.matmul(x);
    r.square().sum() * 0.5
}

/// Evaluates `primal` or `gradient`.
pub fn evaluate(function: &str, input: &Value) -> Result<Evaluation, String> {
    let Input { x, n } = parse(input)?;
    let x = vector(&x);
    let runs = Runs::from_input(input);
    let (output, timings) = match function {
        "primal" => {
            let (y, t) = timed(runs, || objective(&x, n));
            (scalar_json(&y), t)
        }
        "gradient" => {
            let g = grad(|x: &Tensor| objective(x, n));
            let (g, t) = timed(runs, || g(&x));
            (flat_json(&g), t)
        }
        _ => return Err(unknown_function("llsq", function)),
    };
    Ok(Evaluation { output, timings })
}
