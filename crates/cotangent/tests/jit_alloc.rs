//! Memory of a compiled program after its first call: repeated calls record no graph nodes
//! and keep outputs the caller holds, and (counted by a counting allocator) strided inputs of a
//! fused loop (the broadcast row maxima and sums of a softmax, a layer norm's broadcast
//! statistics and scale, a roll) are read in place, not packed into a new buffer on every call.
//! A warm training step asks the allocator only for the handles it returns: every matmul,
//! reduction and loop buffer comes from the program's own reserve. A warm `scan`, its gradient
//! and a `while_loop` ask for nothing per step: the same count at 10 steps and at 80.
//! `recorded_nodes` counts the whole process's live nodes: the tests here run one at a time.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};

use cotangent::jit::Jit;
use cotangent::*;

/// Counts the bytes each thread has asked for.
struct Counting;

thread_local! {
    static ASKED: Cell<usize> = const { Cell::new(0) };
    /// Set while this thread is classifying one of its own allocations (which allocates).
    static CLASSIFYING: Cell<bool> = const { Cell::new(false) };
}

/// While set, every allocation on any thread is counted by who asked for it (see `watch`).
static WATCH: AtomicBool = AtomicBool::new(false);
static OURS: AtomicUsize = AtomicUsize::new(0);
static GEMM: AtomicUsize = AtomicUsize::new(0);

/// Count one allocation made while watching, on behalf of this crate: inside the `gemm` crate
/// (its packing workspace and flags, made inside each product, which its API gives no way to
/// hand in) or anywhere else.
fn classify() {
    if CLASSIFYING.try_with(|c| c.replace(true)) != Ok(false) {
        return;
    }
    let trace = std::backtrace::Backtrace::force_capture().to_string();
    if !trace.contains("cotangent::") {
        // The test harness's own threads (reporting another test's result) are not counted.
    } else if trace.contains("gemm_") || trace.contains("gemm::") || trace.contains("dyn_stack") {
        GEMM.fetch_add(1, SeqCst);
    } else {
        OURS.fetch_add(1, SeqCst);
        eprintln!("an allocation outside gemm:\n{trace}");
    }
    let _ = CLASSIFYING.try_with(|c| c.set(false));
}

// SAFETY: every call forwards to the system allocator with the same layout and pointer; the
// counting touches only const-initialized thread-locals (no allocation, no destructor), and
// `try_with` makes it a no-op while a thread's locals are being torn down. Classifying an
// allocation allocates (the backtrace): `CLASSIFYING` makes those inner calls skip it.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's layout contract is passed on unchanged.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let _ = ASKED.try_with(|a| a.set(a.get() + layout.size()));
            if WATCH.load(SeqCst) {
                classify();
            }
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Bytes this thread asked for while running `f`.
fn asked_during(f: impl FnOnce()) -> usize {
    let before = ASKED.with(Cell::get);
    f();
    ASKED.with(Cell::get) - before
}

/// Bytes one warm call of `j` on `xs` asks for (its outputs dropped before each call, so the
/// planned buffers are reused), checking the result against `eager`.
fn warm_call_bytes<F: Fn(&[Tensor]) -> Vec<Tensor>>(
    j: &Jit<F>,
    xs: &[Tensor],
    eager: &Tensor,
) -> usize {
    for _ in 0..2 {
        drop(j.call(xs));
    }
    let mut out = Vec::new();
    let bytes = asked_during(|| out = j.call(xs));
    let (got, want) = (out[0].to_vec::<f32>(), eager.to_vec::<f32>());
    for (a, b) in got.iter().zip(&want) {
        assert!((a - b).abs() <= 1e-6 * b.abs().max(1.0), "{a} vs {b}");
    }
    bytes
}

/// The allocations outside `gemm` (on any thread) and inside it while running `f`.
fn watch(f: impl FnOnce()) -> (usize, usize) {
    OURS.store(0, SeqCst);
    GEMM.store(0, SeqCst);
    WATCH.store(true, SeqCst);
    f();
    WATCH.store(false, SeqCst);
    (OURS.load(SeqCst), GEMM.load(SeqCst))
}

fn layer_norm(x: &Tensor, gamma: &Tensor) -> Tensor {
    let mu = x.mean_axes(&[-1], true);
    let d = x - &mu;
    let var = d.square().mean_axes(&[-1], true);
    d * (var + 1e-5).sqrt().recip() * gamma
}

fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

#[test]
fn broadcast_inputs_of_fused_loops_are_read_in_place() {
    let _serial = serial();
    // Below the eager buffer pool's 64 KiB, so that every buffer is counted here.
    let (rows, cols) = (16, 512);
    let full = rows * cols * 4;
    let x = Tensor::randn(&[rows, cols], 0, DType::F32);
    let gamma = Tensor::randn(&[cols], 1, DType::F32);

    let softmax = Jit::new(|a: &[Tensor]| vec![a[0].softmax(-1)]);
    let bytes = warm_call_bytes(&softmax, &[x.clone()], &x.softmax(-1));
    // Packing either broadcast (the row maxima, the row sums) would ask for a full buffer.
    assert!(bytes < full, "softmax asked for {bytes} bytes per call");

    let ln = Jit::new(|a: &[Tensor]| vec![layer_norm(&a[0], &a[1])]);
    let bytes = warm_call_bytes(&ln, &[x.clone(), gamma.clone()], &layer_norm(&x, &gamma));
    assert!(bytes < full, "layer norm asked for {bytes} bytes per call");

    // A transposed input is read in place too.
    let t = Jit::new(|a: &[Tensor]| vec![(a[0].transpose(0, 1) * 2.0).exp()]);
    let xt = Tensor::randn(&[cols, rows], 2, DType::F32);
    let bytes = warm_call_bytes(&t, &[xt.clone()], &(xt.transpose(0, 1) * 2.0).exp());
    assert!(
        bytes < full,
        "a transposed read asked for {bytes} bytes per call"
    );

    // So is a roll along the first axis (a concat of two slices): no buffer is written for it.
    let roll = |x: &Tensor| {
        let n = x.dims()[0];
        Tensor::concat(&[x.narrow(0, n - 1, 1), x.narrow(0, 0, n - 1)], 0)
    };
    let r = Jit::new(move |a: &[Tensor]| vec![(roll(&a[0]) * &a[0]).exp()]);
    let bytes = warm_call_bytes(&r, &[x.clone()], &(roll(&x) * &x).exp());
    assert!(bytes < full, "a roll asked for {bytes} bytes per call");
}

#[test]
fn repeated_calls_do_not_grow_memory() {
    let _serial = serial();
    let j = Jit::new(|x: &[Tensor]| vec![(x[0].sin() * 2.0).exp().sum(), x[0].cos()]);
    let x = Tensor::rand(&[1000], 4, DType::F64);
    let first = j.call(std::slice::from_ref(&x));
    drop(first);
    let before = recorded_nodes();
    for _ in 0..100 {
        let y = j.call(std::slice::from_ref(&x));
        assert!(!y[0].is_tracked());
    }
    assert_eq!(recorded_nodes(), before);
    // A kept output is not overwritten by the next call (its buffer is not reused).
    let a = j.call(std::slice::from_ref(&x));
    let keep = a[1].to_vec::<f64>();
    let _b = j.call(&[&x * 2.0]);
    assert_eq!(a[1].to_vec::<f64>(), keep);
    assert_eq!(j.traces(), 1);
}

fn mlp(ps: &[Tensor], x: &Tensor) -> Tensor {
    let h = (x.matmul(&ps[0]) + &ps[1]).relu();
    let h = (h.matmul(&ps[2]) + &ps[3]).relu();
    h.matmul(&ps[4]) + &ps[5]
}

/// One attention head, a residual, a layer norm and a GELU projection, to a mean-square loss.
fn attention(w: &[Tensor], x: &Tensor) -> Tensor {
    let (q, k, v) = (x.matmul(&w[0]), x.matmul(&w[1]), x.matmul(&w[2]));
    let s = (q.matmul(&k.transpose(0, 1)) * 0.125).softmax(-1);
    let h = layer_norm(&(x + &s.matmul(&v)), &w[4]);
    h.matmul(&w[3]).gelu().square().mean()
}

#[test]
fn a_warm_training_step_allocates_only_the_handles_it_returns() {
    let _serial = serial();
    let (b, d) = (16, 48);
    let x = Tensor::randn(&[b, d], 0, DType::F32);
    let y = Tensor::from_vec((0..b as i64).map(|i| i % 10).collect::<Vec<_>>(), &[b]);
    // Parameters, then the inputs and labels.
    let mlp_args = |h: usize| -> Vec<Tensor> {
        let mut args = Vec::new();
        for (l, w) in [d, h, h, 10].windows(2).enumerate() {
            args.push(Tensor::randn(&[w[0], w[1]], l as u64 + 1, DType::F32) * 0.1);
            args.push(Tensor::randn(&[w[1]], l as u64 + 7, DType::F32) * 0.1);
        }
        args.extend([x.clone(), y.clone()]);
        args
    };
    // An SGD step: the new parameters come out of fused loops (planned buffers).
    let step = |a: &[Tensor]| {
        let (x, y) = (&a[6], &a[7]);
        let (loss, grads) = try_value_and_grad_n(|p| mlp(p, x).cross_entropy(y), &a[..6]).unwrap();
        let new = no_grad(|| a[..6].iter().zip(&grads).map(|(p, g)| p - &(g * 0.01)));
        std::iter::once(loss).chain(new).collect::<Vec<_>>()
    };
    // Loss and gradients: the gradients are matmul results, handed back to the caller.
    let attn_grad = |a: &[Tensor]| {
        let (loss, grads) = try_value_and_grad_n(|w| attention(w, &a[5]), &a[..5]).unwrap();
        std::iter::once(loss).chain(grads).collect::<Vec<_>>()
    };
    // A 256 × 256 layer's update is a loop long enough to be split across threads.
    let (mlp_small, mlp_split) = (mlp_args(64), mlp_args(256));
    let mut attn_args: Vec<Tensor> = (0..4)
        .map(|i| Tensor::randn(&[d, d], 20 + i, DType::F32) * 0.1)
        .collect();
    attn_args.extend([Tensor::randn(&[d], 30, DType::F32), x.clone()]);
    // A Hessian-vector product through a roll: a loop's buffer is read through slices (views)
    // after the loop's own value is dead, so it must not be planned for reuse before then.
    let hvp_roll = |a: &[Tensor]| {
        let f = |x: &Tensor| {
            let n = x.numel();
            let rolled = Tensor::concat(&[x.narrow(0, n - 1, 1), x.narrow(0, 0, n - 1)], 0);
            (x.tanh().square() * rolled).sum() + (x.sin() * x).sum()
        };
        vec![hvp(f, &a[0], &a[1])]
    };
    let hvp_args = vec![
        Tensor::linspace(-1.0, 1.0, 4096, DType::F32),
        Tensor::full(&[4096], 0.5, DType::F32),
    ];
    for (name, f, args) in [
        (
            "MLP step",
            &step as &dyn Fn(&[Tensor]) -> Vec<Tensor>,
            &mlp_small,
        ),
        ("MLP step with split loops", &step, &mlp_split),
        ("attention gradient", &attn_grad, &attn_args),
        ("rolled HVP", &hvp_roll, &hvp_args),
    ] {
        let j = Jit::new(f);
        let eager = f(args);
        for _ in 0..10 {
            drop(j.call(args));
        }
        let mut out = Vec::new();
        let (ours, gemm) = watch(|| out = j.call(args));
        for (a, e) in out.iter().zip(&eager) {
            for (p, q) in a.to_vec::<f32>().iter().zip(e.to_vec::<f32>()) {
                assert!(
                    (p - q).abs() <= 1e-5 * q.abs().max(1.0),
                    "{name}: {p} vs {q}"
                );
            }
        }
        // The returned vector and one handle per output tensor; gemm's own workspace aside. A
        // split loop's chunks run on whichever rayon workers take them, and a worker's first
        // chunk grows its register scratch once: one allocation per worker is allowed there.
        let workers = if name.contains("split") {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            0
        };
        assert!(
            ours <= out.len() + 1 + workers,
            "{name}: a warm call made {ours} allocations outside gemm ({gemm} inside) for {} outputs",
            out.len()
        );
    }
    // A training loop passes each step's parameters into the next, so the buffers of the last
    // step's outputs are still held while this step runs: it gets the step before's.
    let j = Jit::new(step);
    let mut args = mlp_small.clone();
    for _ in 0..4 {
        let out = j.call(&args);
        args = out[1..].iter().chain(&mlp_small[6..]).cloned().collect();
    }
    let mut out = Vec::new();
    let (ours, gemm) = watch(|| out = j.call(&args));
    assert!(
        ours <= out.len() + 1,
        "a step fed its last outputs made {ours} allocations outside gemm ({gemm} inside)"
    );
}

#[test]
fn the_allocation_count_sees_this_crate() {
    let _serial = serial();
    // Classifying needs the backtraces to name this crate's frames (a build without symbols
    // would count nothing, and the test above would pass without testing anything).
    let (ours, _) = watch(|| drop(Tensor::zeros(&[1000], DType::F32)));
    assert!(ours >= 1, "no allocation was seen inside cotangent");
}

/// The allocations outside `gemm` of a warm call of `f` on `args`, and its outputs.
fn warm_allocations(f: &dyn Fn(&[Tensor]) -> Vec<Tensor>, args: &[Tensor]) -> (usize, usize) {
    let j = Jit::new(f);
    for _ in 0..4 {
        drop(j.call(args));
    }
    let mut out = Vec::new();
    let (ours, _) = watch(|| out = j.call(args));
    (ours, out.len())
}

#[test]
fn a_warm_loop_allocates_nothing_per_step() {
    let _serial = serial();
    let d = 32;
    let w = Tensor::randn(&[d, d], 1, DType::F32) * 0.1;
    // An RNN through `scan` (its loss, or its loss and gradient: a forward scan that stores
    // the carries, then a reverse scan), and a `while_loop` (a `fori_loop` with a traced bound).
    let rnn = |a: &[Tensor]| {
        let (h, ys) = scan(
            |c, x| {
                let h = (c[0].matmul(&a[0]) + &x[0]).tanh();
                (vec![h.clone()], vec![h.square().sum()])
            },
            &[Tensor::zeros(&[d], DType::F32)],
            &[a[1].clone()],
        );
        vec![h[0].clone(), ys[0].sum()]
    };
    let rnn_grad = |a: &[Tensor]| {
        let loss = |p: &[Tensor]| rnn(&[p[0].clone(), a[1].clone()])[1].clone();
        let (l, g) = try_value_and_grad_n(loss, &a[..1]).unwrap();
        vec![l, g[0].clone()]
    };
    let power = |a: &[Tensor]| {
        let step = |_: &Tensor, c: &[Tensor]| vec![(c[0].matmul(&a[0]) + 1.0).tanh()];
        fori_loop(0i64, &a[1], step, &[Tensor::ones(&[d], DType::F32)])
    };
    for (name, f, loops) in [
        ("scan", &rnn as &dyn Fn(&[Tensor]) -> Vec<Tensor>, 1),
        ("scan gradient", &rnn_grad, 2),
        ("while loop", &power, 1),
    ] {
        let counts: Vec<(usize, usize)> = [10, 80]
            .iter()
            .map(|&steps| {
                let xs = Tensor::randn(&[steps, d], 2, DType::F32);
                let args = if name == "while loop" {
                    vec![w.clone(), Tensor::scalar(steps as i64)]
                } else {
                    vec![w.clone(), xs]
                };
                warm_allocations(f, &args)
            })
            .collect();
        let (short, long) = (counts[0], counts[1]);
        // The returned vector and one handle per output, and a loop's own few per call (its
        // argument and output vectors): none per step.
        assert_eq!(
            short, long,
            "{name}: 10 steps made {short:?} allocations, 80 made {long:?}"
        );
        assert!(
            long.0 <= long.1 + 1 + 3 * loops,
            "{name}: a warm call made {} allocations for {} outputs",
            long.0,
            long.1
        );
    }
}
