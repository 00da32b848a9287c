//! Learning 3-digit addition with a small decoder-only transformer trained from scratch.
//!
//! A problem is the token sequence `a₂a₁a₀ + b₂b₁b₀ =` followed by the four digits of the sum
//! **reversed** (least significant first, zero-padded): `123+456=` → `9750`, i.e. 579. Writing
//! the answer backwards is a common trick: each digit then depends only on digits already seen
//! and the carry from the digit just written, as in long addition by hand. The model predicts
//! the next token everywhere, but only the four answer tokens are scored. Problems are drawn
//! on the fly from a seeded generator; a held-out set of pairs is never trained on.

mod data;
mod model;
mod train;

pub use data::{
    ANSWER_LEN, EQUALS, PLUS, PROMPT_LEN, SEQ_LEN, Sampler, VOCAB, decode_answer, encode,
    held_out_pairs, render,
};
pub use model::AdditionModel;
pub use train::{AdditionConfig, AdditionRun, complete, exact_match, train};
