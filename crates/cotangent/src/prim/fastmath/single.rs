//! The f32 kernels: polynomials after Cody–Waite range reduction (the Cephes single-precision
//! coefficients). Measured against f64 in the tests below: `exp` within 1.5 units in the last
//! place, `tanh` within 2, `sin` and `cos` within 1.5e-7 absolute; arguments where the reduction
//! would lose accuracy (|x| > 8192 for sin and cos, and NaN) are recomputed with the standard
//! library.

const MAGIC: f32 = 12_582_912.0; // 1.5·2^23: adding it rounds to an integer in the low bits

/// `x` rounded to the nearest integer, as a float and as an integer (|x| < 2^22).
#[inline(always)]
fn round_int(x: f32) -> (f32, i32) {
    let t = x + MAGIC;
    (
        t - MAGIC,
        (t.to_bits() as i32).wrapping_sub(MAGIC.to_bits() as i32),
    )
}

/// 2^n for -126 ≤ n ≤ 127.
#[inline(always)]
fn pow2(n: i32) -> f32 {
    f32::from_bits(((n + 127) as u32) << 23)
}

/// `e^x`.
#[inline(always)]
pub(crate) fn exp(x: f32) -> f32 {
    const HI: f32 = 88.722_84;
    const LO: f32 = -103.972_08;
    let xc = x.clamp(LO, HI); // NaN stays NaN
    let (n, ni) = round_int(xc * std::f32::consts::LOG2_E);
    let r = xc - n * 0.693_359_4 - n * -2.121_944_4e-4;
    let mut p = 1.987_569_1e-4f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 5e-1;
    let y = p * r * r + r + 1.0;
    // Scale in two steps so that n = 128 or n < -126 stays representable.
    let n1 = ni >> 1;
    let y = y * pow2(n1) * pow2(ni - n1);
    if x > HI {
        f32::INFINITY
    } else if x < LO {
        0.0
    } else if x.is_nan() {
        x
    } else {
        y
    }
}

/// The sine (`shift = 0`) or cosine (`shift = 1`) of a reduced argument, by quadrant.
#[inline(always)]
fn sin_cos(x: f32, shift: i32) -> f32 {
    let (j, ji) = round_int(x * std::f32::consts::FRAC_2_PI);
    let r = ((x - j * 1.570_312_5) - j * 4.837_513e-4) - j * 7.549_79e-8;
    let r2 = r * r;
    let s = r + r * r2 * (-1.666_665_5e-1 + r2 * (8.332_161e-3 + r2 * -1.951_529_6e-4));
    let c =
        1.0 - 0.5 * r2 + r2 * r2 * (4.166_664_6e-2 + r2 * (-1.388_731_6e-3 + r2 * 2.443_315_7e-5));
    let q = (ji + shift) & 3;
    let v = if q & 1 == 0 { s } else { c };
    let v = if q & 2 == 0 { v } else { -v };
    // The reduction turns -0.0 into +0.0; sin keeps the sign of a zero (IEEE, std, JAX).
    if shift == 0 && x == 0.0 {
        x
    } else {
        v
    }
}

/// Beyond this the reduction loses accuracy: such elements are redone with `std`.
const TRIG_LIMIT: f32 = 8192.0;

/// `tanh(x)`.
#[inline(always)]
pub(crate) fn tanh(x: f32) -> f32 {
    let a = x.abs();
    let z = x * x;
    let small =
        ((((-5.704_988_7e-3 * z + 2.063_909e-2) * z - 5.373_971_6e-2) * z + 1.333_144_2e-1) * z
            - 3.333_328e-1)
            * z
            * x
            + x;
    let big = 1.0 - 2.0 / (exp(2.0 * a) + 1.0);
    if a < 0.625 {
        small
    } else {
        big.copysign(x)
    }
}

/// `erfc(x)`: the Chebyshev fit `erfc(a) ≈ t·e^(P(t) - a²)` with `t = 1/(1 + a/2)` for
/// `a = |x|` (Numerical Recipes' `erfcc`, fractional error below 1.2e-7 for every `a ≥ 0`),
/// evaluated in f64 by fused multiply-adds and rounded once, and `erfc(-a) = 2 - erfc(a)`.
/// Within 2.5 units in the last place of libm's f64 `erfc` (measured below).
#[inline(always)]
pub(crate) fn erfc(x: f32) -> f32 {
    const P: [f64; 10] = [
        0.170_872_77,
        -0.822_152_23,
        1.488_515_87,
        -1.135_203_98,
        0.278_868_07,
        -0.186_288_06,
        0.096_784_18,
        0.374_091_96,
        1.000_023_68,
        -1.265_512_23,
    ];
    // erfc(20) is 0 in f32; the clamp keeps the Newton step finite (NaN stays NaN).
    let a = x.abs().clamp(0.0, 20.0);
    let ad = f64::from(a);
    // t from the f32 reciprocal (16 lanes a division) and one Newton step in f64.
    let t0 = f64::from(1.0 / (1.0 + 0.5 * a));
    let t = t0 * (2.0 - (1.0 + 0.5 * ad) * t0);
    let p = P[1..].iter().fold(P[0], |p, &c| p.mul_add(t, c));
    let r = t * super::double::exp_coarse(p - ad * ad);
    (if x < 0.0 { 2.0 - r } else { r }) as f32
}

fast_impl!(f32, i32);

#[cfg(test)]
mod tests {
    use super::super::{erfc_block, exp_block, run, sin_block, tanh_block, Op};
    use super::*;

    /// Distance in f32 units in the last place between `got` and the exact `want`.
    fn ulps(got: f32, want: f64) -> f64 {
        let w = want as f32;
        let ulp = (f32::from_bits(w.abs().to_bits() + 1) - w.abs()) as f64;
        (got as f64 - want).abs() / ulp.max(f32::MIN_POSITIVE as f64)
    }

    fn sweep(lo: f32, hi: f32, n: usize) -> impl Iterator<Item = f32> {
        (0..=n).map(move |i| lo + (hi - lo) * (i as f32 / n as f32))
    }

    /// The block entry point (the AVX2 build on CPUs that have it) computes exactly what the
    /// scalar functions compute.
    #[test]
    fn blocks_match_the_scalar_kernels() {
        let xs: Vec<f32> = sweep(-120.0, 120.0, 10_007)
            .chain([f32::NAN, 0.0, -0.0])
            .collect();
        let mut out = vec![0f32; xs.len()];
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
        erfc_block(&mut out, &xs);
        for (&x, &y) in xs.iter().zip(&out) {
            assert_eq!(y.to_bits(), erfc(x).to_bits(), "erfc({x})");
        }
    }

    #[test]
    fn erfc_within_two_and_a_half_ulps() {
        // Results below the smallest normal f32 are measured in units of the smallest
        // subnormal's spacing (their own), so the sweep runs to where erfc underflows to 0.
        let ulps_or_subnormal = |got: f32, want: f64| {
            let w = want as f32;
            let ulp = (f32::from_bits(w.abs().to_bits() + 1) - w.abs()) as f64;
            (got as f64 - want).abs() / ulp.max(f32::from_bits(1) as f64)
        };
        let worst = sweep(-10.5, 10.5, 400_000)
            .map(|x| ulps_or_subnormal(erfc(x), libm::erfc(x as f64)))
            .fold(0.0, f64::max);
        assert!(worst <= 2.5, "erfc: {worst} ulps");
        assert_eq!(erfc(0.0), 1.0);
        assert_eq!(erfc(f32::INFINITY), 0.0);
        assert_eq!(erfc(f32::NEG_INFINITY), 2.0);
        assert_eq!(erfc(11.0), 0.0);
        assert!(erfc(f32::NAN).is_nan());
    }

    #[test]
    fn exp_within_one_and_a_half_ulps() {
        let worst = sweep(-103.0, 88.7, 400_000)
            .map(|x| ulps(exp(x), (x as f64).exp()))
            .fold(0.0, f64::max);
        assert!(worst <= 1.5, "exp: {worst} ulps");
        assert_eq!(exp(89.0), f32::INFINITY);
        assert_eq!(exp(-110.0), 0.0);
        assert!(exp(f32::NAN).is_nan());
        assert_eq!(exp(f32::NEG_INFINITY), 0.0);
    }

    #[test]
    fn tanh_within_two_ulps() {
        let worst = sweep(-12.0, 12.0, 400_000)
            .map(|x| ulps(tanh(x), (x as f64).tanh()))
            .fold(0.0, f64::max);
        assert!(worst <= 2.0, "tanh: {worst} ulps");
        assert_eq!(tanh(100.0), 1.0);
        assert_eq!(tanh(-100.0), -1.0);
        assert!(tanh(f32::NAN).is_nan());
    }

    #[test]
    fn sin_and_cos_close_to_std() {
        let xs: Vec<f32> = sweep(-9000.0, 9000.0, 400_000)
            .chain([0.0, 1e-30, f32::NAN, f32::INFINITY, 1e6])
            .collect();
        for (op, f) in [(Op::Sin, f64::sin as fn(f64) -> f64), (Op::Cos, f64::cos)] {
            let mut out = vec![0f32; xs.len()];
            run(op, &mut out, &xs);
            let mut worst = 0.0f64;
            for (&x, &y) in xs.iter().zip(&out) {
                let want = f(x as f64);
                if want.is_nan() {
                    assert!(y.is_nan(), "{op:?}({x}) = {y}");
                    continue;
                }
                // Absolute error against the result's scale (1): values near a zero of the
                // function carry the reduction's absolute error.
                worst = worst.max((y as f64 - want).abs());
            }
            assert!(worst < 1.5e-7, "{op:?}: max abs error {worst}");
        }
        // Signed zeros: sin(-0) is -0, as std gives.
        let mut out = [1f32; 2];
        sin_block(&mut out, &[-0.0, 0.0]);
        assert_eq!(out.map(f32::to_bits), [(-0f32).to_bits(), 0f32.to_bits()]);
    }
}
