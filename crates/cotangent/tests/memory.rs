//! Recorded graphs are freed when no longer needed, untracked code records nothing, and depth
//! never reaches the stack. The live-node counter is process-wide, so these tests take a lock.

use std::sync::Mutex;

use cotangent::*;

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

#[test]
fn backward_then_drop_frees_the_graph() {
    let _s = serial();
    let base = recorded_nodes();
    let x = Tensor::randn(&[16], 0, DType::F64).requires_grad();
    let loss = (x.sin() * &x).exp().sum();
    assert!(recorded_nodes() >= base + 4);
    let g = loss.backward().wrt(&x);
    assert!(!g.is_tracked(), "plain backward records nothing");
    drop(loss);
    assert_eq!(recorded_nodes(), base);
}

#[test]
fn functional_transforms_leave_nothing_behind() {
    let _s = serial();
    let base = recorded_nodes();
    let x = Tensor::randn(&[8], 1, DType::F64);
    let (v, g) = value_and_grad(|x: &Tensor| x.tanh().square().sum())(&x);
    assert!(!v.is_tracked() && !g.is_tracked());
    assert_eq!(recorded_nodes(), base);
    let h = hessian(|x: &Tensor| x.sin().sum())(&x);
    assert!(!h.is_tracked());
    assert_eq!(recorded_nodes(), base);
    let (_, t) = jvp(|xs: &[Tensor]| xs[0].exp(), &[x.clone()], &[x.ones_like()]);
    assert!(!t.is_tracked());
    assert_eq!(recorded_nodes(), base);
}

#[test]
fn abandoned_forward_passes_are_freed() {
    let _s = serial();
    let base = recorded_nodes();
    let w = Tensor::randn(&[32, 32], 2, DType::F32).requires_grad();
    for i in 0..100 {
        let x = Tensor::randn(&[4, 32], i, DType::F32);
        let loss = x.matmul(&w).relu().sum();
        assert!(loss.is_tracked());
        // dropped without backward
    }
    assert_eq!(recorded_nodes(), base);
}

#[test]
fn untracked_loop_holds_no_graph() {
    let _s = serial();
    let base = recorded_nodes();
    let mut x = Tensor::randn(&[64], 3, DType::F64);
    for _ in 0..10_000 {
        x = (&x * 0.5 + 0.25).sin();
        assert!(!x.is_tracked());
    }
    assert_eq!(recorded_nodes(), base);
}

#[test]
fn a_million_op_chain_neither_overflows_backward_nor_drop() {
    let _s = serial();
    let base = recorded_nodes();
    let n = 1_000_000;
    let x = Tensor::scalar(0.5).requires_grad();
    let mut y = x.clone();
    for _ in 0..n {
        y = &y * 1.0;
    }
    assert_eq!(recorded_nodes(), base + n);
    let g = y.backward().wrt(&x);
    assert_eq!(g.item::<f64>(), 1.0);
    drop(y);
    assert_eq!(recorded_nodes(), base);
    // Drop alone, without a backward pass first, on a deep chain of another op.
    let mut z = x.clone();
    for _ in 0..n {
        z = z.sin();
    }
    drop(z);
    assert_eq!(recorded_nodes(), base);
}

#[test]
fn a_deep_functional_chain_differentiates() {
    let _s = serial();
    let f = |x: &Tensor| {
        let mut y = x.clone();
        for _ in 0..200_000 {
            y = &y * 1.0 + 0.0;
        }
        y
    };
    assert_eq!(grad(f)(&Tensor::scalar(2.0)).item::<f64>(), 1.0);
}

/// `y ← sin(y)` `n` times from `x`: the value, its first and its second derivative.
fn sin_chain_reference(x: f64, n: usize) -> (f64, f64, f64) {
    let (mut y, mut d1, mut d2) = (x, 1.0, 0.0);
    for _ in 0..n {
        let (s, c) = y.sin_cos();
        d2 = -s * d1 * d1 + c * d2;
        d1 *= c;
        y = s;
    }
    (y, d1, d2)
}

fn sin_chain(x: &Tensor, n: usize) -> Tensor {
    let mut y = x.clone();
    for _ in 0..n {
        y = y.sin();
    }
    y
}

#[test]
fn jvp_over_a_long_chain_keeps_no_graph_alive() {
    let _s = serial();
    let n = 100_000;
    let base = recorded_nodes();
    let mut peak = 0;
    let (y, t) = jvp(
        |xs: &[Tensor]| {
            let mut y = xs[0].clone();
            for i in 0..n {
                y = y.sin();
                if i % 1000 == 0 {
                    peak = peak.max(recorded_nodes() - base);
                }
            }
            peak = peak.max(recorded_nodes() - base);
            y
        },
        &[Tensor::scalar(0.7)],
        &[Tensor::scalar(1.0)],
    );
    // Recording the chain (linearize) would keep 100,000 nodes alive; pushing tangents keeps
    // none.
    assert!(peak <= 2, "jvp kept {peak} recorded nodes alive");
    let (want_y, want_t, _) = sin_chain_reference(0.7, n);
    assert!((y.item::<f64>() - want_y).abs() < 1e-12);
    assert!((t.item::<f64>() - want_t).abs() < 1e-12 * want_t.abs().max(1e-300));
    assert_eq!(recorded_nodes(), base);
}

#[test]
fn grad_of_a_long_jvp_chain_neither_overflows_nor_leaks() {
    let _s = serial();
    let n = 100_000;
    let base = recorded_nodes();
    // The tangent chain is recorded for the outer grad; freeing it must not recurse.
    let g = grad(|x: &Tensor| {
        jvp(
            |xs: &[Tensor]| sin_chain(&xs[0], n),
            std::slice::from_ref(x),
            &[x.ones_like()],
        )
        .1
    })(&Tensor::scalar(0.7));
    let (_, _, want) = sin_chain_reference(0.7, n);
    assert!((g.item::<f64>() - want).abs() < 1e-9 * want.abs().max(1e-300));
    assert_eq!(recorded_nodes(), base);
}

/// Fusion grouping is linear in the graph: a 200,000-equation chain compiles (it took minutes
/// when grouping was quadratic) into one loop that matches eager bit for bit.
#[test]
fn a_long_chain_compiles_to_one_loop() {
    let _s = serial();
    let steps = 100_000;
    let f = move |x: &[Tensor]| {
        let mut y = x[0].clone();
        for _ in 0..steps {
            y = (&y * 1.0001).sin();
        }
        vec![y]
    };
    let x = Tensor::from_vec((0..64).map(|i| i as f32 / 64.0).collect(), &[64]);
    let j = cotangent::jit::Jit::new(f);
    let c = j.compiled(std::slice::from_ref(&x)).unwrap();
    assert_eq!((c.kernels(), c.steps()), (1, 1), "{} loops", c.kernels());
    let got = j.call(std::slice::from_ref(&x)).remove(0);
    let want = f(std::slice::from_ref(&x)).remove(0);
    assert_eq!(got.to_vec::<f32>(), want.to_vec::<f32>());
}
