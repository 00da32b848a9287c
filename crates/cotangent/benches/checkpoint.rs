//! The memory/compute trade of `checkpoint`: a 32-layer tanh MLP (width 512, batch 512, f32),
//! one forward + backward pass, with no checkpointing, a checkpoint around every layer, and one
//! around every 4 layers. A counting global allocator reports the peak heap in use during the
//! pass (above what was live before it, each pass on a fresh thread so cached buffers count),
//! and the median time of several passes.
//!
//! A second workload reverses a long loop: an RNN cell h ← tanh(h W + x_t) over T = 10,000
//! steps (width 256, f32) through `scan_with`, under each `Remat` policy (store-all, every 100
//! steps, revolve with 10 and 100 snapshots): peak heap, time, and the forward steps the
//! schedule recomputes.
//!
//! Run: `cargo bench -p cotangent --bench checkpoint` (`--smoke` for a quick small run).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use cotangent::*;

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call to the system allocator unchanged; only counts bytes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(live, Ordering::Relaxed);
        // SAFETY: same layout contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: `ptr` came from `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn block(xs: &[Tensor]) -> Tensor {
    xs[1..]
        .iter()
        .fold(xs[0].clone(), |h, w| h.matmul(w).tanh())
}

fn loss(x: &Tensor, ws: &[Tensor], every: usize) -> Tensor {
    let mut h = x.clone();
    for chunk in ws.chunks(every.max(1)) {
        let mut args = vec![h];
        args.extend(chunk.iter().cloned());
        h = if every == 0 {
            block(&args)
        } else {
            checkpoint(block)(&args)
        };
    }
    h.square().mean()
}

/// One gradient of the RNN loss under `remat` on a fresh thread: seconds, peak bytes, and the
/// sum of the gradient of W.
fn rnn_pass(w: &Tensor, xs: &Tensor, remat: Remat) -> (f64, usize, f64) {
    let (w, xs) = (w.clone(), xs.clone());
    std::thread::spawn(move || {
        let before = LIVE.load(Ordering::Relaxed);
        PEAK.store(before, Ordering::Relaxed);
        let t = Instant::now();
        let g = grad(|w: &Tensor| {
            let h0 = Tensor::zeros(&[1, w.dims()[0]], DType::F32);
            let step = |c: &[Tensor], x: &[Tensor]| (vec![(c[0].matmul(w) + &x[0]).tanh()], vec![]);
            let (c, _) = scan_with(remat, step, &[h0], &[xs.clone()]);
            c[0].square().sum()
        })(&w);
        let secs = t.elapsed().as_secs_f64();
        let sum = g.sum().item::<f32>() as f64;
        (secs, PEAK.load(Ordering::Relaxed) - before, sum)
    })
    .join()
    .expect("pass")
}

fn scan_rows(smoke: bool) {
    let (steps, width, reps) = if smoke {
        (200, 16, 1)
    } else {
        (10_000, 256, 3)
    };
    let w = Tensor::randn(&[width, width], 7, DType::F32) * (1.0 / (width as f64).sqrt());
    let xs = Tensor::randn(&[steps, 1, width], 8, DType::F32);
    let mut base = None;
    for remat in [
        Remat::StoreAll,
        Remat::Every(100),
        Remat::Revolve { snapshots: 100 },
        Remat::Revolve { snapshots: 10 },
    ] {
        let mut runs: Vec<(f64, usize, f64)> =
            (0..reps).map(|_| rnn_pass(&w, &xs, remat)).collect();
        runs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (secs, peak, g) = runs[runs.len() / 2];
        let g0 = *base.get_or_insert(g);
        println!(
            "{{\"workload\": \"revolve_rnn\", \"steps\": {steps}, \"remat\": \"{remat:?}\", \"seconds\": {secs:e}, \"peak_bytes\": {peak}, \"recomputed_steps\": {}, \"same_grad\": {}}}",
            remat.recomputed_steps(steps),
            g == g0
        );
    }
}

fn main() {
    let smoke = std::env::args().any(|a| a == "--smoke");
    let (width, batch, reps) = if smoke { (64, 8, 1) } else { (512, 512, 5) };
    let ws: Vec<Tensor> = (0..32)
        .map(|i| {
            (Tensor::randn(&[width, width], i, DType::F32) * (1.0 / (width as f64).sqrt()))
                .requires_grad()
        })
        .collect();
    let x = Tensor::randn(&[batch, width], 99, DType::F32);
    let mut baseline_grad = None;
    for (name, every) in [("none", 0usize), ("every layer", 1), ("every 4 layers", 4)] {
        let mut times = Vec::new();
        let mut peak = 0;
        let mut g0 = 0.0;
        for _ in 0..reps {
            // A fresh thread per pass: its buffer pool starts empty, so buffers it reuses
            // count as in use, and the pool is freed when the thread ends.
            let (x, ws) = (x.clone(), ws.clone());
            let (secs, bytes, g) = std::thread::spawn(move || {
                let before = LIVE.load(Ordering::Relaxed);
                PEAK.store(before, Ordering::Relaxed);
                let t = Instant::now();
                let l = loss(&x, &ws, every);
                let grads = l.backward();
                let secs = t.elapsed().as_secs_f64();
                let g = grads.wrt(&ws[0]).sum().item::<f32>() as f64;
                (secs, PEAK.load(Ordering::Relaxed) - before, g)
            })
            .join()
            .expect("pass");
            times.push(secs);
            peak = bytes;
            g0 = g;
        }
        times.sort_by(f64::total_cmp);
        let base = *baseline_grad.get_or_insert(g0);
        println!(
            "{{\"workload\": \"checkpoint_mlp32\", \"checkpoint\": \"{name}\", \"seconds\": {:e}, \"peak_bytes\": {peak}, \"grad_sum_w0\": {g0}, \"same_grad\": {}}}",
            times[times.len() / 2],
            g0 == base
        );
    }
    scan_rows(smoke);
}
