//! libFuzzer target: loading a safetensors checkpoint from untrusted bytes. The checks live in
//! `bodies/checkpoint_load.rs`, shared with the ordinary test
//! `crates/cotangent-nn/tests/fuzz_checkpoint_load.rs` that replays the corpus in CI.
#![no_main]

#[path = "../bodies/checkpoint_load.rs"]
mod body;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    body::check(data);
});
