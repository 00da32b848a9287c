//! libFuzzer target: the `cotangent diff` expression parser and everything `diff` does with a
//! parsed expression. The checks live in `bodies/expr_parse.rs`, shared with the ordinary test
//! `crates/cotangent-cli/tests/fuzz_expr_parse.rs` that replays the corpus in CI.
#![no_main]

#[path = "../bodies/expr_parse.rs"]
mod body;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    body::check(data);
});
