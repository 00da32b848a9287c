//! [`CompiledBody`]: a loop body's graph compiled at its first concrete run, so that a `scan`
//! the compiler runs through its kernel executes each step as one compiled program (fused
//! loops, planned buffers, the scalar fast path) instead of replaying the graph op by op.

use std::sync::{Arc, OnceLock};

use super::compiled::Compiled;
use super::run::execute_values;
use crate::core::{Result, Value};
use crate::ir::Graph;

/// The compiled form of one body graph, made on first use and kept with the primitive that
/// owns the graph. A clone starts empty: a clone may be given another graph.
#[derive(Default)]
pub(crate) struct CompiledBody(OnceLock<Arc<Compiled>>);

impl Clone for CompiledBody {
    fn clone(&self) -> Self {
        CompiledBody::default()
    }
}

/// Below this many runs a body is replayed, unless it is compiled already: compiling a small
/// body costs about as much as replaying it a few times.
const MIN_RUNS: usize = 8;

impl CompiledBody {
    /// The compiled program of `body` for a caller that will run it about `runs` times in all
    /// (compiling it the first time), or `None` when that is too few to compile for and it is
    /// not compiled yet.
    pub(crate) fn program_for(&self, body: &Graph, runs: usize) -> Option<BodyProgram<'_>> {
        if runs < MIN_RUNS && self.0.get().is_none() {
            return None;
        }
        Some(self.program(body))
    }

    /// The compiled program of `body`, compiling it the first time.
    pub(crate) fn program(&self, body: &Graph) -> BodyProgram<'_> {
        BodyProgram(self.0.get_or_init(|| Arc::new(Compiled::new(body.clone()))))
    }
}

/// A compiled body, run on bare values step after step (see [`BodyProgram::run`]).
#[derive(Clone, Copy)]
pub(crate) struct BodyProgram<'a>(&'a Compiled);

impl BodyProgram<'_> {
    /// One run on `args` (concrete, of the traced types), its outputs written into `outs`
    /// (cleared first). Inside a compiled program a warm run asks the allocator for nothing:
    /// its values come from the program's reserve and `outs` keeps its room.
    pub(crate) fn run(self, args: &[Value], outs: &mut Vec<Value>) -> Result<()> {
        execute_values(self.0, args, outs)
    }
}
