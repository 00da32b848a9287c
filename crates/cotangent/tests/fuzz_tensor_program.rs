//! The `tensor_program` fuzz target's checks (fuzz/bodies/tensor_program.rs) as an ordinary
//! test, so CI runs them on the stable toolchain: every file of fuzz/corpus/tensor_program, then
//! a bounded, seeded run (`FUZZ_ITERS`, default 3000) of random byte strings, each decoding to a
//! random tensor program checked through eager, `jit`, `vmap` and `grad`. A failing input is
//! printed; add it to the corpus.

#[path = "../../../fuzz/bodies/tensor_program.rs"]
mod body;
#[path = "../../../fuzz/bodies/mutate.rs"]
#[allow(dead_code)]
mod mutate;

use std::panic::{catch_unwind, AssertUnwindSafe};

use mutate::{corpus, iterations, Rng};

fn checked(data: &[u8]) -> bool {
    catch_unwind(AssertUnwindSafe(|| body::check(data)))
        .unwrap_or_else(|_| panic!("tensor_program failed on input {data:?}"))
}

#[test]
fn corpus_then_random_programs() {
    for (name, data) in corpus("tensor_program") {
        eprintln!("corpus {name}");
        checked(&data);
    }
    let mut rng = Rng::new(0x7e57);
    let n = iterations(3000);
    let mut ran = 0;
    for _ in 0..n {
        let len = rng.below(96);
        let data: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        ran += checked(&data) as usize;
    }
    // Most random programs stop at an error (that is checked too); enough must run to the end
    // for the jit, vmap and grad checks to mean something.
    eprintln!("{ran} of {n} programs ran without error");
    assert!(
        ran * 10 >= n,
        "only {ran} of {n} programs ran without error"
    );
}
