//! `lstm`: the ADBench LSTM loss, `l` stacked elementwise LSTM layers over a `c`-character
//! sequence of `b`-bit characters, and its gradient with respect to the main and extra
//! parameters by reverse mode (`grad_n`) through the sequence loop. The recurrence is a `scan`
//! (under `jit` one primitive, whose reverse mode is a reverse scan), and only the recurrence:
//! the input weighting, the output layer and the loss of all steps are each computed once for
//! the whole sequence.

use cotangent::{grad_n, scan, Tensor};
use serde::Deserialize;
use serde_json::Value;

use crate::convert::{matrix, parse, scalar_json};
use crate::modules::{unknown_function, Evaluation};
use crate::runs::{timed, Runs};
use crate::staged::Staged;

#[derive(Deserialize)]
struct Input {
    main_params: Vec<Vec<f64>>,
    extra_params: Vec<Vec<f64>>,
    state: Vec<Vec<f64>>,
    sequence: Vec<Vec<f64>>,
}

/// Row `r` of a matrix, columns `[start, start + len)`.
fn part(m: &Tensor, r: usize, start: usize, len: usize) -> Tensor {
    m.narrow(0, r, 1).narrow(1, start, len).reshape(&[len])
}

/// The loss for `main [2l, 4b]` (per layer a row of weights and a row of biases, each the
/// forget, input, output and change gates), `extra [3, b]` (input weight, output weight,
/// output bias), the initial `state [2l, b]` (hidden and cell per layer) and the one-hot
/// `sequence [c, b]`.
pub fn objective(main: &Tensor, extra: &Tensor, state: &Tensor, sequence: &Tensor) -> Tensor {
    let layers = main.dims()[0] / 2;
    let (c, b) = (sequence.dims()[0], sequence.dims()[1]);
    let steps = c - 1;
    let gate = |layer: usize, row: usize, g: usize| part(main, 2 * layer + row, g * b, b);
    // The carry: every layer's hidden state, then every layer's cell state.
    let mut init: Vec<Tensor> = (0..layers).map(|i| part(state, 2 * i, 0, b)).collect();
    init.extend((0..layers).map(|i| part(state, 2 * i + 1, 0, b)));
    let inputs = sequence.narrow(0, 0, steps) * part(extra, 0, 0, b);
    let step = |carry: &[Tensor], input: &[Tensor]| {
        let (hidden, cell) = carry.split_at(layers);
        let mut next_hidden = Vec::with_capacity(layers);
        let mut next_cell = Vec::with_capacity(layers);
        let mut x = input[0].clone();
        for i in 0..layers {
            let h = &hidden[i];
            let forget = (&x * gate(i, 0, 0) + gate(i, 1, 0)).sigmoid();
            let ingate = (h * gate(i, 0, 1) + gate(i, 1, 1)).sigmoid();
            let outgate = (&x * gate(i, 0, 2) + gate(i, 1, 2)).sigmoid();
            let change = (h * gate(i, 0, 3) + gate(i, 1, 3)).tanh();
            let c = &cell[i] * forget + ingate * change;
            x = outgate * c.tanh();
            next_hidden.push(x.clone());
            next_cell.push(c);
        }
        next_hidden.extend(next_cell);
        (next_hidden, vec![x])
    };
    let (_, outputs) = scan(step, &init, &[inputs]);
    let ypred = &outputs[0] * part(extra, 1, 0, b) + part(extra, 2, 0, b);
    // The reference's log-sum-exp adds 2 inside the logarithm.
    let lse = (ypred.exp().sum_axes(&[1], true) + 2.0).log();
    let gold = sequence.narrow(0, 1, steps);
    -((ypred - lse) * gold).sum() / (steps * b) as f64
}

/// Evaluates `objective` or `jacobian` (the gradient of the main then the extra parameters,
/// each flattened row by row).
pub fn evaluate(function: &str, input: &Value) -> Result<Evaluation, String> {
    let i: Input = parse(input)?;
    // The character width, as the reference reads it: a quarter of a main-parameter row.
    let b = i.main_params.first().map_or(0, Vec::len) / 4;
    let params = [matrix(&i.main_params, 4 * b)?, matrix(&i.extra_params, b)?];
    let state = matrix(&i.state, b)?;
    let sequence = matrix(&i.sequence, b)?;
    if sequence.dims()[0] < 2 {
        return Err("bad input: the sequence needs at least two characters".into());
    }
    let f = |p: &[Tensor]| objective(&p[0], &p[1], &state, &sequence);
    let runs = Runs::from_input(input);
    let (output, timings) = match function {
        "objective" => {
            let f = Staged::new(|p: &[Tensor]| vec![f(p)]);
            let (y, t) = timed(runs, || f.call(&params));
            (scalar_json(&y[0]), t)
        }
        "jacobian" => {
            let g = Staged::new(grad_n(f));
            let (g, t) = timed(runs, || g.call(&params));
            let mut flat = g[0].to_vec::<f64>();
            flat.extend(g[1].to_vec::<f64>());
            (Value::from(flat), t)
        }
        _ => return Err(unknown_function("lstm", function)),
    };
    Ok(Evaluation { output, timings })
}
