//! `kmeans`: the cost `Σᵢ minⱼ |Cⱼ - Pᵢ|²` (squared distances for all pairs from one matrix
//! product), and the Newton direction `J ⊘ diag(H)`. The Hessian is diagonal, so its diagonal
//! is the Hessian-vector product with a vector of ones; one forward-over-reverse `jvp` of the
//! gradient gives the gradient and that product together.

use cotangent::{grad, jvp, Tensor};
use serde::Deserialize;
use serde_json::Value;

use crate::convert::{matrix, parse, rows_json, scalar_json};
use crate::modules::{unknown_function, Evaluation};
use crate::runs::{timed, Runs};
use crate::staged::Staged;

#[derive(Deserialize)]
struct Input {
    points: Vec<Vec<f64>>,
    centroids: Vec<Vec<f64>>,
}

/// The cost of the centroids `c [k, d]` for the points `p [n, d]`.
pub fn cost(p: &Tensor, c: &Tensor) -> Tensor {
    let pp = p.square().sum_axes(&[1], true);
    let cc = c.square().sum_axes(&[1], false);
    let dist = pp - p.matmul(&c.t()) * 2.0 + cc;
    // min over the centroids as the max of the negated distances.
    -(-dist).max_axes(&[1], false).sum()
}

/// The Newton direction for the centroids `c`.
pub fn dir(p: &Tensor, c: &Tensor) -> Tensor {
    let g = grad(|c: &Tensor| cost(p, c));
    let (j, h) = jvp(|c: &[Tensor]| g(&c[0]), &[c.clone()], &[c.ones_like()]);
    j / h
}

/// Evaluates `cost` or `dir`.
pub fn evaluate(function: &str, input: &Value) -> Result<Evaluation, String> {
    let i: Input = parse(input)?;
    let d = i.points.first().map_or(0, Vec::len);
    let p = matrix(&i.points, d)?;
    let c = matrix(&i.centroids, d)?;
    let runs = Runs::from_input(input);
    let (output, timings) = match function {
        "cost" => {
            let f = Staged::new(|x: &[Tensor]| vec![cost(&x[0], &x[1])]);
            let (y, t) = timed(runs, || f.call(&[p.clone(), c.clone()]));
            (scalar_json(&y[0]), t)
        }
        "dir" => {
            let f = Staged::new(|x: &[Tensor]| vec![dir(&x[0], &x[1])]);
            let (y, t) = timed(runs, || f.call(&[p.clone(), c.clone()]));
            (rows_json(&y[0]), t)
        }
        _ => return Err(unknown_function("kmeans", function)),
    };
    Ok(Evaluation { output, timings })
}
