//! Memory of a compiled program after its first call: repeated calls record no graph nodes
//! and keep outputs the caller holds, and (counted by a counting allocator) strided inputs of a
//! fused loop (the broadcast row maxima and sums of a softmax, a layer norm's broadcast
//! statistics and scale, a roll) are read in place, not packed into a new buffer on every call.
//! `recorded_nodes` counts the whole process's live nodes: the tests here run one at a time.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use cotangent::jit::Jit;
use cotangent::*;

/// Counts the bytes each thread has asked for.
struct Counting;

thread_local! {
    static ASKED: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call forwards to the system allocator with the same layout and pointer; the
// counting touches only a const-initialized thread-local (no allocation, no destructor), and
// `try_with` makes it a no-op while a thread's locals are being torn down.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's layout contract is passed on unchanged.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let _ = ASKED.try_with(|a| a.set(a.get() + layout.size()));
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
