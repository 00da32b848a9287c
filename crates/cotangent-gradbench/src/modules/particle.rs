//! `particle`: the charged-particle control problem. A particle starts at (0, 8) with velocity
//! (0.75, 0) and is pushed by the gradient of the potential of two charges at (10, 10 - w) and
//! (10, 0); naive Euler steps run until it crosses the x axis, and gradient descent over `w`
//! makes it cross at the origin. The potential's gradient inside the simulation and the
//! descent's gradient over `w` are both from the library (nested AD); the function name picks
//! their modes (`rf`: reverse for the descent, forward for the simulation).

use cotangent::Tensor;
use serde::Deserialize;
use serde_json::Value;

use crate::convert::{parse, scalar_json};
use crate::modules::descent::{argmin, gradient, Mode};
use crate::modules::{unknown_function, Evaluation};
use crate::runs::{timed, Runs};

#[derive(Deserialize)]
struct Input {
    w: f64,
}

/// The squared x coordinate where the particle crosses the x axis, for the control `w` (a
/// 1-element vector), with the potential's gradient in `inner` mode.
pub fn naive_euler(inner: Mode, w: &Tensor) -> Tensor {
    let one = |v: f64| Tensor::from_vec(vec![0.0, v], &[2]);
    let charges = [
        Tensor::from_vec(vec![10.0, 10.0], &[2]) - one(1.0) * w.reshape(()),
        Tensor::from_vec(vec![10.0, 0.0], &[2]),
    ];
    let potential = |x: &Tensor| {
        charges
            .iter()
            .map(|c| (x - c).square().sum().sqrt().recip())
            .reduce(|a, b| a + b)
            .expect("two charges")
    };
    let delta_t = 1e-1;
    let mut x = Tensor::from_vec(vec![0.0, 8.0], &[2]);
    let mut xdot = Tensor::from_vec(vec![0.75, 0.0], &[2]);
    loop {
        let xddot = -gradient(inner, &potential, &x);
        let x_new = &x + &xdot * delta_t;
        if x_new.narrow(0, 1, 1).sum().item::<f64>() > 0.0 {
            x = x_new;
            xdot = &xdot + xddot * delta_t;
        } else {
            break;
        }
    }
    let y = |v: &Tensor| v.narrow(0, 1, 1).sum();
    let delta_t_f = -y(&x) / y(&xdot);
    let x_t_f = &x + &xdot * delta_t_f;
    x_t_f.narrow(0, 0, 1).sum().square()
}

/// The control `w` found by descent from `w0`.
pub fn solve(outer: Mode, inner: Mode, w0: f64) -> Tensor {
    let f = |w: &Tensor| naive_euler(inner, w);
    argmin(outer, &f, &Tensor::from_vec(vec![w0], &[1])).reshape(())
}

/// Evaluates `ff`, `fr`, `rf` or `rr`.
pub fn evaluate(function: &str, input: &Value) -> Result<Evaluation, String> {
    let Input { w } = parse(input)?;
    let (outer, inner) =
        Mode::pair(function).ok_or_else(|| unknown_function("particle", function))?;
    let (y, timings) = timed(Runs::from_input(input), || solve(outer, inner, w));
    Ok(Evaluation {
        output: scalar_json(&y),
        timings,
    })
}
