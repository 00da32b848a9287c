//! Element-by-element comparison against stored JAX numbers, shared by the reference tests.

/// Within `rel` of `want` relative, or within `abs` of the array's scale (a derivative that is
/// 0 exactly may come out as ±1e-17 from either side), NaN against NaN.
fn close(got: f64, want: f64, scale: f64, rel: f64, abs: f64) -> bool {
    (got.is_nan() && want.is_nan())
        || got == want
        || (got - want).abs() <= rel * want.abs() + abs * scale
}

/// Mismatches of `got` against `want`, element by element, to tolerances `rel` and `abs`.
pub fn compare_to(what: &str, got: &[f64], want: &[f64], rel: f64, abs: f64) -> Vec<String> {
    if got.len() != want.len() {
        return vec![format!(
            "{what}: {} elements, want {}",
            got.len(),
            want.len()
        )];
    }
    let scale = want
        .iter()
        .filter(|w| w.is_finite())
        .fold(0.0f64, |m, w| m.max(w.abs()));
    got.iter()
        .zip(want)
        .enumerate()
        .filter(|(_, (g, w))| !close(**g, **w, scale, rel, abs))
        .map(|(i, (g, w))| format!("{what}[{i}]: {g:e} vs JAX {w:e}"))
        .collect()
}
