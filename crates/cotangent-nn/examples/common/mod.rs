//! Helpers shared by the examples: quick-mode detection, a progress bar with the live loss, and
//! an SVG chart of the training loss and the held-out accuracy.

use std::path::{Path, PathBuf};

use cotangent_nn::demos::{StepInfo, TrainLog};
use indicatif::{ProgressBar, ProgressStyle};
use plotters::prelude::*;

/// Whether to run the short CI version: `--quick` on the command line or `COTANGENT_QUICK=1`.
pub fn quick_mode() -> bool {
    std::env::args().any(|a| a == "--quick")
        || std::env::var("COTANGENT_QUICK").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// The number after `name` on the command line (`--steps 500`), if given: to try shorter or
/// longer runs.
pub fn number_flag(name: &str) -> Option<usize> {
    let args: Vec<String> = std::env::args().collect();
    let i = args.iter().position(|a| a == name)?;
    args.get(i + 1)?.parse().ok()
}

/// `(step, accuracy)` evaluations as one line, at most about ten of them, the last included:
/// `250: 12.0%, 500: 80.5%, …`.
pub fn evals_line(log: &TrainLog) -> String {
    let every = log.evals.len().div_ceil(10).max(1);
    let last = log.evals.len().saturating_sub(1);
    log.evals
        .iter()
        .enumerate()
        .filter(|(i, _)| (i + 1) % every == 0 || *i == last)
        .map(|(_, e)| e)
        .map(|(s, a)| format!("{}: {:.1}%", s + 1, 100.0 * a))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The workspace's `target/` folder, where the examples write their outputs.
pub fn output_dir() -> std::io::Result<PathBuf> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = manifest
        .ancestors()
        .nth(2)
        .unwrap_or(manifest)
        .join("target");
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// A progress bar over `steps` steps.
pub fn progress(steps: usize) -> ProgressBar {
    let bar = ProgressBar::new(steps as u64);
    bar.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} steps  {msg}")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    bar
}

/// Update `bar` after a step: the loss (smoothed), the learning rate and the last evaluation.
pub fn on_step(
    bar: &ProgressBar,
    smoothed: &mut Option<f64>,
    last_eval: &mut Option<f64>,
    s: &StepInfo,
) {
    let ema = match *smoothed {
        Some(prev) => 0.9 * prev + 0.1 * s.loss,
        None => s.loss,
    };
    *smoothed = Some(ema);
    if s.eval.is_some() {
        *last_eval = s.eval;
    }
    let acc = last_eval.map_or(String::new(), |a| {
        format!("  held-out acc {:.1}%", 100.0 * a)
    });
    bar.set_message(format!("loss {ema:.4}  lr {:.2e}{acc}", s.lr));
    bar.inc(1);
}

/// Draw the per-step loss (log scale) and the held-out accuracy side by side as SVG.
pub fn plot(path: &Path, title: &str, log: &TrainLog) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::new(path, (1000, 420)).into_drawing_area();
    root.fill(&WHITE)?;
    let root = root.titled(title, ("sans-serif", 22))?;
    let (left, right) = root.split_horizontally(500);
    let n = log.losses.len().max(2);
    let lo = log
        .losses
        .iter()
        .cloned()
        .fold(f64::INFINITY, f64::min)
        .max(1e-6);
    let hi = log.losses.iter().cloned().fold(0.0, f64::max).max(lo * 1.1);
    let mut chart = ChartBuilder::on(&left)
        .caption("training loss (per step)", ("sans-serif", 16))
        .margin(10)
        .x_label_area_size(35)
        .y_label_area_size(55)
        .build_cartesian_2d(0..n, (lo..hi).log_scale())?;
    chart
        .configure_mesh()
        .x_desc("step")
        .y_desc("loss")
        .draw()?;
    chart.draw_series(LineSeries::new(
        log.losses.iter().enumerate().map(|(i, &l)| (i, l.max(lo))),
        &BLUE,
    ))?;
    let mut acc = ChartBuilder::on(&right)
        .caption("held-out accuracy", ("sans-serif", 16))
        .margin(10)
        .x_label_area_size(35)
        .y_label_area_size(55)
        .build_cartesian_2d(0..n, 0.0..100.0)?;
    acc.configure_mesh().x_desc("step").y_desc("%").draw()?;
    acc.draw_series(LineSeries::new(
        log.evals.iter().map(|&(s, a)| (s, 100.0 * a)),
        &RED,
    ))?;
    root.present()?;
    Ok(())
}

/// The process exit code for an example's result: its own code, or a failure after printing
/// the error.
pub fn exit_code(
    result: Result<std::process::ExitCode, Box<dyn std::error::Error>>,
) -> std::process::ExitCode {
    result.unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::ExitCode::FAILURE
    })
}
