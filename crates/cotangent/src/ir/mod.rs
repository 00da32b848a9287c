//! The graph IR: a traced computation as a self-contained value. [`trace`] runs a Rust closure
//! on abstract tensors (shape and dtype, no data) and captures every primitive it applies; the
//! resulting [`Graph`] prints like a jaxpr, exports to Graphviz DOT, and evaluates on concrete
//! inputs. `vmap` and `jit` are built on it.

mod eval;
mod graph;
mod print;
mod trace;

pub use graph::{Eqn, Graph, Var};
pub(crate) use trace::{from_tensors, try_trace_fallible};
pub use trace::{trace, trace_n, try_trace_n};
