//! Cheap values are computed again in the loops that read them instead of being stored: the
//! forward loop of a GELU layer's training step writes only what its backward loop cannot
//! cheaply recompute (the `erfc` term, and the activation the next product reads), not the
//! pre-activation `h·w + b` or its scaled copy. The results are eager's (to 1e-12 in f64): a
//! copy runs the same operation on the same operands.

use cotangent::jit::{Jit, StepKind};
use cotangent::*;

/// Loss and gradients of `mean((gelu(x·w + b)·w2)²)` with respect to `w`, `b` and `w2`.
fn step(a: &[Tensor]) -> Vec<Tensor> {
    let x = &a[3];
    let loss = |p: &[Tensor]| {
        (x.matmul(&p[0]) + &p[1])
            .gelu()
            .matmul(&p[2])
            .square()
            .mean()
    };
    let (l, g) = try_value_and_grad_n(loss, &a[..3]).unwrap();
    std::iter::once(l).chain(g).collect()
}

#[test]
fn a_gelu_forward_loop_stores_only_what_its_backward_cannot_recompute() {
    let (rows, d, hidden) = (64, 32, 512);
    for dtype in [DType::F32, DType::F64] {
        let args = [
            Tensor::randn(&[d, hidden], 1, dtype) * 0.2,
            Tensor::randn(&[hidden], 2, dtype) * 0.1,
            Tensor::randn(&[hidden, 8], 3, dtype) * 0.2,
            Tensor::randn(&[rows, d], 4, dtype),
        ];
        let j = Jit::new(step);
        let (got, want) = (j.call(&args), step(&args));
        let tol = if dtype == DType::F64 { 1e-12 } else { 1e-5 };
        for (a, b) in got.iter().zip(&want) {
            for (p, q) in a.to_f64_vec().iter().zip(b.to_f64_vec()) {
                assert!(
                    (p - q).abs() <= tol * q.abs().max(1.0),
                    "{dtype}: {p} vs {q}"
                );
            }
        }
        let c = j.compiled(&args).unwrap();
        let forward = c
            .report()
            .into_iter()
            .find(|r| r.kind == StepKind::Loop && r.equations.iter().any(|e| e.contains("= erfc")))
            .expect("a loop computes the GELU");
        // The erfc term and the activation: two of the layer's [rows, hidden] values.
        let value = rows * hidden * dtype.size_bytes();
        assert_eq!(
            forward.bytes_written,
            2 * value,
            "{dtype}: the GELU's loop writes more than two values:\n{}",
            c.listing()
        );
    }
}

/// `x·c, x·c², …` (`n` values, each the last times `c`), written by one loop, then each read
/// again after a product by a second loop, last first: every value is copied into the second
/// loop, each copy reading the copy before it.
fn chain_read_twice(a: &[Tensor], n: usize) -> Vec<Tensor> {
    let mut v = a[0].clone();
    let mut vs = Vec::with_capacity(n);
    for _ in 0..n {
        v = &v * 1.0001;
        vs.push(v.clone());
    }
    let z = v.reshape(&[1, 16]).matmul(&a[1]).reshape(&[16]);
    let mut acc = z.clone();
    // Last first: the first copy the second loop needs is of the last value, which needs all
    // the others before it.
    for v in vs.iter().rev() {
        acc = &acc + &(v * &z);
    }
    vec![acc]
}

#[test]
fn a_long_chain_of_copies_compiles_on_a_small_stack() {
    let n = 20_000;
    let args = [
        Tensor::linspace(-1.0, 1.0, 16, DType::F64),
        Tensor::eye(16, DType::F64) * 0.5,
    ];
    // A compiler that made the copies recursively would need a frame per link of the chain.
    let run = move || {
        let j = Jit::new(move |a: &[Tensor]| chain_read_twice(a, n));
        let got = j.call(&args);
        let want = chain_read_twice(&args, n);
        let c = j.compiled(&args).unwrap();
        let muls = c.graph().eqns().iter().filter(|e| e.prim.name() == "mul");
        (got, want, muls.count(), c.kernels())
    };
    let (got, want, muls, loops) = std::thread::Builder::new()
        .stack_size(512 << 10)
        .spawn(run)
        .unwrap()
        .join()
        .unwrap();
    for (p, q) in got[0].to_vec::<f64>().iter().zip(want[0].to_vec::<f64>()) {
        assert!((p - q).abs() <= 1e-12 * q.abs().max(1.0), "{p} vs {q}");
    }
    // The chain's `n` products, their `n` copies in the second loop, its `n` products by `z`.
    assert_eq!(muls, 3 * n, "the chain was not copied into the second loop");
    assert_eq!(loops, 2);
}
