//! `gmm`: the log posterior of a Gaussian mixture model with a Wishart prior on the precision
//! matrices, vectorized over points and components (one matrix product for all `Q_k x_i`), and
//! its gradient with respect to `alpha`, `mu`, `q` and `l` by reverse mode (`grad_n`).

use cotangent::{grad_n, DType, Tensor};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::convert::{flat_json, matrix, parse, rows_json, scalar_json, vector};
use crate::modules::{unknown_function, Evaluation};
use crate::runs::{timed, Runs};
use crate::staged::Staged;

#[derive(Deserialize)]
struct Input {
    d: usize,
    k: usize,
    n: usize,
    alpha: Vec<f64>,
    mu: Vec<Vec<f64>>,
    q: Vec<Vec<f64>>,
    l: Vec<Vec<f64>>,
    x: Vec<Vec<f64>>,
    m: usize,
    gamma: f64,
}

/// The data of one problem: everything but the independent variables.
pub struct Problem {
    d: usize,
    k: usize,
    n: usize,
    x: Tensor,
    m: f64,
    gamma: f64,
    /// For each entry of a `D×D` matrix, its position in `[0, l_k]`: 0 on and above the
    /// diagonal, `1 + index in l_k` below it (filled column by column).
    lower: Tensor,
}

impl Problem {
    fn new(d: usize, k: usize, n: usize, x: Tensor, m: f64, gamma: f64) -> Problem {
        let mut lower = vec![0i64; d * d];
        let mut next = 1;
        for col in 0..d {
            for row in col + 1..d {
                lower[row * d + col] = next;
                next += 1;
            }
        }
        Problem {
            d,
            k,
            n,
            x,
            m,
            gamma,
            lower: Tensor::from_vec(lower, &[d * d]),
        }
    }

    /// The log posterior at `alpha [K]`, `mu [K, D]`, `q [K, D]`, `l [K, D(D-1)/2]`.
    pub fn objective(&self, alpha: &Tensor, mu: &Tensor, q: &Tensor, l: &Tensor) -> Tensor {
        let (d, k, n) = (self.d, self.k, self.n);
        // Q_k = diag(exp q_k) + the strictly lower part filled from l_k: [K, D, D].
        let padded = Tensor::concat(&[Tensor::zeros(&[k, 1], DType::F64), l.clone()], 1);
        let strict = padded.index_select(1, &self.lower).reshape(&[k, d, d]);
        let qdiag = q.exp();
        let eye = Tensor::eye(d, DType::F64);
        let big_q = strict + qdiag.reshape(&[k, d, 1]) * &eye;
        // Q_k (x_i - mu_k) = Q_k x_i - Q_k mu_k, the first for all i and k in one product.
        let qx = self
            .x
            .matmul(&big_q.reshape(&[k * d, d]).t())
            .reshape(&[n, k, d]);
        let qmu = big_q.matmul(&mu.reshape(&[k, d, 1])).reshape(&[1, k, d]);
        let sqnorm = (qx - qmu).square().sum_axes(&[2], false);
        let sum_q = q.sum_axes(&[1], false);
        let beta = (alpha + &sum_q).reshape(&[1, k]) - sqnorm * 0.5;
        let log_likelihood = beta.logsumexp(&[1], false).sum()
            - alpha.logsumexp(&[0], false) * n as f64
            - n as f64 * d as f64 * 0.5 * (2.0 * std::f64::consts::PI).ln();
        let frobenius = qdiag.square().sum() + l.square().sum();
        let log_prior = frobenius * (-0.5 * self.gamma * self.gamma)
            + sum_q.sum() * self.m
            + k as f64 * self.prior_constant();
        log_likelihood + log_prior
    }

    /// `nD log(γ/√2) - log Γ_D(n/2)` with `n = D + m + 1`.
    fn prior_constant(&self) -> f64 {
        let d = self.d as f64;
        let n = d + self.m + 1.0;
        let log_gamma_d = 0.25 * d * (d - 1.0) * std::f64::consts::PI.ln()
            + (1..=self.d)
                .map(|j| libm::lgamma(0.5 * n + 0.5 * (1.0 - j as f64)))
                .sum::<f64>();
        n * d * (self.gamma.ln() - 0.5 * 2f64.ln()) - log_gamma_d
    }
}

/// Evaluates `objective` or `jacobian`.
pub fn evaluate(function: &str, input: &Value) -> Result<Evaluation, String> {
    let i: Input = parse(input)?;
    let (d, k) = (i.d, i.k);
    let problem = Problem::new(d, k, i.n, matrix(&i.x, d)?, i.m as f64, i.gamma);
    let params = [
        vector(&i.alpha),
        matrix(&i.mu, d)?,
        matrix(&i.q, d)?,
        matrix(&i.l, d * d.saturating_sub(1) / 2)?,
    ];
    let f = |p: &[Tensor]| problem.objective(&p[0], &p[1], &p[2], &p[3]);
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
            let out = json!({
                "alpha": flat_json(&g[0]),
                "mu": rows_json(&g[1]),
                "q": rows_json(&g[2]),
                "l": rows_json(&g[3]),
            });
            (out, t)
        }
        _ => return Err(unknown_function("gmm", function)),
    };
    Ok(Evaluation { output, timings })
}
