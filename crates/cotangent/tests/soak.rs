//! Soak test: train a small MLP for many steps and sample resident memory; it must stay flat
//! (no growth beyond noise between the first and the last tenth of the run). Ignored by default;
//! CI runs it with a shortened count: `SOAK_STEPS=20000 cargo test --workspace --all-features
//! --test soak -- --ignored --nocapture` (the test profile, so nothing is compiled again).

use cotangent::*;

/// Resident set size in bytes, from /proc/self/statm (Linux).
fn rss_bytes() -> Option<usize> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: usize = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

fn mlp_loss(ps: &[Tensor], x: &Tensor, y: &Tensor) -> Tensor {
    let h = (x.matmul(&ps[0]) + &ps[1]).tanh();
    (h.matmul(&ps[2]) + &ps[3]).cross_entropy(y)
}

#[test]
#[ignore = "long-running; CI runs it with SOAK_STEPS"]
fn training_memory_stays_flat() {
    let Some(_) = rss_bytes() else {
        eprintln!("no /proc/self/statm: skipping");
        return;
    };
    let steps: usize = std::env::var("SOAK_STEPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000);
    let mut params = vec![
        Tensor::randn(&[64, 128], 1, DType::F32) * 0.1,
        Tensor::zeros(&[128], DType::F32),
        Tensor::randn(&[128, 10], 2, DType::F32) * 0.1,
        Tensor::zeros(&[10], DType::F32),
    ];
    // Filled up front: pushing would fault the sample buffer's own pages in as it grows.
    let mut samples = vec![usize::MAX; steps];
    let mut first_loss = None;
    let mut last_loss = 0.0;
    for (step, sample) in samples.iter_mut().enumerate() {
        let x = Tensor::randn(&[32, 64], 1000 + (step % 50) as u64, DType::F32);
        let labels: Vec<i64> = (0..32).map(|i| ((i + step) % 10) as i64).collect();
        let y = Tensor::from_vec(labels, &[32]);
        // Alternate the three styles so each one's bookkeeping is soaked.
        let (loss, grads) = match step % 3 {
            0 => try_value_and_grad_n(|ps| mlp_loss(ps, &x, &y), &params).unwrap(),
            1 => {
                let leaves: Vec<Tensor> = params.iter().map(Tensor::requires_grad).collect();
                let loss = mlp_loss(&leaves, &x, &y);
                let g = loss.backward();
                (loss.detach(), leaves.iter().map(|l| g.wrt(l)).collect())
            }
            _ => {
                let tape = GradientTape::new();
                let watched: Vec<Tensor> = params.iter().map(|p| tape.watch(p)).collect();
                let loss = mlp_loss(&watched, &x, &y);
                let refs: Vec<&Tensor> = watched.iter().collect();
                let g = tape.gradient(&loss, &refs);
                (loss.detach(), g)
            }
        };
        params = no_grad(|| {
            params
                .iter()
                .zip(&grads)
                .map(|(p, g)| p - &(g * 0.05))
                .collect()
        });
        let l = loss.item::<f32>() as f64;
        first_loss.get_or_insert(l);
        last_loss = l;
        *sample = rss_bytes().unwrap();
    }
    let tenth = (steps / 10).max(1);
    let mean = |s: &[usize]| s.iter().sum::<usize>() as f64 / s.len() as f64;
    let (first, last) = (mean(&samples[..tenth]), mean(&samples[steps - tenth..]));
    println!(
        "soak: {steps} steps, RSS first tenth {:.1} MiB, last tenth {:.1} MiB, loss {:.4} -> {:.4}, recorded nodes now {}",
        first / 1048576.0,
        last / 1048576.0,
        first_loss.unwrap(),
        last_loss,
        recorded_nodes()
    );
    assert!(
        last <= first * 1.02 + 2.0 * 1048576.0,
        "resident memory grew: {first} -> {last} bytes"
    );
    assert!(all_params_untracked(&params));
}

fn all_params_untracked(ps: &[Tensor]) -> bool {
    ps.iter().all(|p| !p.is_tracked())
}
