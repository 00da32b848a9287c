//! The `expr_parse` fuzz target's checks (fuzz/bodies/expr_parse.rs) run as an ordinary test, so
//! CI exercises them on the stable toolchain without installing cargo-fuzz: every file of the
//! committed corpus fuzz/corpus/expr_parse, then a bounded, seeded random run of mutants
//! (`FUZZ_ITERS`, default 20000). A failing input is printed; add it to the corpus.

#[path = "../../../fuzz/bodies/expr_parse.rs"]
mod body;
#[path = "../../../fuzz/bodies/mutate.rs"]
#[allow(dead_code)]
mod mutate;

use mutate::{corpus, iterations, mutate, Rng};

const DICT: &[&[u8]] = &[
    b"sin(",
    b"atan2(",
    b"pow(",
    b"max(",
    b"sqrt(",
    b"log(",
    b"exp(",
    b",",
    b"(",
    b")",
    b"^",
    b"-",
    b"+",
    b"*",
    b"/",
    b"x",
    b"y",
    b"pi",
    b"e",
    b"1e308",
    b"1e-320",
    b"0",
    b".5",
    b"2.",
    b"1e",
    b" ",
    b"\t",
    "é".as_bytes(),
    b"_",
];

/// Runs the checks on `input`, naming it if they fail; returns whether it was accepted.
fn check_reporting(input: &[u8]) -> bool {
    let Ok(accepted) = std::panic::catch_unwind(|| body::check(input)) else {
        panic!(
            "expr_parse check failed on {:?}; add it to fuzz/corpus/expr_parse",
            String::from_utf8_lossy(input)
        );
    };
    accepted
}

#[test]
fn corpus_replays_cleanly() {
    let corpus = corpus("expr_parse");
    assert!(corpus.len() >= 20, "the seed corpus went missing");
    for (_, bytes) in &corpus {
        check_reporting(bytes);
    }
}

#[test]
fn bounded_random_run() {
    let corpus = corpus("expr_parse");
    let mut rng = Rng::new(7);
    let n = iterations(20000);
    let mut parsed = 0;
    for _ in 0..n {
        let (_, a) = rng.pick(&corpus);
        let (_, b) = rng.pick(&corpus);
        parsed += usize::from(check_reporting(&mutate(&mut rng, a, b, DICT)));
    }
    eprintln!("{parsed} of {n} mutants parsed");
    // Mostly-rejected inputs would test only the error paths.
    assert!(parsed * 20 >= n, "only {parsed} of {n} mutants parsed");
}
