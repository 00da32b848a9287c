//! Helpers shared by the integration tests.
#![allow(dead_code)]

use cotangent::Tensor;

/// The deterministic f64 fill used by `reference/gen_reference.py`: element `i` (row-major) is
/// `scale · sin(seed + 0.7·i)`.
pub fn fill_scaled(shape: &[usize], seed: f64, scale: f64) -> Tensor {
    let n: usize = shape.iter().product();
    let v: Vec<f64> = (0..n)
        .map(|i| scale * (seed + 0.7 * i as f64).sin())
        .collect();
    Tensor::from_vec(v, shape)
}

/// `fill_scaled` with scale 0.5.
pub fn fill(shape: &[usize], seed: f64) -> Tensor {
    fill_scaled(shape, seed, 0.5)
}

/// Assert `got` equals `expected` elementwise within `tol` (absolute plus relative).
#[track_caller]
pub fn assert_close(got: &Tensor, expected: &[f64], tol: f64) {
    let g = got.to_f64_vec();
    assert_eq!(g.len(), expected.len(), "element count");
    for (i, (a, b)) in g.iter().zip(expected).enumerate() {
        assert!(
            (a - b).abs() <= tol * (1.0 + b.abs()),
            "element {i}: got {a}, expected {b} (diff {:e})",
            (a - b).abs()
        );
    }
}
