//! The eval modules this tool implements, one file each, and the dispatch from a module name to
//! its `evaluate`.

use serde_json::Value;

pub mod ba;
pub mod descent;
pub mod det;
pub mod gmm;
pub mod hello;
pub mod ht;
pub mod kmeans;
pub mod llsq;
pub mod lse;
pub mod lstm;
pub mod ode;
pub mod particle;
pub mod saddle;

/// A function's result and the time of each run in nanoseconds.
pub struct Evaluation {
    /// The function's output as the eval expects it.
    pub output: Value,
    /// One entry per run.
    pub timings: Vec<u64>,
}

/// The evaluate function of one module: function name and input to the result.
type Evaluate = fn(&str, &Value) -> Result<Evaluation, String>;

const MODULES: &[(&str, Evaluate)] = &[
    ("ba", ba::evaluate),
    ("det", det::evaluate),
    ("gmm", gmm::evaluate),
    ("hello", hello::evaluate),
    ("ht", ht::evaluate),
    ("kmeans", kmeans::evaluate),
    ("llsq", llsq::evaluate),
    ("lse", lse::evaluate),
    ("lstm", lstm::evaluate),
    ("ode", ode::evaluate),
    ("particle", particle::evaluate),
    ("saddle", saddle::evaluate),
];

/// Whether `module` is implemented.
pub fn is_known(module: &str) -> bool {
    MODULES.iter().any(|(m, _)| *m == module)
}

/// Evaluates `function` of `module` on `input`.
pub fn evaluate(module: &str, function: &str, input: &Value) -> Result<Evaluation, String> {
    let (_, f) = MODULES
        .iter()
        .find(|(m, _)| *m == module)
        .ok_or_else(|| format!("no module {module:?}"))?;
    f(function, input)
}

/// The error for a function a module does not have.
pub(crate) fn unknown_function(module: &str, function: &str) -> String {
    format!("module {module:?} has no function {function:?}")
}
