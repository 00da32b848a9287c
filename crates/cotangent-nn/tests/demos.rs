//! The examples' training loops in quick mode (what `--quick` / `COTANGENT_QUICK=1` runs):
//! the loss must go down. No timing is asserted.
#![cfg(feature = "demos")]

use cotangent::DType;
use cotangent_nn::Module;
use cotangent_nn::demos::addition::{self, AdditionConfig};
use cotangent_nn::demos::digits::{self, DIGITS_PATH, Digits, DigitsConfig};

#[test]
fn digits_quick_mode_learns() {
    let data = Digits::load(DIGITS_PATH).unwrap();
    assert_eq!(data.len(), 1797);
    let labels = data.labels.to_vec::<i64>();
    assert!((0..10).all(|d| labels.contains(&d)));
    let pixels = data.images.to_vec::<f32>();
    assert!(pixels.iter().all(|p| (0.0..=1.0).contains(p)));
    let (train, test) = data.split(0.2, 0);
    assert_eq!(train.len() + test.len(), 1797);
    let mut seen = 0;
    let run = digits::train(&DigitsConfig::quick(), &train, &test, &mut |s| {
        assert_eq!(s.step, seen);
        seen += 1;
    })
    .unwrap();
    assert_eq!(seen, run.steps);
    assert!(run.log.loss_went_down(), "{:?}", run.log.losses);
    assert_eq!(run.log.evals.len(), 2);
    // Two epochs are far from the full run, but well above chance (10%).
    assert!(run.test_accuracy > 0.5, "{}", run.test_accuracy);
}

#[test]
fn digits_split_is_seeded() {
    let data = Digits::load(DIGITS_PATH).unwrap();
    let (_, a) = data.split(0.2, 3);
    let (_, b) = data.split(0.2, 3);
    let (_, c) = data.split(0.2, 4);
    assert_eq!(a.labels.to_vec::<i64>(), b.labels.to_vec::<i64>());
    assert_ne!(a.labels.to_vec::<i64>(), c.labels.to_vec::<i64>());
}

#[test]
fn digits_parse_errors_name_the_line() {
    let text = format!("{}3\n{}x\n", "0,".repeat(64), "0,".repeat(64));
    let err = Digits::parse(text.as_bytes(), "d.csv").unwrap_err();
    assert!(err.to_string().starts_with("d.csv:2: label `x`"), "{err}");
}

#[test]
fn addition_quick_mode_learns() {
    let run = addition::train(&AdditionConfig::quick(), &mut |_| {}).unwrap();
    assert!(run.log.loss_went_down(), "{:?}", run.log.losses);
    assert_eq!(run.log.losses.len(), run.steps);
    assert!(!run.log.evals.is_empty());
    let train_pairs: Vec<(u32, u32)> = {
        let mut s = addition::Sampler::new(1, &run.held_out);
        (0..2000).map(|_| s.pair()).collect()
    };
    assert!(train_pairs.iter().all(|p| !run.held_out.contains(p)));
}

#[test]
fn addition_encoding_round_trips() {
    for (a, b) in [(0, 0), (999, 999), (123, 456), (500, 500), (7, 93)] {
        let seq = addition::encode(a, b);
        assert_eq!(addition::decode_answer(&seq[addition::PROMPT_LEN..]), a + b);
    }
    let (x, y) = addition::Sampler::new(0, &[]).batch(3);
    let x = x.to_vec::<i64>();
    let y = y.to_vec::<i64>();
    for i in 0..3 {
        let row = &x[i * 11..(i + 1) * 11];
        let digits = |r: &[i64]| r.iter().fold(0, |acc, d| acc * 10 + *d as u32);
        let (a, b) = (digits(&row[0..3]), digits(&row[4..7]));
        assert_eq!(addition::decode_answer(&y[i * 4..(i + 1) * 4]), a + b);
        // The inputs carry the answer's first three digits (teacher forcing).
        assert_eq!(&row[8..11], &y[i * 4..i * 4 + 3]);
    }
}

#[test]
fn digits_cnn_quick_mode_learns() {
    let (train, test) = Digits::load(DIGITS_PATH).unwrap().split(0.2, 0);
    let run = digits::train_cnn(&DigitsConfig::quick(), &train, &test, &mut |_| {}).unwrap();
    assert!(run.log.loss_went_down(), "{:?}", run.log.losses);
    assert_eq!(run.log.evals.len(), 2);
    assert!(run.test_accuracy > 0.5, "{}", run.test_accuracy);
}

#[test]
fn digits_mixed_precision_learns_as_f32_does() {
    // f16 and bf16 forward and backward passes on f32 master weights (f16 with dynamic loss
    // scaling) reach about the f32 run's accuracy in quick mode.
    let (train, test) = Digits::load(DIGITS_PATH).unwrap().split(0.2, 0);
    let f32_run = digits::train(&DigitsConfig::quick(), &train, &test, &mut |_| {}).unwrap();
    for compute in [DType::F16, DType::BF16] {
        let cfg = DigitsConfig {
            compute,
            ..DigitsConfig::quick()
        };
        let run = digits::train(&cfg, &train, &test, &mut |_| {}).unwrap();
        assert!(run.log.loss_went_down(), "{compute}: {:?}", run.log.losses);
        assert!(
            run.model
                .param_tensors()
                .iter()
                .all(|p| p.dtype() == DType::F32)
        );
        assert_eq!(
            run.skipped, 0,
            "{compute}: no gradient overflows at this scale"
        );
        let gap = (run.test_accuracy - f32_run.test_accuracy).abs();
        assert!(
            gap < 0.03,
            "{compute}: {} vs f32 {}",
            run.test_accuracy,
            f32_run.test_accuracy
        );
    }
}
