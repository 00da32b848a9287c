//! How numbers are printed for people.
//!
//! JSON output uses serde_json's shortest round-trip form, and so do the
//! tables of `cotangent diff` and `cotangent graph --format text`, with
//! [`short`]; the traces and pictures use [`human`]: the shortest form when
//! it is short (`2`, `0.75`), otherwise ten digits after the point
//! (`1.5436482110`), switching to exponent form for very large or very small
//! magnitudes.

/// The shortest text that reads back as `v` (`2`, `0.5`, `1e-7`), with the
/// exponent form only when it is at least three characters shorter.
pub fn short(v: f64) -> String {
    if !v.is_finite() {
        return nonfinite(v).to_string();
    }
    let plain = format!("{v}");
    let exp = format!("{v:e}");
    if exp.len() + 3 <= plain.len() {
        exp
    } else {
        plain
    }
}

/// A readable rendering of `v`: [`short`] when that has at most 12
/// characters, else ten decimals, or `d.dddddde±x` far from 1.
pub fn human(v: f64) -> String {
    if !v.is_finite() {
        return nonfinite(v).to_string();
    }
    let s = short(v);
    if s.len() <= 12 {
        return s;
    }
    let a = v.abs();
    if a != 0.0 && !(1e-4..1e9).contains(&a) {
        format!("{v:.9e}")
    } else {
        format!("{v:.10}")
    }
}

/// `inf`, `-inf` or `NaN`.
pub fn nonfinite(v: f64) -> &'static str {
    if v.is_nan() {
        "NaN"
    } else if v > 0.0 {
        "inf"
    } else {
        "-inf"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(short(2.0), "2");
        assert_eq!(short(1e-7), "1e-7");
        assert_eq!(human(0.75), "0.75");
        assert_eq!(human(1.543_648_211_023_486), "1.5436482110");
        assert_eq!(human(-0.000_012_345_678_912_3), "-1.234567891e-5");
        assert_eq!(human(f64::NEG_INFINITY), "-inf");
        assert_eq!(human(f64::NAN), "NaN");
    }
}
