//! Non-finite diagnostics (like JAX's `debug_nans` and PyTorch's anomaly mode). When on, every
//! primitive checks its output in eager code, and the forward- and reverse-mode walks check
//! every rule's output; the first non-finite value that was *produced* (not merely passed on)
//! stops with an error naming the primitive, the offending element and its inputs, and the
//! source line of the forward op. Off by default; when off it costs one relaxed atomic load per
//! operation. Turn it on with [`set_debug_nans`] or the environment variable
//! `COTANGENT_DEBUG_NANS=1`.

use std::cell::Cell;
use std::panic::Location;
use std::sync::atomic::{AtomicU8, Ordering};

use super::error::{Error, ErrorKind, Result};
use super::storage::Value;

const UNSET: u8 = 0;
const OFF: u8 = 1;
const ON: u8 = 2;

static MODE: AtomicU8 = AtomicU8::new(UNSET);

thread_local! {
    static IN_RULE: Cell<bool> = const { Cell::new(false) };
}

/// Switch non-finite checking on or off for the whole process.
///
/// ```
/// use cotangent::{set_debug_nans, Tensor};
/// set_debug_nans(true);
/// let err = Tensor::scalar(-1.0).try_log().unwrap_err();
/// assert!(err.to_string().contains("log produced NaN"));
/// set_debug_nans(false);
/// assert!(Tensor::scalar(-1.0).log().item::<f64>().is_nan());
/// ```
pub fn set_debug_nans(on: bool) {
    MODE.store(if on { ON } else { OFF }, Ordering::Relaxed);
}

/// Whether non-finite checking is on (first call reads `COTANGENT_DEBUG_NANS`).
pub fn debug_nans() -> bool {
    match MODE.load(Ordering::Relaxed) {
        ON => true,
        OFF => false,
        _ => {
            let on = std::env::var("COTANGENT_DEBUG_NANS").is_ok_and(|v| v != "0" && !v.is_empty());
            // Keep an explicit setting made meanwhile by another thread.
            let _ = MODE.compare_exchange(
                UNSET,
                if on { ON } else { OFF },
                Ordering::Relaxed,
                Ordering::Relaxed,
            );
            MODE.load(Ordering::Relaxed) == ON
        }
    }
}

/// Marks that a derivative rule is running: its inner ops are not checked one by one; the walk
/// checks the rule's result and names the rule's primitive instead.
pub(crate) struct RuleScope {
    old: bool,
}

impl RuleScope {
    pub(crate) fn enter() -> RuleScope {
        RuleScope {
            old: IN_RULE.with(|c| c.replace(true)),
        }
    }
}

impl Drop for RuleScope {
    fn drop(&mut self) {
        IN_RULE.with(|c| c.set(self.old));
    }
}

/// The index and value of the first NaN or infinity of a float value (`None` for other dtypes).
pub(crate) fn first_non_finite(v: &Value) -> Option<(usize, f64)> {
    if !v.dtype().is_float() {
        return None;
    }
    v.to_f64_vec()
        .into_iter()
        .enumerate()
        .find(|(_, x)| !x.is_finite())
}

fn describe(x: f64) -> String {
    if x.is_nan() {
        "NaN".into()
    } else {
        format!("{x}")
    }
}

/// Check a primitive's eager output; `Err` if it produced a non-finite value from finite
/// inputs.
pub(crate) fn check_output(
    op: &'static str,
    inputs: &[&Value],
    out: &Value,
    location: &'static Location<'static>,
) -> Result<()> {
    if !debug_nans() || IN_RULE.with(Cell::get) {
        return Ok(());
    }
    let Some((i, bad)) = first_non_finite(out) else {
        return Ok(());
    };
    let elementwise = inputs.iter().all(|v| v.shape() == out.shape());
    let mut described = Vec::new();
    for v in inputs.iter().filter(|v| v.dtype().is_float()) {
        if elementwise {
            let x = v.to_f64_vec()[i];
            if !x.is_finite() {
                return Ok(()); // passed on, not produced here
            }
            described.push(format!("x = {}", describe(x)));
        } else {
            if first_non_finite(v).is_some() {
                return Ok(());
            }
            described.push(format!("an input of shape {}", v.shape()));
        }
    }
    Err(Error::new(
        ErrorKind::NonFinite,
        op,
        format!(
            "{op} produced {} at element {i} of its {} output from {}{}",
            describe(bad),
            out.shape(),
            if described.is_empty() {
                "no float inputs".to_string()
            } else {
                described.join(", ")
            },
            overflow_hint(out.dtype(), bad)
        ),
    )
    .at(location))
}

/// For an infinity in a 16-bit float output: where that type overflows (f16 already at
/// 65520, which is why f16 training scales its loss with care).
fn overflow_hint(dtype: crate::core::DType, bad: f64) -> &'static str {
    match dtype {
        crate::core::DType::F16 if bad.is_infinite() => {
            " (f16's largest finite value is 65504: compute in f32 or bf16, or scale down)"
        }
        crate::core::DType::BF16 if bad.is_infinite() => {
            " (bf16's largest finite value is about 3.39e38)"
        }
        _ => "",
    }
}

/// Check the result of a derivative rule (`kind` is `jvp` or `vjp`) of the node created at
/// `location`, given the incoming tangent or cotangent `seed`.
pub(crate) fn check_rule(
    kind: &'static str,
    op: &'static str,
    primals: &[&Value],
    seed: &Value,
    result: &Value,
    location: &'static Location<'static>,
) -> Result<()> {
    if !debug_nans() || IN_RULE.with(Cell::get) {
        return Ok(());
    }
    let Some((i, bad)) = first_non_finite(result) else {
        return Ok(());
    };
    if first_non_finite(seed).is_some() {
        return Ok(());
    }
    let at: Vec<String> = primals
        .iter()
        .filter(|v| v.dtype().is_float() && v.shape() == result.shape())
        .map(|v| format!("x = {}", describe(v.to_f64_vec()[i])))
        .collect();
    Err(Error::new(
        ErrorKind::NonFinite,
        kind,
        format!(
            "the {kind} of `{op}` produced {} at element {i}{}; forward op created at {}:{}:{}",
            describe(bad),
            if at.is_empty() {
                String::new()
            } else {
                format!(" (at {})", at.join(", "))
            },
            location.file(),
            location.line(),
            location.column()
        ),
    ))
}
