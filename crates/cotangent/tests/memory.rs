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
