//! The f64 kernels: Taylor polynomials after Cody–Waite range reduction. The reduced arguments
//! are small enough that the truncated series is exact to far below half a unit in the last
//! place (`|r| ≤ ln 2 / 2` with terms to `r^13` for `exp`, `|r| ≤ π/4` with terms to `r^17`
//! for `sin` and `cos`), so the coefficients are the exact `1/k!` rounded once, and what is
//! left is the rounding of the evaluation. Measured against the standard library in the tests
//! below, as relative error in units of ε = 2^-52 (a correctly rounded result is within 0.5):
//! `exp` within 1, `tanh` within 2.5, `sin` and `cos` within 1.25 (against the larger of the
//! value and 2^-30 near their zeros, where the reduction's absolute error carries). Arguments beyond 2^18 for `sin` and `cos`, and NaN, are recomputed
//! with the standard library.

/// 1.5·2^52: adding it rounds to an integer in the low bits.
const MAGIC: f64 = 6_755_399_441_055_744.0;

/// `x` rounded to the nearest integer, as a float and as an integer (|x| < 2^51).
#[inline(always)]
fn round_int(x: f64) -> (f64, i64) {
    let t = x + MAGIC;
    (
        t - MAGIC,
        (t.to_bits() as i64).wrapping_sub(MAGIC.to_bits() as i64),
    )
}

/// 2^n for -1022 ≤ n ≤ 1023.
#[inline(always)]
fn pow2(n: i64) -> f64 {
    f64::from_bits(((n + 1023) as u64) << 52)
}

/// `1/k!` rounded once: `k!` is exact in f64 for every `k` used here (up to 22).
const fn inv_fact(k: u32) -> f64 {
    let mut f = 1.0;
    let mut i = 2;
    while i <= k {
        f *= i as f64;
        i += 1;
    }
    1.0 / f
}

/// `[1/top!, 1/(top-1)!, …]`, `N` of them: the exponential series' coefficients from the
/// highest term down, as Horner's rule takes them.
const fn inv_facts<const N: usize>(top: u32) -> [f64; N] {
    let mut c = [0.0; N];
    let mut i = 0;
    while i < N {
        c[i] = inv_fact(top - i as u32);
        i += 1;
    }
    c
}

/// `c[0] x^(n-1) + … + c[n-1]` by Horner's rule (`p·x - c` and `p·x + (-c)` round alike).
#[inline(always)]
fn horner(x: f64, c: &[f64]) -> f64 {
    c[1..].iter().fold(c[0], |p, &k| p * x + k)
}

/// ln 2 split in two: the high part has 32 significant bits, so `n · LN2_HI` is exact for
/// every exponent `n` an f64 can have.
const LN2_HI: f64 = 0.693_147_180_601_954_5;
const LN2_LO: f64 = -4.200_915_072_681_084_6e-11;

/// π/2 split in three: the first two parts have 33 significant bits, so `j · PIO2_1` and
/// `j · PIO2_2` are exact for `j < 2^20`.
const PIO2_1: f64 = 1.570_796_326_734_125_6;
const PIO2_2: f64 = 6.077_100_506_303_966e-11;
const PIO2_3: f64 = 2.022_266_248_795_950_6e-21;

/// Beyond this the reduction's quotient outgrows the split: such elements are redone with `std`.
const TRIG_LIMIT: f64 = 262_144.0;

/// `e^r - 1 - r` for `|r| ≤ ln 2 / 2` (the series to `r^13`; the first omitted term is below
/// 2^-57 of `e^r`).
#[inline(always)]
fn exp_tail(r: f64) -> f64 {
    // 1/13! down to 1/2! = 0.5.
    const C: [f64; 12] = inv_facts(13);
    let q = horner(r, &C);
    r * r * q
}

/// `y = n ln 2 + r` with `n` an integer and `|r| ≤ ln 2 / 2`, as `(n, r)`.
#[inline(always)]
fn reduce_ln2(y: f64) -> (i64, f64) {
    let (n, ni) = round_int(y * std::f64::consts::LOG2_E);
    (ni, (y - n * LN2_HI) - n * LN2_LO)
}

/// `e^x`.
#[inline(always)]
pub(super) fn exp(x: f64) -> f64 {
    // Past these the result is infinite or zero, which the scaling below produces on its own;
    // the clamp keeps the exponent in range for it (and NaN stays NaN).
    let xc = x.clamp(-746.0, 710.0);
    let (n, ni) = round_int(xc * std::f64::consts::LOG2_E);
    // e^r = 1 + r + r^2 q(r), with the rounding errors of r = hi + lo and of 1 + r carried to
    // the last addition (each recovered exactly), which leaves within a hair of half an ulp.
    let hi = xc - n * LN2_HI;
    let lo = -(n * LN2_LO);
    let r = hi + lo;
    let r_err = (hi - r) + lo;
    let one_r = 1.0 + r;
    let one_r_err = (1.0 - one_r) + r;
    let y = one_r + (one_r_err + r_err + exp_tail(r));
    // Scale in two steps so that n = 1024 or n < -1022 stays representable.
    let n1 = ni >> 1;
    y * pow2(n1) * pow2(ni - n1)
}

/// `e^x` to a relative error below 6e-9, for f32 results computed in f64 (single's `erfc`):
/// a degree-7 Taylor polynomial after the reduction, by fused multiply-adds (one instruction
/// where the block runs with FMA, libm's correctly rounded `fma` elsewhere: bit-identical).
#[inline(always)]
pub(super) fn exp_coarse(x: f64) -> f64 {
    let xc = x.clamp(-746.0, 710.0);
    let (n, ni) = round_int(xc * std::f64::consts::LOG2_E);
    let r = xc - n * std::f64::consts::LN_2;
    // 1/7! down to 1/0! = 1.
    const C: [f64; 8] = inv_facts(7);
    let p = C[1..].iter().fold(C[0], |p, &k| p.mul_add(r, k));
    let n1 = ni >> 1;
    p * pow2(n1) * pow2(ni - n1)
}

/// `erfc(x)`: libm's, per element (no vectorized f64 kernel yet).
#[inline(always)]
pub(super) fn erfc(x: f64) -> f64 {
    libm::erfc(x)
}

/// `tanh(x) = e / (e + 2)` with `e = e^{2|x|} - 1`, the sign of `x` put back.
#[inline(always)]
pub(super) fn tanh(x: f64) -> f64 {
    // tanh(22) rounds to 1, and the clamp keeps e finite (NaN stays NaN).
    let a = x.abs().clamp(0.0, 22.0);
    let (n, r) = reduce_ln2(2.0 * a);
    let s = pow2(n);
    // 2^n e^r - 1 = 2^n (e^r - 1) + (2^n - 1): both terms exact but for the one rounding of
    // their sum, and no cancellation near zero (n = 0 there).
    let e = s * (r + exp_tail(r)) + (s - 1.0);
    (e / (e + 2.0)).copysign(x)
}

/// The sine (`shift = 0`) or cosine (`shift = 1`) of `x`, by quadrant after reducing by π/2.
#[inline(always)]
fn sin_cos(x: f64, shift: i64) -> f64 {
    let (j, ji) = round_int(x * std::f64::consts::FRAC_2_PI);
    let r = ((x - j * PIO2_1) - j * PIO2_2) - j * PIO2_3;
    let z = r * r;
    let p = horner(
        z,
        &[
            inv_fact(17),
            -inv_fact(15),
            inv_fact(13),
            -inv_fact(11),
            inv_fact(9),
            -inv_fact(7),
            inv_fact(5),
            -inv_fact(3),
        ],
    );
    let s = r + r * z * p;
    let q = horner(
        z,
        &[
            inv_fact(16),
            -inv_fact(14),
            inv_fact(12),
            -inv_fact(10),
            inv_fact(8),
            -inv_fact(6),
            inv_fact(4),
        ],
    );
    // 1 - z/2 with the rounding error of that subtraction added back (it is exact to recover).
    let h = 0.5 * z;
    let w = 1.0 - h;
    let c = w + (((1.0 - w) - h) + z * z * q);
    let quadrant = (ji + shift) & 3;
    let v = if quadrant & 1 == 0 { s } else { c };
    let v = if quadrant & 2 == 0 { v } else { -v };
    // sin keeps the sign of a zero (IEEE, std, JAX).
    if shift == 0 && x == 0.0 {
        x
    } else {
        v
    }
}

fast_impl!(f64, i64);

#[cfg(test)]
mod tests {
    use super::super::{cos_block, exp_block, run, sin_block, tanh_block, Op};
    use super::*;

    /// The relative error of `got` against `want` in units of ε = 2^-52 (against `floor` where
    /// `want` is smaller in magnitude). A correctly rounded result scores at most 0.5.
    fn rel_eps(got: f64, want: f64, floor: f64) -> f64 {
        let scale = want.abs().max(floor).max(f64::MIN_POSITIVE);
        (got - want).abs() / scale / f64::EPSILON
    }

    fn sweep(lo: f64, hi: f64, n: usize) -> impl Iterator<Item = f64> {
        (0..=n).map(move |i| lo + (hi - lo) * (i as f64 / n as f64))
    }

    /// The largest relative error of `op` over `xs` against `want`, in units of ε; NaN and
    /// infinities must match exactly.
    fn worst(op: Op, xs: &[f64], want: fn(f64) -> f64, floor: f64) -> f64 {
        let mut out = vec![0.0; xs.len()];
        run(op, &mut out, xs);
        let mut worst = 0.0f64;
        for (&x, &y) in xs.iter().zip(&out) {
            let w = want(x);
            if w.is_nan() {
                assert!(y.is_nan(), "{op:?}({x}) = {y}, want NaN");
            } else if w.is_infinite() || y.is_infinite() {
                assert_eq!(y, w, "{op:?}({x})");
            } else {
                worst = worst.max(rel_eps(y, w, floor));
            }
        }
        worst
    }

    /// The block entry points (the AVX-512 or AVX2 build where the CPU has it) compute exactly
    /// what the scalar functions compute.
    #[test]
    fn blocks_match_the_scalar_kernels() {
        let xs: Vec<f64> = sweep(-800.0, 800.0, 10_007)
            .chain([f64::NAN, 0.0, -0.0, f64::INFINITY, f64::NEG_INFINITY])
            .collect();
        let mut out = vec![0f64; xs.len()];
        exp_block(&mut out, &xs);
        for (&x, &y) in xs.iter().zip(&out) {
            assert_eq!(y.to_bits(), exp(x).to_bits(), "exp({x})");
        }
        tanh_block(&mut out, &xs);
        for (&x, &y) in xs.iter().zip(&out) {
            assert_eq!(y.to_bits(), tanh(x).to_bits(), "tanh({x})");
        }
        sin_block(&mut out, &xs);
        for (&x, &y) in xs.iter().zip(&out) {
            assert_eq!(y.to_bits(), sin_cos(x, 0).to_bits(), "sin({x})");
        }
        cos_block(&mut out, &xs);
        for (&x, &y) in xs.iter().zip(&out) {
            assert_eq!(y.to_bits(), sin_cos(x, 1).to_bits(), "cos({x})");
        }
    }

    #[test]
    fn exp_within_one_epsilon() {
        let xs: Vec<f64> = sweep(-708.0, 709.7, 400_003)
            .chain(sweep(-1.0, 1.0, 100_003))
            .chain(sweep(-1e-9, 1e-9, 1_001))
            .collect();
        let w = worst(Op::Exp, &xs, f64::exp, 0.0);
        assert!(w <= 1.0, "exp: {w} ε");
        // Overflow, underflow (through the subnormals), the infinities and NaN.
        let edges = [
            709.78,
            710.0,
            1e300,
            -740.0,
            -745.0,
            -746.0,
            -1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        for x in edges {
            let (mut y, want) = ([0.0], x.exp());
            exp_block(&mut y, &[x]);
            assert!(
                y[0] == want || (y[0] - want).abs() <= want * 1e-15 || want < 1e-300,
                "exp({x}) = {}, want {want}",
                y[0]
            );
        }
        let mut y = [0.0];
        exp_block(&mut y, &[f64::NAN]);
        assert!(y[0].is_nan());
        exp_block(&mut y, &[-1000.0]);
        assert_eq!(y[0], 0.0);
        exp_block(&mut y, &[1000.0]);
        assert_eq!(y[0], f64::INFINITY);
    }

    #[test]
    fn tanh_within_two_and_a_half_epsilon() {
        let xs: Vec<f64> = sweep(-25.0, 25.0, 400_003)
            .chain(sweep(-0.5, 0.5, 100_003))
            .chain(sweep(-1e-6, 1e-6, 1_001))
            .chain([
                1e-300,
                -1e-310,
                5e-324,
                100.0,
                -1e300,
                f64::INFINITY,
                f64::NAN,
            ])
            .collect();
        let w = worst(Op::Tanh, &xs, f64::tanh, 0.0);
        assert!(w <= 2.5, "tanh: {w} ε");
        let mut y = [1.0; 2];
        tanh_block(&mut y, &[-0.0, 0.0]);
        assert_eq!(y.map(f64::to_bits), [(-0f64).to_bits(), 0f64.to_bits()]);
    }

    #[test]
    fn sin_and_cos_within_one_and_a_quarter_epsilon() {
        let xs: Vec<f64> = sweep(-300_000.0, 300_000.0, 400_003)
            .chain(sweep(-7.0, 7.0, 200_003))
            .chain(sweep(-1e-6, 1e-6, 1_001))
            .chain([1e-300, 5e-324, f64::NAN, f64::INFINITY, 1e20, -1e300])
            .collect();
        for (op, f) in [(Op::Sin, f64::sin as fn(f64) -> f64), (Op::Cos, f64::cos)] {
            let w = worst(op, &xs, f, 2f64.powi(-30));
            assert!(w <= 1.25, "{op:?}: {w} ε");
        }
        // Signed zeros: sin(-0) is -0, as std gives.
        let mut out = [1f64; 2];
        sin_block(&mut out, &[-0.0, 0.0]);
        assert_eq!(out.map(f64::to_bits), [(-0f64).to_bits(), 0f64.to_bits()]);
    }
}
