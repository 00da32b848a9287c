//! Scalar special functions in f64 for the `erfinv`, `lgamma` and `polygamma` kernels (f32
//! inputs are computed in f64 and rounded once).

use std::f64::consts::{FRAC_2_SQRT_PI, PI};

/// The inverse error function: `erf(erfinv(x)) = x` on `[-1, 1]` (`±inf` at `±1`, NaN
/// outside). Giles' single-precision approximation, then Newton steps (on `ln erfc` above 0.5,
/// so the tails keep their precision).
pub(crate) fn erfinv(x: f64) -> f64 {
    if x.is_nan() || x.abs() > 1.0 {
        return f64::NAN;
    }
    if x.abs() == 1.0 {
        return x * f64::INFINITY;
    }
    if x == 0.0 {
        return x;
    }
    let a = x.abs();
    let mut w = -((1.0 - a) * (1.0 + a)).ln();
    let p = if w < 5.0 {
        w -= 2.5;
        [
            3.43273939e-07,
            -3.5233877e-06,
            -4.39150654e-06,
            0.00021858087,
            -0.00125372503,
            -0.00417768164,
            0.246640727,
            1.50140941,
        ]
        .iter()
        .fold(2.81022636e-08, |p, c| c + p * w)
    } else {
        w = w.sqrt() - 3.0;
        [
            0.000100950558,
            0.00134934322,
            -0.00367342844,
            0.00573950773,
            -0.0076224613,
            0.00943887047,
            1.00167406,
            2.83297682,
        ]
        .iter()
        .fold(-0.000200214257, |p, c| c + p * w)
    };
    let mut y = p * a;
    // Newton on erf(y) = a near 0, on ln erfc(y) = ln(1 - a) in the tails (nearly linear
    // there, so it converges where the approximation, fitted for f32, is poor).
    for _ in 0..8 {
        let (f, d) = if a <= 0.5 {
            (libm::erf(y) - a, FRAC_2_SQRT_PI * (-y * y).exp())
        } else {
            let e = libm::erfc(y);
            if e == 0.0 {
                break;
            }
            (e.ln() - (-a).ln_1p(), -FRAC_2_SQRT_PI * (-y * y).exp() / e)
        };
        if d == 0.0 || !f.is_finite() {
            break;
        }
        let step = f / d;
        y -= step;
        if step.abs() <= 1e-16 * y.abs() {
            break;
        }
    }
    x.signum() * y
}

/// `ln |Γ(x)|`.
pub(crate) fn lgamma(x: f64) -> f64 {
    libm::lgamma(x)
}

/// Whether `x` is a pole of the gamma function (0, -1, -2, …).
fn pole(x: f64) -> bool {
    x <= 0.0 && x == x.floor()
}

/// The digamma function `ψ(x) = Γ'(x)/Γ(x)`; NaN at the poles (0, -1, -2, …). Reflection below
/// 0, the recurrence `ψ(x) = ψ(x + 1) - 1/x` up to 10, then the asymptotic series.
pub(crate) fn digamma(x: f64) -> f64 {
    if x.is_nan() || x == f64::NEG_INFINITY || pole(x) {
        return f64::NAN;
    }
    if x == f64::INFINITY {
        return x;
    }
    if x < 0.0 {
        return digamma(1.0 - x) - PI / (PI * x).tan();
    }
    let (mut x, mut acc) = (x, 0.0);
    while x < 10.0 {
        acc -= 1.0 / x;
        x += 1.0;
    }
    let r = 1.0 / (x * x);
    let series = [
        1.0 / 12.0,
        -1.0 / 120.0,
        1.0 / 252.0,
        -1.0 / 240.0,
        1.0 / 132.0,
        -691.0 / 32760.0,
        1.0 / 12.0,
    ]
    .iter()
    .rev()
    .fold(0.0, |s, c| (s + c) * r);
    acc + x.ln() - 0.5 / x - series
}

/// Bernoulli numbers `B_2, B_4, …, B_16`.
const BERNOULLI: [f64; 8] = [
    1.0 / 6.0,
    -1.0 / 30.0,
    1.0 / 42.0,
    -1.0 / 30.0,
    5.0 / 66.0,
    -691.0 / 2730.0,
    7.0 / 6.0,
    -3617.0 / 510.0,
];

/// The polygamma function `ψ⁽ⁿ⁾(x)`, the `n`-th derivative of digamma (`n = 0` is digamma).
/// NaN at the poles and below -1e6 (where the recurrence would take too long); `n ≥ 1` uses the
/// recurrence `ψ⁽ⁿ⁾(x) = ψ⁽ⁿ⁾(x + 1) - (-1)ⁿ n!/xⁿ⁺¹` up to `x ≥ n + 10`, then the asymptotic
/// series.
pub(crate) fn polygamma(n: u32, x: f64) -> f64 {
    if n == 0 {
        return digamma(x);
    }
    if x.is_nan() || x < -1e6 || pole(x) {
        return f64::NAN;
    }
    if x == f64::INFINITY {
        return 0.0;
    }
    let nf = n as f64;
    let fact = |k: u32| (1..=k).fold(1.0, |p, i| p * i as f64);
    // (-1)^(n+1)
    let sign = if n % 2 == 1 { 1.0 } else { -1.0 };
    let n_fact = fact(n);
    let (mut x, mut acc) = (x, 0.0);
    while x < nf + 10.0 {
        // ψ⁽ⁿ⁾(x) = ψ⁽ⁿ⁾(x + 1) + (-1)^(n+1) n!/x^(n+1)
        acc += sign * n_fact / x.powi(n as i32 + 1);
        x += 1.0;
    }
    // (n-1)!/xⁿ + n!/(2xⁿ⁺¹) + Σ B_2k (2k+n-1)!/((2k)! x^(2k+n))
    let mut s = fact(n - 1) / x.powi(n as i32) + n_fact / (2.0 * x.powi(n as i32 + 1));
    // (2k+n-1)!/(2k)! for k = 1, 2, …, built up incrementally.
    let mut ratio = fact(n + 1) / 2.0;
    let mut xp = x.powi(n as i32 + 2);
    for (k, b) in BERNOULLI.iter().enumerate() {
        let k = k as u32 + 1;
        if k > 1 {
            // from (2k+n-3)!/(2k-2)! to (2k+n-1)!/(2k)!
            ratio *= ((2 * k + n - 2) * (2 * k + n - 1)) as f64 / ((2 * k - 1) * (2 * k)) as f64;
            xp *= x * x;
        }
        s += b * ratio / xp;
    }
    acc + sign * s
}
