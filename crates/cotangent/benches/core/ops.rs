//! Convolution, linear-algebra and half-precision workloads (issue 15), built identically in
//! `benches/peers/peers.py` (`ops_workloads`): a conv2d training step (forward and backward,
//! eager and jitted), Cholesky, solve and eigh at the sizes the issue names, each alone and
//! with its gradient, and a 512×512 matmul in f32, f16 and bf16. Values are sums in f64 that
//! the peers must reproduce.

use cotangent::*;

use super::{report, time, Opts};

/// `x[k] = sin(1e-3·k)`, `[32, 3, 32, 32]`, and `w[k] = 0.2·cos(0.1·k)`, `[64, 3, 3, 3]` (f32,
/// row-major index k).
fn conv_inputs() -> (Tensor, Tensor) {
    let x: Vec<f32> = (0..32 * 3 * 32 * 32)
        .map(|k| (1e-3 * k as f64).sin() as f32)
        .collect();
    let w: Vec<f32> = (0..64 * 27)
        .map(|k| (0.2 * (0.1 * k as f64).cos()) as f32)
        .collect();
    (
        Tensor::from_vec(x, &[32, 3, 32, 32]),
        Tensor::from_vec(w, &[64, 3, 3, 3]),
    )
}

/// `0.5·mean(conv2d(x, w, padding 1)²)`.
fn conv_loss(p: &[Tensor]) -> Tensor {
    p[0].conv2d(&p[1], None, Conv2dOptions::default().padding(1))
        .square()
        .mean()
        * 0.5
}

/// `sum(gx) + sum(gw)` in f64.
fn grad_sums(g: &[Tensor]) -> f64 {
    g.iter().map(|t| t.to_f64_vec().iter().sum::<f64>()).sum()
}

fn conv(opts: &Opts) {
    let (x, w) = conv_inputs();
    let xs = [x, w];
    let mut value = 0.0;
    let s = time(opts, || {
        let (_, g) = try_value_and_grad_n(conv_loss, &xs).unwrap();
        value = grad_sums(&g);
    });
    report("conv2d_32x3x32x32_64x3x3_train", "cotangent", s, value);
    let step = Jit::new(|p: &[Tensor]| try_value_and_grad_n(conv_loss, p).unwrap().1);
    let s = time(opts, || value = grad_sums(&step.call(&xs)));
    super::report_jit(
        "conv2d_32x3x32x32_64x3x3_train",
        &step.compiled(&xs).unwrap(),
        &xs,
        s,
        value,
    );
}

/// `M[i, j] = sin(1e-3·k² + 1)` with `k = i·n + j`, `[n, n]` f64 (a chirp: full rank, with
/// distinct eigenvalues; `sin(a·k + b)` alone would be a rank-2 matrix).
fn m(n: usize) -> Tensor {
    let v: Vec<f64> = (0..n * n)
        .map(|k| (1e-3 * (k as f64 * k as f64) + 1.0).sin())
        .collect();
    Tensor::from_vec(v, &[n, n])
}

/// Loss weights `1 + (k mod 7)/10` over the row-major index k of `dims`.
fn weights(dims: &[usize]) -> Tensor {
    let n: usize = dims.iter().product();
    let v: Vec<f64> = (0..n).map(|k| 1.0 + (k % 7) as f64 / 10.0).collect();
    Tensor::from_vec(v, dims)
}

fn sum(t: &Tensor) -> f64 {
    t.to_f64_vec().iter().sum()
}

fn linalg(opts: &Opts) {
    let n = 512;
    let mm = m(n);
    // SPD: M Mᵀ / n + I.
    let a = mm.matmul(&mm.t()) / n as f64 + Tensor::eye(n, DType::F64);
    let b = Tensor::from_vec(
        (0..n * 4).map(|k| (0.11 * k as f64).cos()).collect(),
        &[n, 4],
    );
    let (cl, cb) = (weights(&[n, n]), weights(&[n, 4]));
    let mut value = 0.0;

    let s = time(opts, || value = sum(&a.cholesky()));
    report("cholesky_512_f64", "cotangent", s, value);
    let s = time(opts, || {
        value = sum(&grad(|a: &Tensor| (a.cholesky() * &cl).sum())(&a))
    });
    report("cholesky_512_f64_grad", "cotangent", s, value);

    let s = time(opts, || value = sum(&a.solve(&b)));
    report("solve_512x4_f64", "cotangent", s, value);
    let xs = [a.clone(), b.clone()];
    let s = time(opts, || {
        let g = grad_n(|p: &[Tensor]| (p[0].solve(&p[1]) * &cb).sum())(&xs);
        value = grad_sums(&g);
    });
    report("solve_512x4_f64_grad", "cotangent", s, value);

    let k = 256;
    let mk = m(k);
    let s_mat = (&mk + &mk.t()) * 0.5;
    let c = weights(&[k]);
    let s = time(opts, || value = sum(&(s_mat.eigh().0 * &c)));
    report("eigh_256_f64", "cotangent", s, value);
    let s = time(opts, || {
        value = sum(&grad(|a: &Tensor| (a.eigh().0 * &c).sum())(&s_mat))
    });
    report("eigh_256_f64_grad", "cotangent", s, value);
}

/// `A[k] = 0.5 + 0.5·sin(1e-3·k² + 1)` and `B[k] = 0.5 + 0.5·cos(1e-3·k² + 1)`, `[512, 512]`,
/// made in f32 and rounded to each dtype; value: the sum of `A B` in f64.
pub fn half(opts: &Opts) {
    let n = 512;
    let entries = |f: fn(f64) -> f64| -> Tensor {
        let v: Vec<f32> = (0..n * n)
            .map(|k| (0.5 + 0.5 * f(1e-3 * (k as f64 * k as f64) + 1.0)) as f32)
            .collect();
        Tensor::from_vec(v, &[n, n])
    };
    let (a, b) = (entries(f64::sin), entries(f64::cos));
    for (dtype, name) in [
        (DType::F32, "matmul_512_f32"),
        (DType::F16, "matmul_512_f16"),
        (DType::BF16, "matmul_512_bf16"),
    ] {
        let (a, b) = (a.cast(dtype), b.cast(dtype));
        let mut value = 0.0;
        let s = time(opts, || value = sum(&a.matmul(&b)));
        report(name, "cotangent", s, value);
    }
}

/// Every workload of this module.
pub fn run(opts: &Opts) {
    conv(opts);
    linalg(opts);
}
