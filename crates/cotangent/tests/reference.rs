//! Values with a known answer, computed in f64 by JAX 0.10.2 and checked against 60-digit
//! mpmath (see `benches/peers/reference_values.md`, produced by
//! `benches/peers/reference_values.py`). Compared with the mpmath "true value" column to a
//! relative 1e-14, not bit for bit.

// The literals are the 17-significant-digit values of the reference table, kept verbatim.
#![allow(clippy::excessive_precision)]

use cotangent::*;

fn assert_close(got: &[f64], want: &[f64], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let tol = 1e-14 * w.abs().max(1e-300) + 1e-300;
        assert!(
            (g - w).abs() <= tol.max(2e-16),
            "{what}[{i}]: {g:e} vs {w:e}"
        );
    }
}

#[test]
fn teaching_example_against_jax() {
    let f = |x: &Tensor| {
        let (a, b) = (x.narrow(0, 0, 1).sum(), x.narrow(0, 1, 1).sum());
        ((&a + &b).square() + (&a * &b).sin()).log()
    };
    let x = Tensor::from_vec(vec![1.5, 0.5], &[2]);
    let (v, g) = value_and_grad(f)(&x);
    assert_close(&[v.item::<f64>()], &[1.543648211035159], "f");
    assert_close(
        &g.to_vec::<f64>(),
        &[0.93254619978734754, 1.0888352486395863],
        "grad",
    );
    let h = hessian(f)(&x).to_vec::<f64>();
    let want = [
        -0.47884115821690243,
        -0.54109803025958392,
        -0.54109803025958392,
        -1.0859575914366519,
    ];
    for (i, (a, b)) in h.iter().zip(want).enumerate() {
        assert!((a - b).abs() < 1e-14, "H[{i}] = {a} vs {b}");
    }
}

#[test]
fn third_derivative_of_tanh_against_mpmath() {
    let d3 = grad(grad(grad(|x: &Tensor| x.tanh())))(&Tensor::scalar(0.7)).item::<f64>();
    assert!((d3 - 0.12159227738323637).abs() < 1e-14 * 0.122, "{d3}");
}

#[test]
fn softmax_family_against_jax() {
    let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, -1.0], &[4]);
    let softmax = [
        0.088946817297404293,
        0.24178251715880078,
        0.65723302283185547,
        0.012037642711939451,
    ];
    assert_close(&x.softmax(0).to_vec::<f64>(), &softmax, "softmax");
    let lse = 3.4197166463153397;
    assert_close(
        &[x.logsumexp(&[0], false).item::<f64>()],
        &[lse],
        "logsumexp",
    );
    let log_softmax: Vec<f64> = [1.0, 2.0, 3.0, -1.0].iter().map(|v| v - lse).collect();
    let got = x.log_softmax(0).to_vec::<f64>();
    for (g, w) in got.iter().zip(&log_softmax) {
        assert!((g - w).abs() < 1e-15, "log_softmax {g} vs {w}");
    }
    let g = grad(|x: &Tensor| x.logsumexp(&[0], false))(&x).to_vec::<f64>();
    assert_close(&g, &softmax, "grad logsumexp");
}

#[test]
fn gelu_against_jax() {
    let x = Tensor::from_vec(vec![-1.5, 0.0, 0.3, 2.0], &[4]);
    let y = x.gelu().to_vec::<f64>();
    let want = [
        -0.1002108019032871,
        0.0,
        0.1853734266566858,
        1.9544997361036416,
    ];
    for (i, (a, b)) in y.iter().zip(want).enumerate() {
        assert!((a - b).abs() < 1e-15, "gelu[{i}] = {a} vs {b}");
    }
    let d = jacobian(|x: &Tensor| x.gelu())(&x).to_vec::<f64>();
    let want = [
        -0.12746919222997952,
        0.5,
        0.73232776682710987,
        1.0852318010781969,
    ];
    for i in 0..4 {
        assert!(
            (d[i * 4 + i] - want[i]).abs() < 1e-14,
            "gelu'[{i}] = {} vs {}",
            d[i * 4 + i],
            want[i]
        );
    }
}

#[test]
fn cross_entropy_against_jax() {
    let logits = Tensor::from_vec(vec![1.0, 2.0, 0.5, 0.1, -0.3, 2.2], &[2, 3]);
    let labels = Tensor::from_vec(vec![1i64, 2], &[2]);
    let (l, g) = value_and_grad(|z: &Tensor| z.cross_entropy(&labels))(&logits);
    assert!((l.item::<f64>() - 0.32523386000568072).abs() < 1e-15);
    let want = [
        0.11561194881107453,
        -0.18573414039411879,
        0.070122191583044238,
        0.050831140183565673,
        0.034073132227891781,
        -0.084904272411457454,
    ];
    for (i, (a, b)) in g.to_vec::<f64>().iter().zip(want).enumerate() {
        assert!((a - b).abs() < 1e-15, "grad[{i}] = {a} vs {b}");
    }
}

#[test]
fn population_variance_against_jax() {
    let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 7.0], &[2, 3]);
    assert_close(
        &x.var_axes(&[1], false).to_vec::<f64>(),
        &[2.0 / 3.0, 14.0 / 9.0],
        "var",
    );
}
