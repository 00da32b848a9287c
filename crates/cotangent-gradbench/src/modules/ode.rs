//! `ode`: `s` classical Runge–Kutta steps on `[0, 2]` for `y₀' = x₀`, `yᵢ' = xᵢ yᵢ₋₁`
//! from `y(0) = 0` (the system the reference implements), and the gradient of the last
//! component of `y(2)` with respect to `x` by reverse mode (`grad`) through the loop.

use cotangent::{grad, Tensor};
use serde::Deserialize;
use serde_json::Value;

use crate::convert::{flat_json, parse, vector};
use crate::modules::{unknown_function, Evaluation};
use crate::runs::{timed, Runs};
use crate::staged::Staged;

#[derive(Deserialize)]
struct Input {
    x: Vec<f64>,
    s: usize,
}

/// The right-hand side: `[x₀, x₁y₀, x₂y₁, …]`.
fn rhs(x: &Tensor, y: &Tensor) -> Tensor {
    let n = x.numel();
    let head = x.narrow(0, 0, 1);
    let tail = x.narrow(0, 1, n - 1) * y.narrow(0, 0, n - 1);
    Tensor::concat(&[head, tail], 0)
}

/// `y(2)` after `s` steps.
pub fn primal(x: &Tensor, s: usize) -> Tensor {
    let h = 2.0 / s as f64;
    let mut y = x.zeros_like();
    for _ in 0..s {
        let k1 = rhs(x, &y);
        let k2 = rhs(x, &(&y + &k1 * (h / 2.0)));
        let k3 = rhs(x, &(&y + &k2 * (h / 2.0)));
        let k4 = rhs(x, &(&y + &k3 * h));
        y = &y + (k1 + k2 * 2.0 + k3 * 2.0 + k4) * (h / 6.0);
    }
    y
}

type Fn1<'a> = Box<dyn Fn(&[Tensor]) -> Vec<Tensor> + 'a>;

/// Evaluates `primal` or `gradient`.
pub fn evaluate(function: &str, input: &Value) -> Result<Evaluation, String> {
    let Input { x, s } = parse(input)?;
    if x.is_empty() || s == 0 {
        return Err("bad input: x must be non-empty and s positive".into());
    }
    let n = x.len();
    let x = vector(&x);
    let runs = Runs::from_input(input);
    let last = |x: &Tensor| primal(x, s).narrow(0, n - 1, 1).sum();
    let f = match function {
        "primal" => Staged::new(Box::new(|x: &[Tensor]| vec![primal(&x[0], s)]) as Fn1),
        "gradient" => Staged::new(Box::new(|x: &[Tensor]| vec![grad(last)(&x[0])]) as Fn1),
        _ => return Err(unknown_function("ode", function)),
    };
    let (y, timings) = timed(runs, || f.call(std::slice::from_ref(&x)));
    let y = &y[0];
    Ok(Evaluation {
        output: flat_json(y),
        timings,
    })
}
