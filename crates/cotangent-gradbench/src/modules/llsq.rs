//! `llsq`: the linear least-squares objective `½ Σᵢ (sᵢ - Σⱼ xⱼ tᵢʲ)²` with `tᵢ` evenly spaced
//! on [-1, 1] and `sᵢ = sign(tᵢ)`, and its gradient by reverse mode.

use cotangent::{grad, DType, Tensor};
use serde::Deserialize;
use serde_json::Value;

use crate::convert::{flat_json, parse, scalar_json, vector};
use crate::modules::{unknown_function, Evaluation};
use crate::runs::{timed, Runs};
use crate::staged::Staged;

#[derive(Deserialize)]
struct Input {
    x: Vec<f64>,
    n: usize,
}

/// The objective for `n` sample points at the coefficients `x` (length m); the polynomial
/// `Σⱼ xⱼ tʲ` is evaluated by Horner's rule, an elementwise chain that `jit` fuses.
pub fn objective(x: &Tensor, n: usize) -> Tensor {
    // tᵢ = -1 + 2i/(n-1), as the reference computes it.
    let i = Tensor::arange(0.0, n as f64, 1.0, DType::F64);
    let t = &i * (2.0 / (n as f64 - 1.0)) - 1.0;
    let m = x.numel();
    let mut poly = x.narrow(0, m - 1, 1);
    for j in (0..m - 1).rev() {
        poly = poly * &t + x.narrow(0, j, 1);
    }
    let r = t.sign() - poly;
    r.square().sum() * 0.5
}

/// Evaluates `primal` or `gradient`.
pub fn evaluate(function: &str, input: &Value) -> Result<Evaluation, String> {
    let Input { x, n } = parse(input)?;
    let x = vector(&x);
    let runs = Runs::from_input(input);
    let (output, timings) = match function {
        "primal" => {
            let f = Staged::new(|x: &[Tensor]| vec![objective(&x[0], n)]);
            let (y, t) = timed(runs, || f.call(std::slice::from_ref(&x)));
            (scalar_json(&y[0]), t)
        }
        "gradient" => {
            let g = Staged::new(|x: &[Tensor]| vec![grad(|x: &Tensor| objective(x, n))(&x[0])]);
            let (g, t) = timed(runs, || g.call(std::slice::from_ref(&x)));
            (flat_json(&g[0]), t)
        }
        _ => return Err(unknown_function("llsq", function)),
    };
    Ok(Evaluation { output, timings })
}
