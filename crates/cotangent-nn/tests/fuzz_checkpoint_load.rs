//! The `checkpoint_load` fuzz target's checks (fuzz/bodies/checkpoint_load.rs) run as an
//! ordinary test, so CI exercises them on the stable toolchain without installing cargo-fuzz:
//! every file of the committed corpus fuzz/corpus/checkpoint_load, then a bounded, seeded random
//! run (`FUZZ_ITERS`, default 20000) of byte-level mutants and of generated files whose headers
//! are well-formed JSON with hostile dtypes, shapes and offsets (byte mutants rarely get past
//! the JSON parser). A failing input is printed; add it to the corpus.

#[path = "../../../fuzz/bodies/checkpoint_load.rs"]
mod body;
#[path = "../../../fuzz/bodies/mutate.rs"]
#[allow(dead_code)]
mod mutate;

use mutate::{Rng, corpus, iterations, mutate};

const DICT: &[&[u8]] = &[
    b"\"F32\"",
    b"\"F64\"",
    b"\"I64\"",
    b"\"BOOL\"",
    b"\"F16\"",
    b"\"BF16\"",
    b"[0,",
    b"0]",
    b"[]",
    b"18446744073709551615",
    b"4294967296",
    b"-1",
    b"1e400",
    b"\"shape\"",
    b"\"data_offsets\"",
    b"\"dtype\"",
    b"\"__metadata__\"",
    b"{}",
    b"\\u0000",
];

const NAMES: &[&str] = &["weight", "bias", "w", "", "a.b", "__metadata__", "weight "];
const DTYPES: &[(&str, usize)] = &[
    ("F32", 4),
    ("F64", 8),
    ("I64", 8),
    ("BOOL", 1),
    ("F16", 2),
    ("BF16", 2),
    ("U8", 1),
    ("F8_E4M3", 1),
    ("NOPE", 1),
];
const DIMS: &[u64] = &[0, 1, 2, 3, 7, 1 << 31, 1 << 32, 1 << 62, u64::MAX];

/// A safetensors file with a well-formed JSON header of up to four tensors, whose dtypes, shapes
/// and offsets are mostly consistent and sometimes hostile.
fn generated(rng: &mut Rng) -> Vec<u8> {
    let mut entries = Vec::new();
    let mut data = Vec::new();
    for _ in 0..rng.below(5) {
        let name = *rng.pick(NAMES);
        let &(dtype, size) = rng.pick(DTYPES);
        let shape: Vec<u64> = (0..rng.below(6))
            .map(|_| {
                if rng.below(3) == 0 {
                    *rng.pick(DIMS)
                } else {
                    rng.below(4) as u64
                }
            })
            .collect();
        let numel = shape.iter().try_fold(1u64, |a, &d| a.checked_mul(d));
        let len = match numel.and_then(|n| n.checked_mul(size as u64)) {
            Some(n) if n <= 4096 && rng.below(8) != 0 => n as usize,
            _ => rng.below(64),
        };
        let start = if rng.below(10) == 0 {
            rng.below(data.len() + 2)
        } else {
            data.len()
        };
        data.extend((0..len).map(|_| rng.next() as u8));
        let end = start + len;
        let shape_json: Vec<String> = shape.iter().map(u64::to_string).collect();
        entries.push(format!(
            "\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":[{}],\"data_offsets\":[{start},{end}]}}",
            shape_json.join(",")
        ));
    }
    let header = format!("{{{}}}", entries.join(","));
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    if rng.below(20) == 0 {
        out = rng.next().to_le_bytes().to_vec();
    }
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(&data);
    out
}

/// Runs the checks on `input`, naming it if they fail; returns whether it was accepted.
fn check_reporting(input: &[u8]) -> bool {
    let Ok(accepted) = std::panic::catch_unwind(|| body::check(input)) else {
        panic!(
            "checkpoint_load check failed on {input:?} ({:?}); add it to fuzz/corpus/checkpoint_load",
            String::from_utf8_lossy(input)
        );
    };
    accepted
}

#[test]
fn corpus_replays_cleanly() {
    let corpus = corpus("checkpoint_load");
    assert!(corpus.len() >= 10, "the seed corpus went missing");
    for (_, bytes) in &corpus {
        check_reporting(bytes);
    }
}

#[test]
fn bounded_random_run() {
    let corpus = corpus("checkpoint_load");
    let mut rng = Rng::new(11);
    let n = iterations(20000);
    let mut read = 0;
    for i in 0..n {
        let input = if i % 2 == 0 {
            generated(&mut rng)
        } else {
            let (_, a) = rng.pick(&corpus);
            let (_, b) = rng.pick(&corpus);
            mutate(&mut rng, a, b, DICT)
        };
        read += usize::from(check_reporting(&input));
    }
    eprintln!("{read} of {n} inputs read as checkpoints");
    // Mostly-rejected inputs would test only the reader's error paths.
    assert!(read * 20 >= n, "only {read} of {n} inputs were read");
}

/// Regression (found by the random run): the safetensors reader accepts a zero-element shape
/// whose other dims overflow when multiplied; loading panicked in `Tensor::from_vec` instead of
/// returning an error.
#[test]
fn zero_element_shape_with_overflowing_dims_is_an_error() {
    // The last row overflows inside the safetensors reader (before the 0), which refuses it.
    for (dtype, dims, says) in [
        ("BOOL", "0,0,18446744073709551615", "tensor `w`: "),
        ("F32", "0,1099511627776,1099511627776", "tensor `w`: "),
        ("I64", "4294967296,4294967296,0", "overflow"),
    ] {
        let header = format!(
            "{{\"w\":{{\"dtype\":\"{dtype}\",\"shape\":[{dims}],\"data_offsets\":[0,0]}}}}"
        );
        let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
        bytes.extend_from_slice(header.as_bytes());
        let err =
            cotangent_nn::checkpoint::tensors_from_bytes(&bytes, "m.safetensors").expect_err(dims);
        let msg = err.to_string();
        assert!(
            msg.starts_with("m.safetensors: not a valid safetensors file: ") && msg.contains(says),
            "{msg}"
        );
    }
}
