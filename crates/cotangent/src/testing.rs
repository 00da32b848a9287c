//! Gradient checking as a library feature (like `torch.autograd.gradcheck` and
//! `jax.test_util.check_grads`): forward- and reverse-mode derivatives compared with central
//! finite differences along random directions, and recursively at higher order, so order 2
//! covers forward-over-forward, reverse-over-forward, forward-over-reverse and
//! reverse-over-reverse.

use std::fmt;

use crate::core::{DType, Tensor};
use crate::{jvp, no_grad, vjp};

/// Step and tolerances for [`check_grads_with`].
#[derive(Debug, Clone, Copy)]
pub struct CheckOptions {
    /// Finite-difference step.
    pub eps: f64,
    /// Absolute tolerance.
    pub atol: f64,
    /// Relative tolerance.
    pub rtol: f64,
    /// Seed of the random directions.
    pub seed: u64,
}

impl Default for CheckOptions {
    /// Settings for f64: step 1e-5, tolerances 1e-6.
    fn default() -> Self {
        CheckOptions {
            eps: 1e-5,
            atol: 1e-6,
            rtol: 1e-6,
            seed: 0,
        }
    }
}

/// A derivative that disagreed with finite differences.
#[derive(Debug, Clone)]
pub struct GradCheckError {
    /// Which derivative: e.g. `forward`, `reverse`, `reverse over forward`.
    pub path: String,
    /// What the derivative gave.
    pub got: Vec<f64>,
    /// What finite differences gave.
    pub expected: Vec<f64>,
    /// The largest absolute difference.
    pub max_error: f64,
}

impl fmt::Display for GradCheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "check_grads: {} derivative differs from finite differences by {:.3e}\n  got      {:?}\n  expected {:?}",
            self.path, self.max_error, self.got, self.expected
        )
    }
}

impl std::error::Error for GradCheckError {}

type Fun<'a> = dyn Fn(&[Tensor]) -> Tensor + 'a;

/// Check the derivatives of `f` at `inputs` up to `order` (1 or 2, or more) against central
/// finite differences, in forward and reverse mode, with the default f64 settings.
///
/// ```
/// use cotangent::{testing::check_grads, Tensor};
/// let f = |xs: &[Tensor]| (xs[0].sin() * &xs[1]).sum();
/// let xs = [Tensor::from_vec(vec![0.3, 1.2], &[2]), Tensor::scalar(2.0)];
/// check_grads(f, &xs, 2).unwrap();
/// ```
pub fn check_grads(
    f: impl Fn(&[Tensor]) -> Tensor,
    inputs: &[Tensor],
    order: usize,
) -> Result<(), GradCheckError> {
    check_grads_with(f, inputs, order, CheckOptions::default())
}

/// [`check_grads`] with explicit step, tolerances and seed.
pub fn check_grads_with(
    f: impl Fn(&[Tensor]) -> Tensor,
    inputs: &[Tensor],
    order: usize,
    opts: CheckOptions,
) -> Result<(), GradCheckError> {
    check_rec(&f, inputs, order, opts, "")
}

fn random_like(t: &Tensor, seed: u64) -> Tensor {
    Tensor::randn(t.dims(), seed, DType::F64).cast(t.dtype())
}

fn label(prefix: &str, mode: &str) -> String {
    if prefix.is_empty() {
        mode.to_string()
    } else {
        format!("{mode} over {prefix}")
    }
}

fn check_rec(
    f: &Fun<'_>,
    xs: &[Tensor],
    order: usize,
    opts: CheckOptions,
    path: &str,
) -> Result<(), GradCheckError> {
    if order == 0 {
        return Ok(());
    }
    let seed = opts.seed.wrapping_mul(31).wrapping_add(order as u64 * 1000);
    let v: Vec<Tensor> = xs
        .iter()
        .enumerate()
        .map(|(i, x)| random_like(x, seed + i as u64))
        .collect();
    let y = no_grad(|| f(xs));
    let u = random_like(&y, seed + 500);

    // Forward mode against a finite-difference directional derivative.
    let fd = numeric_jvp(f, xs, &v, opts.eps);
    let (_, t) = jvp(|a| f(a), xs, &v);
    compare(&label(path, "forward"), &t.to_f64_vec(), &fd, opts)?;

    // Reverse mode: <u, J v> computed both ways.
    let (_, pb) = vjp(|a| f(a), xs);
    let g = pb.call(&u);
    let lhs: f64 = g
        .iter()
        .zip(&v)
        .map(|(g, v)| dot(&g.to_f64_vec(), &v.to_f64_vec()))
        .sum();
    let rhs = dot(&u.to_f64_vec(), &fd);
    compare(&label(path, "reverse"), &[lhs], &[rhs], opts)?;

    if order > 1 {
        let v2 = v.clone();
        let fwd = move |a: &[Tensor]| jvp(|b| f(b), a, &v2).1;
        check_rec(&fwd, xs, order - 1, opts, &label(path, "forward"))?;
        let u2 = u.clone();
        let rev = move |a: &[Tensor]| {
            let (_, pb) = vjp(|b| f(b), a);
            let parts: Vec<Tensor> = pb.call(&u2).iter().map(Tensor::flatten).collect();
            Tensor::concat(&parts, 0)
        };
        check_rec(&rev, xs, order - 1, opts, &label(path, "reverse"))?;
    }
    Ok(())
}

fn numeric_jvp(f: &Fun<'_>, xs: &[Tensor], v: &[Tensor], eps: f64) -> Vec<f64> {
    no_grad(|| {
        let shifted =
            |s: f64| -> Vec<Tensor> { xs.iter().zip(v).map(|(x, v)| x + &(v * s)).collect() };
        let plus = f(&shifted(eps)).to_f64_vec();
        let minus = f(&shifted(-eps)).to_f64_vec();
        plus.iter()
            .zip(&minus)
            .map(|(p, m)| (p - m) / (2.0 * eps))
            .collect()
    })
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn compare(
    path: &str,
    got: &[f64],
    expected: &[f64],
    opts: CheckOptions,
) -> Result<(), GradCheckError> {
    let mut max_error = 0.0f64;
    let mut ok = got.len() == expected.len();
    for (g, e) in got.iter().zip(expected) {
        let err = (g - e).abs();
        max_error = max_error.max(err);
        if err.is_nan() || err > opts.atol + opts.rtol * e.abs() {
            ok = false;
        }
    }
    if ok {
        Ok(())
    } else {
        Err(GradCheckError {
            path: path.to_string(),
            got: got.to_vec(),
            expected: expected.to_vec(),
            max_error,
        })
    }
}
