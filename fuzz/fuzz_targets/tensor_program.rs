//! libFuzzer target: random tensor programs decoded from untrusted bytes, run through eager,
//! `jit`, `vmap` and `grad`. The checks live in `bodies/tensor_program.rs`, shared with the
//! ordinary test `crates/cotangent/tests/fuzz_tensor_program.rs` that CI runs.
#![no_main]

#[path = "../bodies/tensor_program.rs"]
mod body;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = body::check(data);
});
