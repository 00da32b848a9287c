//! Core benchmarks: matmul throughput against `gemm` alone, per-op overhead on scalars, the
//! teaching example's value and gradient, a Hessian-vector product and Jacobians in both
//! directions, an MLP and a transformer block's training step, and the jitted forms of the
//! teaching example, the elementwise chain, the MLP (forward and train step) and the transformer
//! train step (each jitted train step is checked against the eager one: loss and every updated
//! parameter), and (in `core/ops.rs`) a conv2d training step and Cholesky, solve and eigh with
//! their gradients, and (in `core/sparse.rs`) a sparse Jacobian against dense `jacfwd`. Prints one JSON object per line (`workload`,
//! `system`, `seconds`, `value`) so `benches/compare.sh` can set them beside JAX and PyTorch
//! measured in the same run.
//!
//! Run: `taskset -c 0 cargo bench -p cotangent --bench core` (one core), or with `--smoke` for
//! one quick repetition of each (used by CI so the harness cannot rot). `--rss-run STEPS` only
//! takes STEPS MLP training steps, for a peak-RSS reading of a fresh process.

use std::hint::black_box;
use std::time::{Duration, Instant};

use cotangent::*;

#[path = "core/ops.rs"]
mod ops;
#[path = "core/sparse.rs"]
mod sparse;

struct Opts {
    smoke: bool,
}

/// Median seconds per call over several repetitions of a timed loop of at least `min` length.
fn time(opts: &Opts, mut f: impl FnMut()) -> f64 {
    let (reps, min) = if opts.smoke {
        (1, Duration::from_millis(1))
    } else {
        (7, Duration::from_millis(200))
    };
    f();
    let mut iters = 1u64;
    loop {
        let t = Instant::now();
        for _ in 0..iters {
            f();
        }
        if t.elapsed() >= min / 4 || opts.smoke {
            break;
        }
        iters *= 2;
    }
    let mut samples: Vec<f64> = (0..reps)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..iters {
                f();
            }
            t.elapsed().as_secs_f64() / iters as f64
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn report(workload: &str, system: &str, seconds: f64, value: f64) {
    println!(
        "{{\"workload\": \"{workload}\", \"system\": \"{system}\", \"threads\": {}, \"seconds\": {seconds:e}, \"value\": {value}}}",
        rayon::current_num_threads()
    );
}

/// The peers' checksum of a vector result: `Σ out[i]·(1 + i/(n−1))` (a plain sum of an odd
/// function over a symmetric grid is ~0 and would compare nothing).
fn weighted(t: &Tensor) -> f64 {
    let v = t.to_f64_vec();
    let n = v.len();
    v.iter()
        .enumerate()
        .map(|(i, x)| {
            x * if n > 1 {
                1.0 + i as f64 / (n - 1) as f64
            } else {
                1.0
            }
        })
        .sum()
}

fn teaching(x: &[Tensor]) -> Tensor {
    ((&x[0] + &x[1]).square() + (&x[0] * &x[1]).sin()).log()
}

/// `out = a b` for row-major `n × n` f32 matrices through the `gemm` crate alone (threads as
/// rayon has them).
fn gemm_f32(n: usize, a: &[f32], b: &[f32], out: &mut [f32]) {
    assert!(a.len() == n * n && b.len() == n * n && out.len() == n * n);
    let par = if rayon::current_num_threads() > 1 {
        gemm::Parallelism::Rayon(0)
    } else {
        gemm::Parallelism::None
    };
    // SAFETY: all three buffers are n×n row-major (checked above) and live for the call; out
    // is borrowed exclusively.
    unsafe {
        gemm::gemm(
            n,
            n,
            n,
            out.as_mut_ptr(),
            1,
            n as isize,
            false,
            a.as_ptr(),
            1,
            n as isize,
            b.as_ptr(),
            1,
            n as isize,
            0.0,
            1.0,
            false,
            false,
            false,
            par,
        )
    }
}

/// The machine's measured peaks, in this run and these threads: a STREAM-like copy of 64 MiB of
/// f32 (bytes read plus written per second) and the `gemm` crate's f32 rate at n = 1024. Printed
/// as a `_peaks` line; the jitted rows' plan figures are read against them.
fn peaks(opts: &Opts) -> (f64, f64) {
    let len = if opts.smoke { 1 << 16 } else { 16 << 20 };
    let src = vec![1.0f32; len];
    let mut dst = vec![0.0f32; len];
    let s_copy = time(opts, || {
        dst.copy_from_slice(black_box(&src));
        black_box(&dst);
    });
    let copy_gbps = 2.0 * (len * 4) as f64 / s_copy / 1e9;
    let n = if opts.smoke { 128 } else { 1024 };
    let a: Vec<f32> = (0..n * n).map(|k| (k as f32 * 1e-3).sin()).collect();
    let mut out = vec![0.0f32; n * n];
    let s_gemm = time(opts, || {
        gemm_f32(n, &a, &a, &mut out);
        black_box(&out);
    });
    let gemm_gflops = 2.0 * (n * n * n) as f64 / s_gemm / 1e9;
    println!(
        "{{\"workload\": \"_peaks\", \"system\": \"machine\", \"threads\": {}, \"copy_gbps\": {copy_gbps:.2}, \"gemm_gflops\": {gemm_gflops:.2}}}",
        rayon::current_num_threads()
    );
    (copy_gbps, gemm_gflops)
}

/// Report a jitted row with what its plan shows: the compile time (tracing, passes, fusion,
/// plan), and from a profiled run the fused loops' achieved bandwidth (their bytes read and
/// written over their time) and the matmul steps' GFLOP/s.
fn report_jit(workload: &str, f: &jit::Compiled, args: &[Tensor], seconds: f64, value: f64) {
    let runs = 5;
    let times = f.profile(args, runs).expect("the program runs");
    let (mut loop_bytes, mut loop_s, mut mm_flops, mut mm_s) = (0.0, 0.0, 0.0, 0.0);
    // Time in the other primitives, by name (where a profile says the rest of the time goes).
    let mut other: Vec<(&'static str, f64)> = Vec::new();
    for (r, t) in f.report().iter().zip(&times) {
        let t = t.as_secs_f64() / runs as f64;
        match r.kind {
            jit::StepKind::Loop => {
                loop_bytes += r.bytes() as f64;
                loop_s += t;
            }
            jit::StepKind::Primitive("matmul") => {
                mm_flops += r.flops as f64;
                mm_s += t;
            }
            jit::StepKind::Primitive(name) => match other.iter_mut().find(|(n, _)| *n == name) {
                Some((_, s)) => *s += t,
                None => other.push((name, t)),
            },
        }
    }
    other.sort_by(|a, b| b.1.total_cmp(&a.1));
    let other_s: f64 = other.iter().map(|(_, s)| s).sum();
    let total = (loop_s + mm_s + other_s).max(f64::MIN_POSITIVE);
    let top: Vec<String> = other
        .iter()
        .take(3)
        .map(|(n, s)| format!("\"{n} {:.0}%\"", 100.0 * s / total))
        .collect();
    let rate = |x: f64, s: f64| {
        if s > 0.0 {
            format!("{:.2}", x / s / 1e9)
        } else {
            "null".into()
        }
    };
    println!(
        "{{\"workload\": \"{workload}\", \"system\": \"cotangent_jit\", \"threads\": {}, \"seconds\": {seconds:e}, \"value\": {value}, \"compile_seconds\": {:e}, \"steps\": {}, \"loops\": {}, \"loop_gbps\": {}, \"matmul_gflops\": {}, \"time_share\": {{\"loops\": {:.3}, \"matmuls\": {:.3}, \"other\": {:.3}}}, \"top_other\": [{}]}}",
        rayon::current_num_threads(),
        f.compile_time().as_secs_f64(),
        f.steps(),
        f.kernels(),
        rate(loop_bytes, loop_s),
        rate(mm_flops, mm_s),
        loop_s / total,
        mm_s / total,
        other_s / total,
        top.join(", "),
    );
}

fn matmul(opts: &Opts) {
    let n = if opts.smoke { 128 } else { 1024 };
    // The peers build the same inputs: sin and cos of 0.001·k over the row-major index k.
    let k: Vec<f64> = (0..n * n).map(|k| k as f64 * 1e-3).collect();
    let a = Tensor::from_vec(k.iter().map(|k| k.sin() as f32).collect(), &[n, n]);
    let b = Tensor::from_vec(k.iter().map(|k| k.cos() as f32).collect(), &[n, n]);
    let flops = 2.0 * (n * n * n) as f64;
    let s = time(opts, || {
        black_box(a.matmul(&b));
    });
    let checksum: f64 = a.matmul(&b).to_f64_vec().iter().sum();
    report("matmul_1024_f32", "cotangent", s, checksum);
    eprintln!(
        "matmul {n}x{n} f32: cotangent {:.1} GFLOP/s",
        flops / s / 1e9
    );
    // gemm alone, same sizes, same threads.
    let (av, bv) = (a.to_vec::<f32>(), b.to_vec::<f32>());
    let mut out = vec![0f32; n * n];
    let s_gemm = time(opts, || {
        gemm_f32(n, &av, &bv, &mut out);
        black_box(&out);
    });
    report(
        "matmul_1024_f32",
        "gemm",
        s_gemm,
        out.iter().map(|&x| x as f64).sum(),
    );
    eprintln!(
        "matmul {n}x{n} f32: gemm alone {:.1} GFLOP/s",
        flops / s_gemm / 1e9
    );
}

fn scalar_ops(opts: &Opts) {
    let a = Tensor::scalar(1.25f32);
    let b = Tensor::scalar(3.0f32);
    let s = time(opts, || {
        black_box(&a * &b);
    });
    report(
        "scalar_op_untracked",
        "cotangent",
        s,
        (&a * &b).item::<f32>() as f64,
    );
    let at = a.requires_grad();
    let s = time(opts, || {
        black_box(&at * &b);
    });
    report(
        "scalar_op_tracked",
        "cotangent",
        s,
        (&at * &b).item::<f32>() as f64,
    );
}

fn seed(opts: &Opts) {
    let xs = [Tensor::scalar(1.5f64), Tensor::scalar(0.5f64)];
    let s = time(opts, || {
        let (val, g) = try_value_and_grad_n(teaching, &xs).unwrap();
        black_box((val.item::<f64>(), g[0].item::<f64>(), g[1].item::<f64>()));
    });
    let v = try_value_and_grad_n(teaching, &xs).unwrap().0.item::<f64>();
    report("seed_scalar_value_and_grad", "cotangent", s, v);
    let s = time(opts, || {
        let x1 = xs[0].requires_grad();
        let x2 = xs[1].requires_grad();
        let y = teaching(&[x1.clone(), x2.clone()]);
        let g = y.backward();
        black_box((
            y.item::<f64>(),
            g.wrt(&x1).item::<f64>(),
            g.wrt(&x2).item::<f64>(),
        ));
    });
    report("seed_scalar_value_and_grad_backward", "cotangent", s, v);
    // The same, compiled: traced once, then one fused loop over the scalar graph per call.
    let vg = Jit::new(|x: &[Tensor]| {
        let (val, g) = try_value_and_grad_n(teaching, x).unwrap();
        vec![val, g[0].clone(), g[1].clone()]
    });
    let s = time(opts, || {
        let out = vg.call(&xs);
        black_box((
            out[0].item::<f64>(),
            out[1].item::<f64>(),
            out[2].item::<f64>(),
        ));
    });
    let v = vg.call(&xs)[0].item::<f64>();
    let c = vg.compiled(&xs).unwrap();
    report_jit("seed_scalar_value_and_grad", &c, &xs, s, v);
}

fn hvp_bench(opts: &Opts) {
    let n = if opts.smoke { 1000 } else { 100_000 };
    let f = |x: &Tensor| {
        let rolled = Tensor::concat(
            &[x.narrow(0, x.numel() - 1, 1), x.narrow(0, 0, x.numel() - 1)],
            0,
        );
        (x.tanh().square() * rolled).sum() + (x.sin() * x).sum()
    };
    let x = Tensor::linspace(-1.0, 1.0, n, DType::F64);
    let v = Tensor::full(&[n], 0.5, DType::F64);
    // Only the call is timed, as for the peers; the checksum is taken once, after.
    let s = time(opts, || {
        black_box(hvp(f, &x, &v));
    });
    report("hvp_100k_f64", "cotangent", s, weighted(&hvp(f, &x, &v)));
    // The same, compiled: forward over reverse traced once into one program.
    let j = Jit::new(move |a: &[Tensor]| vec![hvp(f, &a[0], &a[1])]);
    let xs = [x, v];
    let s = time(opts, || {
        black_box(j.call(&xs));
    });
    let c = j.compiled(&xs).unwrap();
    report_jit("hvp_100k_f64", &c, &xs, s, weighted(&j.call(&xs)[0]));
}

fn jacobians(opts: &Opts) {
    let n = if opts.smoke { 50 } else { 1000 };
    let wide = |x: &Tensor| (x.sin() * x).sum();
    let x = Tensor::linspace(-1.0, 1.0, n, DType::F64);
    let s = time(opts, || {
        black_box(jacobian(wide)(&x));
    });
    report(
        "jacobian_1000x1",
        "cotangent",
        s,
        weighted(&jacobian(wide)(&x)),
    );
    let grid = Tensor::linspace(0.0, 1.0, n, DType::F64);
    let tall = move |t: &Tensor| (t * &grid).sin() * t;
    let t = Tensor::from_vec(vec![0.7], &[1]);
    let s = time(opts, || {
        black_box(jacobian(&tall)(&t));
    });
    report(
        "jacobian_1x1000",
        "cotangent",
        s,
        weighted(&jacobian(&tall)(&t)),
    );
}

/// The peers' MLP 784-512-512-10 (batch 128, f32): `x[i, j] = sin(1e-3·k)`, labels `i mod 10`,
/// `W_l[i, j] = 0.05·sin(0.37·k + l)`, zero biases.
fn mlp_inputs() -> (Tensor, Tensor, Vec<Tensor>) {
    let (b, sizes) = (128usize, [784usize, 512, 512, 10]);
    let x: Vec<f32> = (0..b * 784)
        .map(|k| (k as f64 * 1e-3).sin() as f32)
        .collect();
    let y: Vec<i64> = (0..b as i64).map(|i| i % 10).collect();
    let mut params = Vec::new();
    for (l, w) in sizes.windows(2).enumerate() {
        let (i, o) = (w[0], w[1]);
        let data = (0..i * o)
            .map(|k| (0.05 * (0.37 * k as f64 + (l + 1) as f64).sin()) as f32)
            .collect();
        params.push(Tensor::from_vec(data, &[i, o]));
        params.push(Tensor::zeros(&[o], DType::F32));
    }
    (
        Tensor::from_vec(x, &[b, 784]),
        Tensor::from_vec(y, &[b]),
        params,
    )
}

fn mlp_forward(ps: &[Tensor], x: &Tensor) -> Tensor {
    let mut h = x.clone();
    for i in (0..ps.len() - 2).step_by(2) {
        h = (h.matmul(&ps[i]) + &ps[i + 1]).relu();
    }
    h.matmul(&ps[ps.len() - 2]) + &ps[ps.len() - 1]
}

fn mlp(opts: &Opts) {
    let (x, y, params) = mlp_inputs();
    let mut value = 0.0;
    let s = time(opts, || {
        value = mlp_forward(&params, &x).to_f64_vec().iter().sum()
    });
    report("mlp_forward", "cotangent", s, value);
    let lr = 0.01;
    let step = |ps: &[Tensor]| {
        let (loss, grads) =
            try_value_and_grad_n(|p| mlp_forward(p, &x).cross_entropy(&y), ps).unwrap();
        let new: Vec<Tensor> =
            no_grad(|| ps.iter().zip(&grads).map(|(p, g)| p - &(g * lr)).collect());
        (loss, new)
    };
    let s = time(opts, || {
        black_box(step(&params));
    });
    let (loss, new) = step(&params);
    let eager_step: Vec<Tensor> = std::iter::once(loss.clone()).chain(new).collect();
    report("mlp_train_step", "cotangent", s, loss.item::<f32>() as f64);
    // Jitted: the forward alone (inputs params, x), and the whole train step as one function
    // (inputs params, x, labels; outputs the loss and the updated params).
    let np = params.len();
    let fwd = Jit::new(move |a: &[Tensor]| vec![mlp_forward(&a[..np], &a[np])]);
    let args: Vec<Tensor> = params.iter().chain([&x]).cloned().collect();
    let s = time(opts, || {
        black_box(fwd.call(&args));
    });
    let out = fwd.call(&args).remove(0);
    let eager = mlp_forward(&params, &x);
    check_same("mlp_forward", std::slice::from_ref(&out), &[eager]);
    report_jit(
        "mlp_forward",
        &fwd.compiled(&args).unwrap(),
        &args,
        s,
        out.to_f64_vec().iter().sum(),
    );
    let jstep = Jit::new(move |a: &[Tensor]| {
        let (x, y) = (&a[np], &a[np + 1]);
        let (loss, grads) =
            try_value_and_grad_n(|p| mlp_forward(p, x).cross_entropy(y), &a[..np]).unwrap();
        let new: Vec<Tensor> = no_grad(|| {
            a[..np]
                .iter()
                .zip(&grads)
                .map(|(p, g)| p - &(g * lr))
                .collect()
        });
        std::iter::once(loss).chain(new).collect()
    });
    let args: Vec<Tensor> = params.iter().chain([&x, &y]).cloned().collect();
    let s = time(opts, || {
        black_box(jstep.call(&args));
    });
    let out = jstep.call(&args);
    check_same("mlp_train_step", &out, &eager_step);
    report_jit(
        "mlp_train_step",
        &jstep.compiled(&args).unwrap(),
        &args,
        s,
        out[0].item::<f32>() as f64,
    );
    // The cheap-gradient principle: value-and-gradient over forward alone. compare.py divides
    // the two rows into each system's grad_cost_ratio.
    let loss = mlp_forward(&params, &x).cross_entropy(&y).item::<f32>() as f64;
    let s_fwd = time(opts, || {
        black_box(mlp_forward(&params, &x).cross_entropy(&y));
    });
    report("mlp_loss_forward", "cotangent", s_fwd, loss);
    let s_vg = time(opts, || {
        black_box(try_value_and_grad_n(|p| mlp_forward(p, &x).cross_entropy(&y), &params).unwrap());
    });
    report("mlp_loss_value_and_grad", "cotangent", s_vg, loss);
    eprintln!(
        "grad_cost_ratio (MLP): value_and_grad / forward = {:.2}",
        s_vg / s_fwd
    );
    // grad of a jitted loss: the loss runs compiled as one recorded node, its gradient through
    // the compiled backward program (the function's reverse mode split once).
    let (xc, yc) = (x.clone(), y.clone());
    let jloss = Jit::new(move |p: &[Tensor]| vec![mlp_forward(p, &xc).cross_entropy(&yc)]);
    let s_gj = time(opts, || {
        black_box(try_value_and_grad_n(|p| jloss.call(p).remove(0), &params).unwrap());
    });
    let (l, g) = try_value_and_grad_n(|p| jloss.call(p).remove(0), &params).unwrap();
    let (le, ge) = try_value_and_grad_n(|p| mlp_forward(p, &x).cross_entropy(&y), &params).unwrap();
    check_same("mlp_loss_value_and_grad", &[l], &[le]);
    check_same("mlp_loss_value_and_grad", &g, &ge);
    report(
        "mlp_loss_value_and_grad",
        "cotangent_grad_of_jit",
        s_gj,
        loss,
    );
}

/// The gradient of an RNN loss through `scan` (T = 200 steps, width 64, f64): `h ← tanh(h W +
/// x_t)`, loss `Σ_t sum(h_t²)`; eagerly (a Rust loop recorded step by step) and as one
/// jitted value-and-gradient (a forward scan that stores the step carries, a reverse scan).
/// No peer row: the value is the loss.
fn scan_rnn(opts: &Opts) {
    let (t, d) = if opts.smoke { (20, 8) } else { (200, 64) };
    let xs = Tensor::randn(&[t, d], 11, DType::F64);
    let w = Tensor::randn(&[d, d], 12, DType::F64) * (0.5 / (d as f64).sqrt());
    let loss = |a: &[Tensor]| {
        let (_, ys) = scan(
            |c: &[Tensor], x: &[Tensor]| {
                let h = (c[0].matmul(&a[0]) + &x[0]).tanh();
                (vec![h.clone()], vec![h.square().sum()])
            },
            &[Tensor::zeros(&[a[0].dims()[0]], DType::F64)],
            &[a[1].clone()],
        );
        ys[0].sum()
    };
    let args = [w, xs];
    let s = time(opts, || {
        black_box(try_value_and_grad_n(loss, &args).unwrap());
    });
    let value = try_value_and_grad_n(loss, &args).unwrap().0.item::<f64>();
    report("scan_rnn_value_and_grad", "cotangent", s, value);
    let j = Jit::new(move |a: &[Tensor]| {
        let (l, mut g) = try_value_and_grad_n(loss, a).unwrap();
        g.insert(0, l);
        g
    });
    let s = time(opts, || {
        black_box(j.call(&args));
    });
    let out = j.call(&args);
    let (l, g) = try_value_and_grad_n(loss, &args).unwrap();
    let eager: Vec<Tensor> = std::iter::once(l).chain(g).collect();
    check_same("scan_rnn_value_and_grad", &out, &eager);
    let c = j.compiled(&args).unwrap();
    report_jit(
        "scan_rnn_value_and_grad",
        &c,
        &args,
        s,
        out[0].item::<f64>(),
    );
}

/// `--rss-run STEPS`: build the MLP inputs and take `STEPS` SGD steps, nothing else, so that
/// compare.py can read this process's peak RSS (0 steps gives the baseline of a process that
/// only built the inputs).
fn mlp_rss_run(steps: usize) {
    let (x, y, mut params) = mlp_inputs();
    let mut loss = 0.0;
    for _ in 0..steps {
        let (l, grads) =
            try_value_and_grad_n(|p| mlp_forward(p, &x).cross_entropy(&y), &params).unwrap();
        params = no_grad(|| {
            params
                .iter()
                .zip(&grads)
                .map(|(p, g)| p - &(g * 0.01))
                .collect()
        });
        loss = l.item::<f32>() as f64;
    }
    println!(
        "{{\"workload\": \"_rss_mlp_train_step\", \"system\": \"cotangent\", \"steps\": {steps}, \"value\": {loss}}}"
    );
}

/// The peers' transformer block (issue #8): one pre-LN block on `[BATCH, SEQ, D]` = `[8, 128,
/// 256]`, causal 4-head attention (scores above the diagonal get `MASKED` added before the
/// softmax), exact-GELU MLP 4x wide, f32, MSE against a target. Inputs: `x[b, t, j] =
/// sin(1e-3·k)` and target `cos(2e-3·k)` over the row-major index k; parameters in the order ln1
/// (γ, β), q, k, v, o (weight, bias each), ln2 (γ, β), fc1, fc2 (weight, bias), with matrix
/// number l = 1..6 (q, k, v, o, fc1, fc2) `W_l[i, j] = 0.05·sin(0.37·k + l)`, biases and β
/// zero, γ one.
const BATCH: usize = 8;
const SEQ: usize = 128;
const D: usize = 256;
const HEADS: usize = 4;
/// Added to the scores of future positions: large enough that their softmax weight is exactly
/// 0 in f32, finite so that no `inf - inf` can appear.
const MASKED: f32 = -1e9;

fn transformer_inputs() -> (Tensor, Tensor, Vec<Tensor>) {
    let wave = |n: usize, f: fn(f64) -> f64, s: f64| -> Vec<f32> {
        (0..n).map(|k| f(k as f64 * s) as f32).collect()
    };
    let n = BATCH * SEQ * D;
    let x = Tensor::from_vec(wave(n, f64::sin, 1e-3), &[BATCH, SEQ, D]);
    let target = Tensor::from_vec(wave(n, f64::cos, 2e-3), &[BATCH, SEQ, D]);
    let matrix = |l: usize, i: usize, o: usize| {
        let data = (0..i * o)
            .map(|k| (0.05 * (0.37 * k as f64 + l as f64).sin()) as f32)
            .collect();
        Tensor::from_vec(data, &[i, o])
    };
    let zeros = |n: usize| Tensor::zeros(&[n], DType::F32);
    let ones = |n: usize| Tensor::ones(&[n], DType::F32);
    let mut ps = vec![ones(D), zeros(D)];
    for l in 1..=4 {
        ps.push(matrix(l, D, D));
        ps.push(zeros(D));
    }
    ps.extend([ones(D), zeros(D)]);
    ps.extend([
        matrix(5, D, 4 * D),
        zeros(4 * D),
        matrix(6, 4 * D, D),
        zeros(D),
    ]);
    (x, target, ps)
}

/// The causal mask `[SEQ, SEQ]`: 0 on and below the diagonal, `MASKED` above it.
fn causal_mask() -> Tensor {
    let data = (0..SEQ * SEQ)
        .map(|k| if k % SEQ > k / SEQ { MASKED } else { 0.0 })
        .collect();
    Tensor::from_vec(data, &[SEQ, SEQ])
}

fn layer_norm(x: &Tensor, gamma: &Tensor, beta: &Tensor) -> Tensor {
    let d = x - &x.mean_axes(&[-1], true);
    let var = d.square().mean_axes(&[-1], true);
    d * (var + 1e-5).sqrt().recip() * gamma + beta
}

fn transformer_forward(ps: &[Tensor], x: &Tensor, mask: &Tensor) -> Tensor {
    let dh = D / HEADS;
    let h = layer_norm(x, &ps[0], &ps[1]);
    // [BATCH, SEQ, D] -> [BATCH, HEADS, SEQ, dh]
    let heads = |w: usize| {
        (h.matmul(&ps[w]) + &ps[w + 1])
            .reshape(&[BATCH, SEQ, HEADS, dh])
            .permute(&[0, 2, 1, 3])
    };
    let (q, k, v) = (heads(2), heads(4), heads(6));
    let scores = q.matmul(&k.transpose(-1, -2)) * (1.0 / (dh as f64).sqrt()) + mask;
    let ctx = scores
        .softmax(-1)
        .matmul(&v)
        .permute(&[0, 2, 1, 3])
        .reshape(&[BATCH, SEQ, D]);
    let x = x + &(ctx.matmul(&ps[8]) + &ps[9]);
    let m = layer_norm(&x, &ps[10], &ps[11]);
    let m = (m.matmul(&ps[12]) + &ps[13]).gelu().matmul(&ps[14]) + &ps[15];
    x + m
}

/// One SGD step of the block: the loss and the updated parameters.
fn transformer_step(
    ps: &[Tensor],
    x: &Tensor,
    target: &Tensor,
    mask: &Tensor,
) -> (Tensor, Vec<Tensor>) {
    let (loss, grads) =
        try_value_and_grad_n(|p| transformer_forward(p, x, mask).mse(target), ps).unwrap();
    let new = no_grad(|| {
        ps.iter()
            .zip(&grads)
            .map(|(p, g)| p - &(g * 0.01))
            .collect()
    });
    (loss, new)
}

fn transformer(opts: &Opts) {
    let (x, target, params) = transformer_inputs();
    let mask = causal_mask();
    let s = time(opts, || {
        black_box(transformer_step(&params, &x, &target, &mask));
    });
    let (loss, new) = transformer_step(&params, &x, &target, &mask);
    let eager_step: Vec<Tensor> = std::iter::once(loss.clone()).chain(new).collect();
    report(
        "transformer_block_train_step",
        "cotangent",
        s,
        loss.item::<f32>() as f64,
    );
    // The same step compiled as one function: inputs params, x, target, mask; outputs the loss
    // and the updated params.
    let np = params.len();
    let step = Jit::new(move |a: &[Tensor]| {
        let (loss, new) = transformer_step(&a[..np], &a[np], &a[np + 1], &a[np + 2]);
        std::iter::once(loss).chain(new).collect()
    });
    let args: Vec<Tensor> = params.iter().chain([&x, &target, &mask]).cloned().collect();
    let s = time(opts, || {
        black_box(step.call(&args));
    });
    let out = step.call(&args);
    check_same("transformer_block_train_step", &out, &eager_step);
    report_jit(
        "transformer_block_train_step",
        &step.compiled(&args).unwrap(),
        &args,
        s,
        out[0].item::<f32>() as f64,
    );
}

/// A jitted function's outputs against the eager ones (for a train step: the loss, then every
/// updated parameter): panics, failing the run, on any difference beyond f32 rounding.
fn check_same(workload: &str, jitted: &[Tensor], eager: &[Tensor]) {
    assert_eq!(jitted.len(), eager.len(), "{workload}: jitted output count");
    for (i, (j, e)) in jitted.iter().zip(eager).enumerate() {
        assert_eq!(j.shape(), e.shape(), "{workload}: output {i} shape");
        for (a, b) in j.to_f64_vec().into_iter().zip(e.to_f64_vec()) {
            let ok = (a - b).abs() <= 1e-5 * a.abs().max(b.abs()).max(1.0);
            assert!(ok, "{workload}: output {i}: jitted {a} vs eager {b}");
        }
    }
}

fn elementwise_chain(opts: &Opts) {
    let n = if opts.smoke { 10_000 } else { 1_000_000 };
    let x = Tensor::linspace(-1.0, 1.0, n, DType::F32);
    let chain = |x: &Tensor| {
        let t = x * 2.0;
        let t = t + 1.0;
        let t = t.sin();
        let t = t * x;
        let t = t.tanh();
        let t = t - 0.5;
        let t = t.exp();
        t * 0.25
    };
    let mut value = 0.0;
    let s = time(opts, || {
        black_box(chain(&x));
    });
    value += chain(&x).to_f64_vec().iter().sum::<f64>();
    report("elementwise_chain_1m", "cotangent", s, value);
    // Compiled: the eight ops run as one fused loop into a reused buffer.
    let jitted = Jit::new(move |a: &[Tensor]| vec![chain(&a[0])]);
    let xs = [x.clone()];
    let s_jit = time(opts, || {
        black_box(jitted.call(&xs));
    });
    let value_jit = jitted.call(&xs)[0].to_f64_vec().iter().sum::<f64>();
    let c = jitted.compiled(&xs).unwrap();
    report_jit("elementwise_chain_1m", &c, &xs, s_jit, value_jit);
    // The same arithmetic as one hand-written loop (what a fusing compiler should reach).
    let xs = x.to_vec::<f32>();
    let mut out = vec![0f32; n];
    let s_loop = time(opts, || {
        for (o, &x) in out.iter_mut().zip(&xs) {
            *o = ((((x * 2.0 + 1.0).sin() * x).tanh() - 0.5).exp()) * 0.25;
        }
        black_box(&out);
    });
    report(
        "elementwise_chain_1m",
        "hand_loop",
        s_loop,
        out.iter().map(|&v| v as f64).sum(),
    );
}

/// A jitted function of one row mapped over the rows of a [512, 1024] f32 matrix
/// (`x[i, j] = sin(1e-3·k)`, k the row-major index): `sum(exp(tanh(sin(2x)·x) - 0.5))` per
/// row. `vmap(jit(f))` compiles the batched program (one row loop); eager `vmap(f)` runs each
/// batched primitive on its own.
fn vmap_jit_rows(opts: &Opts) {
    let (rows, cols) = if opts.smoke { (8, 64) } else { (512, 1024) };
    let k = Tensor::arange(0.0, (rows * cols) as f64, 1.0, DType::F32);
    let x = (k * 1e-3).sin().reshape(&[rows, cols]);
    let f = |r: &Tensor| ((&(r * 2.0).sin() * r).tanh() - 0.5).exp().sum();
    let mut value = 0.0;
    let s = time(opts, || {
        black_box(vmap(f, 0, 0)(&x));
    });
    value += vmap(f, 0, 0)(&x).to_f64_vec().iter().sum::<f64>();
    report("vmap_jit_rows_f32", "cotangent", s, value);
    let j = jit(f);
    let mapped = vmap(&j, 0, 0);
    let s = time(opts, || {
        black_box(mapped(&x));
    });
    let value = mapped(&x).to_f64_vec().iter().sum::<f64>();
    report("vmap_jit_rows_f32", "cotangent_jit", s, value);
}

fn main() {
    let opts = Opts {
        smoke: std::env::args().any(|a| a == "--smoke"),
    };
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--rss-run") {
        let steps = args.get(i + 1).and_then(|s| s.parse().ok());
        mlp_rss_run(steps.expect("--rss-run STEPS"));
        return;
    }
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let run = |name: &str| filter.is_empty() || filter.iter().any(|f| name.contains(f.as_str()));
    peaks(&opts);
    if run("matmul") {
        matmul(&opts);
    }
    if run("scalar") {
        scalar_ops(&opts);
    }
    if run("seed") {
        seed(&opts);
    }
    if run("hvp") {
        hvp_bench(&opts);
    }
    if run("jacobian") {
        jacobians(&opts);
    }
    if run("mlp") {
        mlp(&opts);
    }
    if run("vmap_jit") {
        vmap_jit_rows(&opts);
    }
    if run("elementwise") {
        elementwise_chain(&opts);
    }
    if run("transformer") {
        transformer(&opts);
    }
    if run("scan") {
        scan_rnn(&opts);
    }
    if run("ops") {
        ops::run(&opts);
    }
    if run("ops") || run("half") {
        ops::half(&opts);
    }
    if run("sparse") {
        sparse::run(&opts);
    }
}
