//! `jit`: compile a traced function once per input shapes and dtypes, and run the compiled
//! program on later calls. Compiling takes the [`crate::ir::Graph`] of one trace through
//! rewriting passes (algebraic simplification, constant folding, common-subexpression and
//! dead-code elimination, see [`passes`]), groups chains of elementwise operations, and an
//! elementwise chain feeding a reduction, into fused loops (`fuse`); a reduction over each row
//! of the last axes, with the work before it and the work that reads its broadcast result
//! (softmax, layer norm), becomes one row loop, a pass per row. It then plans the buffers
//! those loops write so that they are allocated once and reused across calls (`plan`). The
//! executor (`run`) runs fused loops as a small register bytecode over blocks of elements
//! and every other operation through its primitive's kernel, with the program's own buffer
//! reserve in place of the thread's pool (`core::pool`), so that a warm call asks the allocator
//! for nothing but the handles it returns (and what `gemm` allocates inside each product).
//!
//! Composition (`dispatch`): a call on inputs a derivative level tracks (`grad` of a jitted
//! function, `backward`, a tape) runs compiled and is recorded as one node whose gradient runs
//! a compiled backward program (`call`); a call inside `vmap` is recorded as one `jit`
//! equation that `vmap` batches into a compiled batched program (`batch`); a call inside any
//! other trace (an enclosing `jit`, `trace`) *replays* the optimized graph through `bind`
//! ([`crate::ir::Graph::eval`]), so the enclosing compiler sees (and fuses) every equation; and
//! so does a call whose captured constants an active level tracks.

mod batch;
pub(crate) mod body;
mod cache;
mod call;
mod compiled;
mod dispatch;
mod elementwise;
mod epilogue;
mod fuse;
mod kernel;
pub mod passes;
mod pieces;
mod plan;
mod recompute;
mod report;
mod run;
mod scalar;
mod split;
mod strided;

pub use cache::{jit, jit_n, Jit};
pub use compiled::Compiled;
pub use passes::PassStats;
pub use report::{StepKind, StepReport};
