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
