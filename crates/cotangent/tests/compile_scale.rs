//! Compile time grows linearly with the graph: a `jit` over a chain of 1,000,000 elementwise
//! ops traces, compiles and runs (issue 18 item 4; grouping used to be quadratic). No time is
//! asserted; the test prints the times of the first call (trace + compile + run) and of a
//! second, cached call at three sizes, so the growth can be read off the log. The value is
//! checked against the same recurrence in plain `f64` arithmetic.

use std::time::Instant;

use cotangent::*;

/// `n` steps alternating `y ← sin(0.999·y)` and `y ← y + 0.001`.
fn chain(x: &Tensor, n: usize) -> Tensor {
    let mut y = x.clone();
    for i in 0..n {
        y = if i % 2 == 0 {
            (&y * 0.999).sin()
        } else {
            &y + 0.001
        };
    }
    y
}

fn reference(x: f64, n: usize) -> f64 {
    (0..n).fold(x, |y, i| {
        if i % 2 == 0 {
            (y * 0.999).sin()
        } else {
            y + 0.001
        }
    })
}

#[test]
fn a_million_op_chain_compiles() {
    let x = Tensor::from_vec(vec![0.5f64, -0.25, 1.0, 2.0], &[4]);
    for n in [10_000, 100_000, 1_000_000] {
        let f = Jit::new(move |a: &[Tensor]| vec![chain(&a[0], n)]);
        let t0 = Instant::now();
        let out = f.call(std::slice::from_ref(&x));
        let first = t0.elapsed().as_secs_f64();
        let t1 = Instant::now();
        let again = f.call(std::slice::from_ref(&x));
        let second = t1.elapsed().as_secs_f64();
        println!(
            "{n} ops: first call {first:.3} s ({:.2} µs per op), cached call {second:.4} s",
            first / n as f64 * 1e6
        );
        assert_eq!(out[0].to_vec::<f64>(), again[0].to_vec::<f64>());
        for (got, x0) in out[0].to_vec::<f64>().iter().zip([0.5, -0.25, 1.0, 2.0]) {
            let want = reference(x0, n);
            assert!(
                (got - want).abs() < 1e-12,
                "{n} ops from {x0}: {got} vs {want}"
            );
        }
        assert_eq!(f.traces(), 1, "traced once");
    }
}
