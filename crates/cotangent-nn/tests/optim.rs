//! Optimizers against their update equations written out by hand in plain f64, on the
//! two-parameter problem `f(a, b) = (a - 1)² + 2(b + 0.5)² + a·b` (gradient
//! `(2(a - 1) + b, 4(b + 0.5) + a)`), five steps, to 1e-12. The gradients fed to the optimizers
//! come from cotangent's reverse mode; the hand-written reference uses the analytic gradient.

use cotangent::{Tensor, grad_n};
use cotangent_nn::{
    Adam, AdamW, ConstantLr, LrSchedule, Optimizer, Sgd, StepLr, WarmupCosine, clip_grad_norm,
    global_norm,
};

const START: [f64; 2] = [0.3, -1.2];

fn loss(p: &[Tensor]) -> Tensor {
    (&p[0] - 1.0).square() + (&p[1] + 0.5).square() * 2.0 + &p[0] * &p[1]
}

fn analytic_grad(p: [f64; 2]) -> [f64; 2] {
    [2.0 * (p[0] - 1.0) + p[1], 4.0 * (p[1] + 0.5) + p[0]]
}

/// Run `opt` for five steps and compare each iterate with `reference`, which maps
/// `(step t from 1, params, grads, state)` to new params.
fn check<O: Optimizer, S: Default>(
    mut opt: O,
    mut reference: impl FnMut(i32, [f64; 2], [f64; 2], &mut S) -> [f64; 2],
) {
    let mut params = vec![Tensor::scalar(START[0]), Tensor::scalar(START[1])];
    let mut expected = START;
    let mut state = S::default();
    for t in 1..=5 {
        let grads = grad_n(loss)(&params);
        opt.step(&mut params, &grads);
        expected = reference(t, expected, analytic_grad(expected), &mut state);
        for (i, p) in params.iter().enumerate() {
            assert!(!p.is_tracked(), "the update recorded a graph");
            let got = p.item::<f64>();
            assert!(
                (got - expected[i]).abs() < 1e-12,
                "step {t}, parameter {i}: got {got}, expected {}",
                expected[i]
            );
        }
    }
}

/// Momentum buffers (`None` before the first step).
type Buf = Option<[f64; 2]>;

fn sgd_reference(
    lr: f64,
    mu: f64,
    tau: f64,
    nesterov: bool,
    wd: f64,
) -> impl FnMut(i32, [f64; 2], [f64; 2], &mut Buf) -> [f64; 2] {
    move |_, p, g, buf| {
        let mut out = p;
        let mut new_buf = [0.0; 2];
        for i in 0..2 {
            let mut d = g[i] + wd * p[i];
            if mu != 0.0 {
                let b = match buf {
                    None => d,
                    Some(b) => mu * b[i] + (1.0 - tau) * d,
                };
                new_buf[i] = b;
                d = if nesterov { d + mu * b } else { b };
            }
            out[i] = p[i] - lr * d;
        }
        *buf = Some(new_buf);
        out
    }
}

#[test]
fn sgd_plain() {
    check(Sgd::new(0.1), sgd_reference(0.1, 0.0, 0.0, false, 0.0));
}

#[test]
fn sgd_momentum() {
    check(
        Sgd::new(0.1).momentum(0.9),
        sgd_reference(0.1, 0.9, 0.0, false, 0.0),
    );
}

#[test]
fn sgd_momentum_dampening_weight_decay() {
    check(
        Sgd::new(0.05)
            .momentum(0.8)
            .dampening(0.3)
            .weight_decay(0.1),
        sgd_reference(0.05, 0.8, 0.3, false, 0.1),
    );
}

#[test]
fn sgd_nesterov_weight_decay() {
    check(
        Sgd::new(0.1)
            .momentum(0.9)
            .nesterov(true)
            .weight_decay(0.01),
        sgd_reference(0.1, 0.9, 0.0, true, 0.01),
    );
}

#[derive(Default)]
struct Moments {
    m: [f64; 2],
    v: [f64; 2],
}

fn adam_reference(
    lr: f64,
    b1: f64,
    b2: f64,
    eps: f64,
    wd: f64,
    decoupled: bool,
) -> impl FnMut(i32, [f64; 2], [f64; 2], &mut Moments) -> [f64; 2] {
    move |t, p, g, s| {
        let mut out = p;
        for i in 0..2 {
            let mut p_i = p[i];
            let mut g_i = g[i];
            if decoupled {
                p_i *= 1.0 - lr * wd;
            } else {
                g_i += wd * p[i];
            }
            s.m[i] = b1 * s.m[i] + (1.0 - b1) * g_i;
            s.v[i] = b2 * s.v[i] + (1.0 - b2) * g_i * g_i;
            let m_hat = s.m[i] / (1.0 - b1.powi(t));
            let v_hat = s.v[i] / (1.0 - b2.powi(t));
            out[i] = p_i - lr * m_hat / (v_hat.sqrt() + eps);
        }
        out
    }
}

#[test]
fn adam_defaults() {
    check(
        Adam::new(0.1),
        adam_reference(0.1, 0.9, 0.999, 1e-8, 0.0, false),
    );
}

#[test]
fn adam_betas_eps_and_l2_weight_decay() {
    check(
        Adam::new(0.05).betas(0.8, 0.95).eps(1e-6).weight_decay(0.1),
        adam_reference(0.05, 0.8, 0.95, 1e-6, 0.1, false),
    );
}

#[test]
fn adamw_decoupled_weight_decay() {
    check(
        AdamW::new(0.1, 0.2).betas(0.9, 0.99),
        adam_reference(0.1, 0.9, 0.99, 1e-8, 0.2, true),
    );
}

#[test]
fn updates_of_tracked_leaves_are_untracked() {
    let mut params = vec![
        Tensor::scalar(1.0).requires_grad(),
        Tensor::scalar(2.0).requires_grad(),
    ];
    let grads = loss(&params).backward();
    let grads: Vec<Tensor> = params.iter().map(|p| grads.wrt(p)).collect();
    for mut opt in [
        Box::new(Adam::new(0.1)) as Box<dyn Optimizer>,
        Box::new(AdamW::new(0.1, 0.01)),
        Box::new(Sgd::new(0.1).momentum(0.9).nesterov(true)),
    ] {
        let mut ps = params.clone();
        opt.step(&mut ps, &grads);
        opt.step(&mut ps, &grads);
        assert!(ps.iter().all(|p| !p.is_tracked()));
    }
    let (clipped, _) = clip_grad_norm(&[&params[0] * 3.0], 1.0);
    assert!(!clipped[0].is_tracked());
    params.clear();
}

#[test]
fn set_lr_changes_the_step() {
    let mut opt = Sgd::new(0.1);
    opt.set_lr(0.5);
    assert_eq!(opt.lr(), 0.5);
    let mut p = vec![Tensor::scalar(1.0)];
    opt.step(&mut p, &[Tensor::scalar(1.0)]);
    assert_eq!(p[0].item::<f64>(), 0.5);
}

#[test]
#[should_panic(expected = "2 parameters but 1 gradients")]
fn mismatched_gradient_count_panics() {
    let mut p = vec![Tensor::scalar(1.0), Tensor::scalar(2.0)];
    Adam::new(0.1).step(&mut p, &[Tensor::scalar(1.0)]);
}

#[test]
fn global_norm_clipping() {
    let g = [
        Tensor::from_vec(vec![3.0, 0.0], &[2]),
        Tensor::from_vec(vec![4.0f64], &[1]),
    ];
    assert_eq!(global_norm(&g), 5.0);
    let (c, n) = clip_grad_norm(&g, 2.5);
    assert_eq!(n, 5.0);
    assert_eq!(c[0].to_vec::<f64>(), vec![1.5, 0.0]);
    assert_eq!(c[1].to_vec::<f64>(), vec![2.0]);
    assert!((global_norm(&c) - 2.5).abs() < 1e-15);
    let (same, _) = clip_grad_norm(&g, 10.0);
    assert_eq!(same[0].to_vec::<f64>(), vec![3.0, 0.0]);
}

#[test]
fn schedules() {
    assert_eq!(ConstantLr(0.3).lr_at(7), 0.3);
    let s = StepLr::new(1.0, 3, 0.1);
    let lrs: Vec<f64> = (0..7).map(|t| s.lr_at(t)).collect();
    assert_eq!(lrs[..3], [1.0; 3]);
    assert!((lrs[3] - 0.1).abs() < 1e-15 && (lrs[6] - 0.01).abs() < 1e-15);
    let c = WarmupCosine::new(2.0, 4, 104, 0.2);
    assert_eq!(c.lr_at(0), 0.5);
    assert_eq!(c.lr_at(3), 2.0);
    assert_eq!(c.lr_at(4), 2.0);
    assert!((c.lr_at(54) - 1.1).abs() < 1e-12);
    assert!((c.lr_at(104) - 0.2).abs() < 1e-15);
    assert!((c.lr_at(10_000) - 0.2).abs() < 1e-15);
    let mut prev = f64::INFINITY;
    for t in 4..=104 {
        assert!(c.lr_at(t) <= prev);
        prev = c.lr_at(t);
    }
}

#[test]
fn clipping_f32_gradients_whose_squares_overflow_f32() {
    // ‖g‖ = 5e20: its square overflows f32, not f64; the gradient must still be scaled.
    let g = [Tensor::from_vec(vec![3e20f32, 4e20], &[2])];
    let (c, n) = clip_grad_norm(&g, 1.0);
    assert!((n / 5e20 - 1.0).abs() < 1e-6, "norm {n}");
    let c = c[0].to_vec::<f32>();
    assert!(
        (c[0] - 0.6).abs() < 1e-6 && (c[1] - 0.8).abs() < 1e-6,
        "{c:?}"
    );
}
