//! `jit`: compile a traced function once per input shapes and dtypes, and run the compiled
//! program on later calls. Compiling takes the [`crate::ir::Graph`] of one trace through
//! rewriting passes (algebraic simplification, constant folding, common-subexpression and
//! dead-code elimination, see [`passes`]), groups chains of elementwise operations, and an
//! elementwise chain feeding a reduction, into fused loops (`fuse`); a reduction over each row
//! of the last axes, with the work before it and the work that reads its broadcast result
//! (softmax, layer norm), becomes one row loop, a pass per row. It then plans the buffers
//! those loops write so that they are allocated once and reused across calls (`plan`). The
//! executor (`run`) runs fused loops as a small register bytecode over blocks of elements
//! and every other operation through its primitive's kernel.
//!
//! Composition: when an input is being traced (`jit` inside `vmap`, `trace` or another `jit`)
//! or is tracked by an active derivative level (`grad` of a jitted function), or when a
//! captured constant is tracked by an active level, the optimized graph is *replayed* through
//! `bind` ([`crate::ir::Graph::eval`]) so the enclosing transformation records every equation;
//! only untracked concrete calls take the compiled path.

mod cache;
mod call;
mod compiled;
mod elementwise;
mod fuse;
mod kernel;
pub mod passes;
mod plan;
mod report;
mod run;
mod scalar;
mod split;
mod strided;

pub use cache::{jit, jit_n, Jit};
pub use compiled::Compiled;
pub use passes::PassStats;
pub use report::{StepKind, StepReport};
