//! A Gaussian-process regression whose kernel hyperparameters are fitted by gradient descent on
//! the negative log marginal likelihood
//! `NLML(θ) = ½ yᵀ K⁻¹ y + ½ log det K + (n/2) log 2π`, with the squared-exponential kernel
//! `K = σ_f² exp(−(xᵢ − xⱼ)² / 2ℓ²) + σ_n² I` and `θ = (log ℓ, log σ_f, log σ_n)`.
//! `K⁻¹ y` comes from `cholesky` and `cho_solve`, `log det K` from `slogdet` (and, as a check,
//! from the Cholesky diagonal); the gradient through all three is the library's, jitted.
//!
//! The example asserts what it can know: the gradient at the start equals the closed form
//! `∂NLML/∂θₖ = ½ tr((K⁻¹ − ααᵀ) ∂K/∂θₖ)` (α = K⁻¹y, computed without autodiff), the NLML falls,
//! and the fitted noise level is near the one the data was made with (0.1).
//! `COTANGENT_QUICK=1` takes fewer steps (CI).

use cotangent::{value_and_grad, DType, Jit, Tensor};

const TRUE_NOISE: f64 = 0.1;

/// `n` inputs on [−3, 3] and targets `sin(2x) + 0.1·ε`.
fn data(n: usize) -> (Tensor, Tensor) {
    let x = Tensor::linspace(-3.0, 3.0, n, DType::F64);
    let y = (&x * 2.0).sin() + Tensor::randn(&[n], 7, DType::F64) * TRUE_NOISE;
    (x, y)
}

/// The kernel matrix of `x` at `θ = [log ℓ, log σ_f, log σ_n]`.
fn kernel(theta: &Tensor, x: &Tensor) -> Tensor {
    let n = x.numel();
    let (ell, sf, sn) = (
        theta.narrow(0, 0, 1).exp(),
        theta.narrow(0, 1, 1).exp(),
        theta.narrow(0, 2, 1).exp(),
    );
    let d = x.reshape(&[n, 1]) - x.reshape(&[1, n]);
    let rbf = (d.square() / (ell.square() * -2.0)).exp() * sf.square();
    rbf + Tensor::eye(n, DType::F64) * sn.square()
}

/// The negative log marginal likelihood of `y` at `θ`.
fn nlml(theta: &Tensor, x: &Tensor, y: &Tensor) -> Tensor {
    let n = x.numel() as f64;
    let k = kernel(theta, x);
    let alpha = k.cholesky().cho_solve(y);
    let (_, logdet) = k.slogdet();
    (y * &alpha).sum() * 0.5 + logdet * 0.5 + 0.5 * n * (2.0 * std::f64::consts::PI).ln()
}

/// `½ tr((K⁻¹ − ααᵀ) ∂K/∂θₖ)` for each θₖ, from the kernel's closed-form derivatives.
fn closed_form_gradient(theta: &[f64], x: &Tensor, y: &Tensor) -> Vec<f64> {
    let n = x.numel();
    let t = Tensor::from_vec(theta.to_vec(), &[3]);
    let k = kernel(&t, x);
    let kinv = k.inv();
    let alpha = kinv.matmul(&y.reshape(&[n, 1]));
    let w = &kinv - &alpha.matmul(&alpha.t());
    let (ell, sn) = (theta[0].exp(), theta[2].exp());
    let d2 = (x.reshape(&[n, 1]) - x.reshape(&[1, n])).square();
    let rbf = &k - &(Tensor::eye(n, DType::F64) * (sn * sn));
    let dk = [
        &rbf * &(&d2 / (ell * ell)),                  // ∂K/∂ log ℓ
        &rbf * 2.0,                                   // ∂K/∂ log σ_f
        Tensor::eye(n, DType::F64) * (2.0 * sn * sn), // ∂K/∂ log σ_n
    ];
    dk.iter()
        .map(|d| 0.5 * (&w * d).sum().item::<f64>())
        .collect()
}

fn main() {
    let quick = std::env::var_os("COTANGENT_QUICK").is_some();
    let (n, steps) = if quick { (40, 150) } else { (120, 600) };
    let (x, y) = data(n);
    let (xf, yf) = (x.clone(), y.clone());
    let vg = Jit::new(move |t: &[Tensor]| {
        let (l, g) = value_and_grad(|t: &Tensor| nlml(t, &xf, &yf))(&t[0]);
        vec![l, g]
    });
    let step = |t: &Tensor| {
        let mut out = vg.call(std::slice::from_ref(t));
        let g = out.pop().expect("gradient");
        (out.pop().expect("value"), g)
    };

    let theta0 = [0.0, 0.0, 0.0];
    let mut theta = Tensor::from_vec(theta0.to_vec(), &[3]);
    let (l0, g0) = step(&theta);
    let want = closed_form_gradient(&theta0, &x, &y);
    let got = g0.to_vec::<f64>();
    let err = got
        .iter()
        .zip(&want)
        .map(|(a, b)| (a - b).abs() / (1.0 + b.abs()))
        .fold(0.0, f64::max);
    println!("gradient at θ = 0: {got:.6?}; closed form {want:.6?} (largest difference {err:.1e})");
    assert!(
        err < 1e-9,
        "the gradient disagrees with the closed form: {err:e}"
    );
    // The log-determinant two ways: slogdet, and twice the log of the Cholesky diagonal.
    let k = kernel(&theta, &x);
    let by_chol = k.cholesky().diagonal(0).log().sum().item::<f64>() * 2.0;
    let by_slogdet = k.slogdet().1.item::<f64>();
    assert!((by_chol - by_slogdet).abs() < 1e-9 * by_chol.abs().max(1.0));

    // Adam on θ.
    let (lr, b1, b2, eps) = (0.05, 0.9, 0.999, 1e-8);
    let (mut m, mut v) = (theta.zeros_like(), theta.zeros_like());
    let mut last = l0.item::<f64>();
    for t in 1..=steps {
        let (l, g) = step(&theta);
        last = l.item::<f64>();
        m = &m * b1 + &g * (1.0 - b1);
        v = &v * b2 + g.square() * (1.0 - b2);
        let mhat = &m / (1.0 - b1.powi(t));
        let vhat = &v / (1.0 - b2.powi(t));
        theta = &theta - &(mhat / (vhat.sqrt() + eps) * lr);
        if t % (steps / 5) == 0 {
            let p = theta.exp().to_vec::<f64>();
            println!(
                "step {t:4}: NLML {last:9.4}  ℓ = {:.4}, σ_f = {:.4}, σ_n = {:.4}",
                p[0], p[1], p[2]
            );
        }
    }
    let p = theta.exp().to_vec::<f64>();
    let start = l0.item::<f64>();
    println!(
        "NLML {start:.4} -> {last:.4}; fitted noise σ_n = {:.4} (data made with {TRUE_NOISE})",
        p[2]
    );
    assert!(
        last < start - 10.0,
        "the NLML did not fall: {start} -> {last}"
    );
    assert!(
        (0.5 * TRUE_NOISE..2.0 * TRUE_NOISE).contains(&p[2]),
        "fitted noise {} is far from {TRUE_NOISE}",
        p[2]
    );

    // Predictive mean at new points against the noise-free function.
    let xs = Tensor::linspace(-2.5, 2.5, 11, DType::F64);
    let (ell, sf) = (p[0], p[1]);
    let kstar = ((xs.reshape(&[11, 1]) - x.reshape(&[1, n])).square() / (-2.0 * ell * ell)).exp()
        * (sf * sf);
    let alpha = kernel(&theta, &x).cholesky().cho_solve(&y);
    let mean = kstar.matmul(&alpha.reshape(&[n, 1])).reshape(&[11]);
    let rmse = ((&mean - &(&xs * 2.0).sin()).square().mean())
        .sqrt()
        .item::<f64>();
    println!("predictive mean at 11 new points: RMSE {rmse:.4} against sin(2x)");
    assert!(rmse < 3.0 * TRUE_NOISE, "RMSE {rmse}");
}
