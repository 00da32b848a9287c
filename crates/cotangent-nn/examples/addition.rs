//! Train a small decoder-only transformer (2 pre-norm blocks, causal multi-head attention)
//! from scratch to add 3-digit numbers, then report exact-match accuracy on held-out sums and
//! print a few completions.
//!
//! The answer is written least-significant digit first (`123+456=` → `9750`), a common trick
//! that lets the model produce each digit from the carry of the one before; the completions
//! printed here are turned back into ordinary numbers.
//!
//! ```sh
//! cargo run --release --example addition            # the full run
//! cargo run --release --example addition -- --quick # a few steps; fails unless the loss fell
//! cargo run --release --example addition -- --steps 1000
//! ```
//!
//! Writes `target/addition-curve.svg` and `target/addition.safetensors`.

mod common;

use std::process::ExitCode;
use std::time::Instant;

use cotangent_nn::demos::addition::{AdditionConfig, complete, render, train};
use cotangent_nn::{Module, save};

fn main() -> ExitCode {
    common::exit_code(run())
}

fn run() -> Result<ExitCode, Box<dyn std::error::Error>> {
    let quick = common::quick_mode();
    let mut cfg = if quick {
        AdditionConfig::quick()
    } else {
        AdditionConfig::default()
    };
    if let Some(steps) = common::number_flag("--steps") {
        cfg.steps = steps;
    }
    println!(
        "addition: {} blocks, width {}, {} heads; {} steps of {} problems; {} held-out sums{}",
        cfg.layers,
        cfg.dim,
        cfg.heads,
        cfg.steps,
        cfg.batch_size,
        cfg.held_out,
        if quick { " (quick mode)" } else { "" }
    );
    let bar = common::progress(cfg.steps);
    let (mut ema, mut last_eval) = (None, None);
    let start = Instant::now();
    let result = train(&cfg, &mut |s| {
        common::on_step(&bar, &mut ema, &mut last_eval, s)
    })?;
    let seconds = start.elapsed().as_secs_f64();
    bar.finish();

    let out = common::output_dir()?;
    let svg = out.join("addition-curve.svg");
    common::plot(
        &svg,
        "2-layer transformer learning 3-digit addition",
        &result.log,
    )?;
    let ckpt = out.join("addition.safetensors");
    save(&result.model, &ckpt)?;

    println!(
        "held-out exact match {:.2}% ({} sums) after {} steps in {seconds:.1} s ({:.1} ms/step); {} parameters",
        100.0 * result.test_accuracy,
        result.held_out.len(),
        result.steps,
        1000.0 * seconds / result.steps as f64,
        result.model.num_params()
    );
    println!(
        "held-out accuracy during training (first {} sums): {}",
        cfg.eval_size.min(cfg.held_out),
        common::evals_line(&result.log)
    );
    let samples = &result.held_out[..8.min(result.held_out.len())];
    for (&(a, b), got) in samples.iter().zip(complete(&result.model, samples)) {
        let mark = if got == a + b { "ok" } else { "WRONG" };
        println!("  {}   {mark}", render(a, b, got));
    }
    println!("wrote {} and {}", svg.display(), ckpt.display());
    let first = result.log.losses.first().copied().unwrap_or(f64::NAN);
    let last = result.log.losses.last().copied().unwrap_or(f64::NAN);
    if !result.log.loss_went_down() {
        eprintln!("FAILED: the training loss did not go down ({first:.4} -> {last:.4})");
        return Ok(ExitCode::FAILURE);
    }
    println!("loss went down: {first:.4} -> {last:.4}");
    Ok(ExitCode::SUCCESS)
}
