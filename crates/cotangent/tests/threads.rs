//! Tensors cross threads; recording state is per thread, so threads differentiating at the same
//! time get the answers one thread gets; kernels' own threads do not deadlock inside a user's
//! rayon pool.

use cotangent::*;

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn tensor_and_gradients_cross_threads() {
    assert_send_sync::<Tensor>();
    assert_send_sync::<Gradients>();
    let x = Tensor::scalar(2.0).requires_grad();
    let y = std::thread::spawn(move || (&x * &x).backward().wrt(&x).item::<f64>())
        .join()
        .unwrap();
    assert_eq!(y, 4.0);
}

fn loss(w: &Tensor, seed: u64) -> Tensor {
    let x = Tensor::randn(&[8, 16], seed, DType::F64);
    x.matmul(w).tanh().square().mean()
}

#[test]
fn concurrent_gradients_match_one_thread() {
    let w = Tensor::randn(&[16, 4], 1, DType::F64);
    let expected: Vec<Vec<f64>> = (0..4)
        .map(|s| grad(|w: &Tensor| loss(w, s))(&w).to_vec::<f64>())
        .collect();
    for _ in 0..50 {
        let handles: Vec<_> = (0..4u64)
            .map(|s| {
                let w = w.clone();
                std::thread::spawn(move || {
                    // Mix the functional API, PyTorch style and a nested derivative.
                    let a = grad(|w: &Tensor| loss(w, s))(&w).to_vec::<f64>();
                    let wt = w.requires_grad();
                    let b = loss(&wt, s).backward().wrt(&wt).to_vec::<f64>();
                    let d3 =
                        grad(grad(grad(|x: &Tensor| x.tanh())))(&Tensor::scalar(0.3)).item::<f64>();
                    (s, a, b, d3)
                })
            })
            .collect();
        for h in handles {
            let (s, a, b, d3) = h.join().unwrap();
            assert_eq!(a, expected[s as usize]);
            assert_eq!(b, expected[s as usize]);
            let t = 0.3f64.tanh();
            assert!((d3 - (-2.0 * (1.0 - t * t) * (1.0 - 3.0 * t * t))).abs() < 1e-13);
        }
    }
}

#[test]
fn kernels_inside_a_user_rayon_pool_do_not_deadlock() {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    let sums: Vec<f64> = pool.install(|| {
        use rayon::prelude::*;
        (0..8u64)
            .into_par_iter()
            .map(|s| {
                // Large enough that the kernels split work on the pool themselves.
                let a = Tensor::randn(&[300, 300], s, DType::F32);
                let g = grad(|a: &Tensor| a.matmul(a).sin().sum())(&a);
                g.sum().item::<f32>() as f64
            })
            .collect()
    });
    assert_eq!(sums.len(), 8);
    assert!(sums.iter().all(|s| s.is_finite()));
}
