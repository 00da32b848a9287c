//! Allocations the machine cannot satisfy (issue 17): each must come back as an
//! `OutOfMemory` error that names the operation, the byte count and the caller's line, where
//! the process used to abort with "memory allocation of N bytes failed".

use cotangent::*;

const F: DType = DType::F64;

#[track_caller]
fn oom<T: std::fmt::Debug>(r: Result<T>, op: &str) {
    let e = r.expect_err("expected an out-of-memory error");
    assert_eq!(e.kind, ErrorKind::OutOfMemory, "{e}");
    let msg = e.to_string();
    assert!(msg.starts_with(op), "names {op}: {msg}");
    assert!(msg.contains("bytes"), "gives the byte count: {msg}");
    assert!(msg.contains("hostile/memory.rs"), "names the caller: {msg}");
}

#[test]
fn impossible_allocations_are_errors_not_aborts() {
    let huge = 1usize << 40; // 8 TiB of f64
    oom(Tensor::try_zeros(&[huge], F), "full");
    oom(
        Tensor::try_full(&[1 << 20, 1 << 20], 1.0, DType::F32),
        "full",
    );
    oom(Tensor::try_eye(1 << 20, F), "eye");
    oom(Tensor::try_randn(&[huge], 0, F), "random");
    oom(Tensor::try_rand(&[huge], 0, F), "random");
    oom(Tensor::try_arange(0.0, 1e13, 1.0, F), "arange");
    oom(Tensor::try_linspace(0.0, 1.0, huge, F), "linspace");

    // A broadcast is a view (it allocates nothing) ...
    let one = Tensor::scalar(1.0);
    let wide = one.try_broadcast_to(&[1 << 20, 1 << 20]).unwrap();
    assert_eq!(wide.dims(), &[1 << 20, 1 << 20]);
    // ... but what is computed from it is not.
    oom(wide.try_exp(), "exp");
    oom(wide.try_sum_axes(&[0], false), "sum");
    oom(wide.try_mul(&wide), "mul");
    oom(wide.try_pad(&[(1, 1), (0, 0)], 0.0), "pad");
    // An outer product of 2^20-vectors: 8 TiB of output.
    let col = Tensor::zeros(&[1 << 20, 1], F);
    let row = Tensor::zeros(&[1, 1 << 20], F);
    oom(col.try_matmul(&row), "matmul");

    // Half precision: the constructors, and a kernel computed through f32 (its widened copy
    // of a broadcast input is asked of the allocator too).
    oom(Tensor::try_zeros(&[huge], DType::F16), "full");
    oom(Tensor::try_rand(&[huge], 0, DType::BF16), "random");
    let h = Tensor::scalar(1.0).cast(DType::F16);
    let wide = h.try_broadcast_to(&[1 << 20, 1 << 20]).unwrap();
    oom(wide.try_exp(), "exp");
    oom(wide.try_sum_axes(&[0], false), "sum");
    oom(wide.try_cast(DType::F32), "cast");
}

/// The same under `jit`: the compiled program's buffers (a fused loop's output, a primitive
/// step's result, a value kept for the backward pass) are allocated fallibly too, and the
/// error names the operation and the byte count (the location is the call of the compiled
/// function, which is the caller's line).
#[test]
fn impossible_allocations_in_compiled_programs_are_errors_not_aborts() {
    let jit_oom = |f: fn(&[Tensor]) -> Vec<Tensor>, x: Tensor, op: &str| {
        let j = Jit::new(f);
        let e = j
            .try_call(&[x])
            .expect_err("expected an out-of-memory error");
        assert_eq!(e.kind, ErrorKind::OutOfMemory, "{e}");
        let msg = e.to_string();
        assert!(msg.starts_with(op), "names {op}: {msg}");
        assert!(msg.contains("bytes"), "gives the byte count: {msg}");
    };
    let one = || Tensor::scalar(1.0);
    // A fused elementwise loop over a broadcast of 2^40 elements: its output buffer, named by
    // the equation whose value it holds (the loop's last, `sin`).
    jit_oom(
        |x| vec![(x[0].broadcast_to(&[1 << 20, 1 << 20]).exp() * 2.0).sin()],
        one(),
        "sin",
    );
    // A primitive step: the outer product of two 2^20-vectors.
    jit_oom(
        |x| {
            let c = x[0].broadcast_to(&[1 << 20, 1]).exp();
            vec![c.matmul(&c.t())]
        },
        one(),
        "matmul",
    );
    // A padded copy of a broadcast: compiled, the broadcast is materialized (eagerly it is a
    // view), and that is the buffer refused.
    jit_oom(
        |x| {
            vec![x[0]
                .broadcast_to(&[1 << 20, 1 << 20])
                .pad(&[(1, 1), (0, 0)], 0.0)]
        },
        one(),
        "broadcast_to",
    );
    // (A gradient of `sum(broadcast(x)²)` is not a probe: compiled, it fuses into one loop
    // over the 2^40 elements with no buffer, and computes the right 2^41, slowly.)
}
