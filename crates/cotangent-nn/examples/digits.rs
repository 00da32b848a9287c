//! Train an MLP (or, with `--cnn`, a small CNN) on the UCI handwritten digits (1797 8×8
//! images; see `data/README.md` for the source and licence) and report the test accuracy.
//!
//! ```sh
//! cargo run --release --example digits            # the full run
//! cargo run --release --example digits -- --cnn   # the same loop on two 3×3 convolutions
//! cargo run --release --example digits -- --quick # a few steps; fails unless the loss fell
//! cargo run --release --example digits -- --epochs 10
//! cargo run --release --example digits -- --f16   # mixed precision (or --bf16)
//! ```
//!
//! Writes `target/digits-curve.svg` (loss and accuracy) and `target/digits.safetensors` (the
//! trained parameters); `digits-cnn-curve.svg` and `digits-cnn.safetensors` with `--cnn`.

mod common;

use std::process::ExitCode;
use std::time::Instant;

use cotangent_nn::demos::digits::{
    Classify, DIGITS_PATH, Digits, DigitsConfig, DigitsRun, train, train_cnn,
};
use cotangent_nn::{load, save};

fn main() -> ExitCode {
    common::exit_code(run())
}

fn run() -> Result<ExitCode, Box<dyn std::error::Error>> {
    let quick = common::quick_mode();
    let mut cfg = if quick {
        DigitsConfig::quick()
    } else {
        DigitsConfig::default()
    };
    if let Some(epochs) = common::number_flag("--epochs") {
        cfg.epochs = epochs;
    }
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--f16") {
        cfg.compute = cotangent::DType::F16;
    } else if args.iter().any(|a| a == "--bf16") {
        cfg.compute = cotangent::DType::BF16;
    }
    let data = Digits::load(DIGITS_PATH)?;
    let (train_set, test_set) = data.split(0.2, 0);
    let cnn = std::env::args().any(|a| a == "--cnn");
    let arch = if cnn {
        "CNN conv3x3(16)-conv3x3(32)-maxpool2-linear".to_string()
    } else {
        format!("MLP 64-{:?}-10", cfg.hidden)
    };
    println!(
        "digits: {} train / {} test images; {arch}, {} epochs of batch {}, {} compute{}",
        train_set.len(),
        test_set.len(),
        cfg.epochs,
        cfg.batch_size,
        cfg.compute,
        if quick { " (quick mode)" } else { "" }
    );
    let steps = train_set.len().div_ceil(cfg.batch_size) * cfg.epochs;
    let bar = common::progress(steps);
    let (mut ema, mut last_eval) = (None, None);
    let start = Instant::now();
    let mut step = |s: &_| common::on_step(&bar, &mut ema, &mut last_eval, s);
    if cnn {
        let result = train_cnn(&cfg, &train_set, &test_set, &mut step)?;
        bar.finish();
        report(result, start.elapsed().as_secs_f64(), "digits-cnn", "CNN")
    } else {
        let result = train(&cfg, &train_set, &test_set, &mut step)?;
        bar.finish();
        report(result, start.elapsed().as_secs_f64(), "digits", "MLP")
    }
}

/// Plot, save and reload the model, print the accuracy; fail unless the loss went down.
fn report<M: Classify>(
    result: DigitsRun<M>,
    seconds: f64,
    stem: &str,
    arch: &str,
) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let out = common::output_dir()?;
    let svg = out.join(format!("{stem}-curve.svg"));
    common::plot(&svg, &format!("{arch} on UCI digits"), &result.log)?;
    let ckpt = out.join(format!("{stem}.safetensors"));
    save(&result.model, &ckpt)?;
    let mut reloaded = result.model.clone();
    load(&mut reloaded, &ckpt)?;

    println!(
        "test accuracy {:.2}% after {} steps in {seconds:.2} s ({:.1} ms/step); {} parameters",
        100.0 * result.test_accuracy,
        result.steps,
        1000.0 * seconds / result.steps as f64,
        result.model.num_params()
    );
    println!(
        "test accuracy after each epoch: {}",
        common::evals_line(&result.log)
    );
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
