//! Numerical probes against JAX / PyTorch float64 answers (issue 17): tails of sigmoid and GELU,
//! long f32 sums, cross-entropy with `-inf` logits, signed zeros under `jit`. The reference
//! values are the closed forms evaluated in Python's float64 (`math.exp`, `math.erfc`), written
//! in the forms that do not cancel (`e^-|x| / (1 + e^-|x|)²` for σ').

use cotangent::*;

/// Relative error of `got` against `want` (both nonzero).
fn rel(got: f64, want: f64) -> f64 {
    (got / want - 1.0).abs()
}

#[test]
fn sigmoid_tails_keep_relative_accuracy() {
    // (x, σ(x), σ'(x))
    let cases = [
        (-40.0, 4.248354255291589e-18, 4.248354255291589e-18),
        (-30.0, 9.3576229688393e-14, 9.357622968838425e-14),
        (-20.0, 2.0611536181902033e-09, 2.061153613941849e-09),
        (20.0, 0.9999999979388463, 2.061153613941849e-09),
        (0.0, 0.5, 0.25),
    ];
    let g = grad(|x: &Tensor| x.sigmoid());
    for (x, s, ds) in cases {
        let got = Tensor::scalar(x).sigmoid().item::<f64>();
        assert!(rel(got, s) < 1e-14, "sigmoid({x}) = {got}, want {s}");
        let got = g(&Tensor::scalar(x)).item::<f64>();
        assert!(rel(got, ds) < 1e-14, "sigmoid'({x}) = {got}, want {ds}");
    }
    // Far tails: finite, never NaN, and the second derivative too.
    let h = grad(grad(|x: &Tensor| x.sigmoid()));
    for x in [-800.0, -100.0, 100.0, 800.0] {
        let v = h(&Tensor::scalar(x)).item::<f64>();
        assert!(v.is_finite(), "sigmoid''({x}) = {v}");
    }
    assert_eq!(Tensor::scalar(-800.0).sigmoid().item::<f64>(), 0.0);
    assert_eq!(Tensor::scalar(800.0).sigmoid().item::<f64>(), 1.0);
}

#[test]
fn gelu_negative_tail_does_not_cancel() {
    // (x, gelu(x), gelu'(x)) with gelu(x) = x Φ(x), Φ(x) = erfc(-x/√2)/2.
    let cases = [
        (-10.0, -7.619853024160593e-23, -7.618400096464813e-22),
        (-8.0, -4.9767684594174555e-15, -3.979607261086796e-14),
        (-3.0, -0.004049694094890287, -0.011945647204183927),
    ];
    let g = grad(|x: &Tensor| x.gelu());
    for (x, y, dy) in cases {
        let got = Tensor::scalar(x).gelu().item::<f64>();
        assert!(rel(got, y) < 1e-13, "gelu({x}) = {got}, want {y}");
        let got = g(&Tensor::scalar(x)).item::<f64>();
        assert!(rel(got, dy) < 1e-12, "gelu'({x}) = {got}, want {dy}");
    }
}

#[test]
fn long_f32_sums_are_accurate_eager_and_jitted() {
    let n = 10_000_000;
    let x = Tensor::full(&[n], 0.1, DType::F32);
    let want = 0.1f32 as f64 * n as f64;
    let eager = x.sum().to_f64_vec()[0];
    assert!(rel(eager, want) < 1e-6, "eager sum {eager}, want {want}");
    // A fused loop feeding the sum (x·1 + 0 keeps it a loop, not a bare reduction).
    let j = jit(|x: &Tensor| (x * 1.0 + 0.0).sum());
    let jitted = j(&x).to_f64_vec()[0];
    assert!(rel(jitted, want) < 1e-6, "jitted sum {jitted}, want {want}");
    // Over rows too: a [n/4, 4] tensor summed over its first axis.
    let cols = x.reshape(&[n / 4, 4]).sum_axes(&[0], false).to_f64_vec();
    for c in cols {
        assert!(rel(c, want / 4.0) < 1e-6, "column sum {c}");
    }
}

#[test]
fn cross_entropy_with_minus_infinity_logits() {
    let logits = Tensor::from_vec(vec![f64::NEG_INFINITY, 0.0], &[1, 2]);
    let labels = Tensor::from_vec(vec![1i64], &[1]);
    // log_softmax = [-inf, 0]: the loss of the certain class is 0 (JAX, PyTorch), not NaN.
    assert_eq!(logits.cross_entropy(&labels).item::<f64>(), 0.0);
    let g = grad(|z: &Tensor| z.cross_entropy(&labels))(&logits).to_f64_vec();
    assert_eq!(g, vec![0.0, 0.0]);
}

#[test]
fn one_hot_refuses_out_of_range_labels() {
    let labels = Tensor::from_vec(vec![0i64, 3], &[2]);
    let e = labels.try_one_hot(3, DType::F64).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Index);
    assert!(
        e.to_string()
            .contains("label 3 is out of range for 3 classes"),
        "{e}"
    );
    assert!(
        e.to_string().contains("numerics.rs"),
        "names the caller: {e}"
    );
    let labels = Tensor::from_vec(vec![-1i64], &[1]);
    assert!(labels.try_one_hot(3, DType::F64).is_err());
}

#[test]
fn jitted_f32_sin_keeps_the_sign_of_zero() {
    let x = Tensor::from_vec(vec![-0.0f32, 0.0, -1.0], &[3]);
    let eager = x.sin().to_vec::<f32>();
    let jitted = jit(|x: &Tensor| x.sin())(&x).to_vec::<f32>();
    assert_eq!(
        jitted.iter().map(|v| v.to_bits()).collect::<Vec<_>>()[..2],
        eager.iter().map(|v| v.to_bits()).collect::<Vec<_>>()[..2]
    );
    assert!(jitted[0].is_sign_negative(), "sin(-0.0) = {}", jitted[0]);
}

#[test]
fn erfc_keeps_its_tail() {
    let x = Tensor::from_vec(vec![5.0, 10.0, 26.0], &[3]);
    let got = x.erfc().to_f64_vec();
    let want = [
        1.5374597944280351e-12,
        2.088487583762545e-45,
        5.663192408856143e-296,
    ];
    for (g, w) in got.iter().zip(want) {
        assert!(rel(*g, w) < 1e-13, "erfc: got {g}, want {w}");
    }
}

/// Second derivatives at the points where a rule used to be guarded: `x^y` at `(4, 0)` (JAX
/// float64: `[[0, 0.25], [0.25, 1.92181206]]`), and `abs'(0) = 1`, `softplus'(0) = 1/2`.
#[test]
fn guarded_rules_at_second_order() {
    let at = |v: &Tensor, i: usize| v.narrow(0, i, 1).sum();
    let h = hessian(|v: &Tensor| at(v, 0).pow(&at(v, 1)))(&Tensor::from_vec(vec![4.0, 0.0], &[2]));
    let h = h.to_vec::<f64>();
    let want = [0.0, 0.25, 0.25, 4f64.ln().powi(2)];
    for (g, w) in h.iter().zip(want) {
        assert!((g - w).abs() < 1e-14, "hessian of x^y at (4, 0): {h:?}");
    }
    assert_eq!(
        grad(|x: &Tensor| x.abs())(&Tensor::scalar(0.0)).item::<f64>(),
        1.0
    );
    let x = Tensor::from_vec(vec![0.0, -30.0, 30.0, -800.0, 800.0], &[5]);
    let g = grad(|x: &Tensor| x.softplus().sum())(&x).to_f64_vec();
    assert_eq!(g[0], 0.5);
    assert!((g[1] / 9.3576229688393e-14 - 1.0).abs() < 1e-14, "{g:?}");
    assert_eq!((g[3], g[4]), (0.0, 1.0));
    let g1 = grad(|x: &Tensor| x.softplus().sum());
    let gg = grad(|x: &Tensor| g1(x).sum())(&x).to_f64_vec();
    assert_eq!(gg[0], 0.25);
    assert!(gg.iter().all(|v| v.is_finite()), "{gg:?}");
}
