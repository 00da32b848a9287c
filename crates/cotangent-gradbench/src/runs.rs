//! Repeated, timed evaluation: the `min_runs` / `min_seconds` convention of the GradBench
//! `Runs` input. A function runs at least `min_runs` times and until the runs add up to at
//! least `min_seconds`; each run's wall time is one `evaluate` timing.

use std::time::Instant;

use serde::Deserialize;
use serde_json::Value;

/// How often to run a function, read from an eval's input (absent fields: one run).
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct Runs {
    /// Run at least this many times.
    #[serde(default = "one")]
    pub min_runs: usize,
    /// And until the runs' total time reaches this many seconds.
    #[serde(default)]
    pub min_seconds: f64,
}

fn one() -> usize {
    1
}

impl Runs {
    /// The runs requested by `input`.
    pub fn from_input(input: &Value) -> Runs {
        serde_json::from_value(input.clone()).unwrap_or(Runs {
            min_runs: 1,
            min_seconds: 0.0,
        })
    }
}

/// Runs `f` as `runs` asks and returns its last result with every run's time in nanoseconds.
pub fn timed<T>(runs: Runs, mut f: impl FnMut() -> T) -> (T, Vec<u64>) {
    let mut timings = Vec::new();
    let mut total = 0.0;
    loop {
        let start = Instant::now();
        let out = f();
        let elapsed = start.elapsed();
        timings.push(elapsed.as_nanos() as u64);
        total += elapsed.as_secs_f64();
        if timings.len() >= runs.min_runs.max(1) && total >= runs.min_seconds {
            return (out, timings);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn runs_at_least_min_runs_times() {
        let runs = Runs::from_input(&json!({"min_runs": 4, "min_seconds": 0}));
        let mut calls = 0;
        let (last, t) = timed(runs, || {
            calls += 1;
            calls
        });
        assert_eq!((last, t.len(), calls), (4, 4, 4));
    }

    #[test]
    fn runs_until_min_seconds() {
        let runs = Runs::from_input(&json!({"min_runs": 1, "min_seconds": 0.02}));
        let (_, t) = timed(runs, || {
            std::thread::sleep(std::time::Duration::from_millis(5))
        });
        assert!(t.len() >= 4, "{} runs", t.len());
        assert!(t.iter().sum::<u64>() >= 20_000_000);
    }

    #[test]
    fn no_runs_fields_means_one_run() {
        let (_, t) = timed(Runs::from_input(&json!(3.0)), || ());
        assert_eq!(t.len(), 1);
    }
}
