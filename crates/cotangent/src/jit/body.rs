//! [`CompiledBody`]: a loop body's graph compiled at its first concrete run, so that a `scan`
//! the compiler runs through its kernel executes each step as one compiled program (fused
//! loops, planned buffers, the scalar fast path) instead of replaying the graph op by op.

use std::panic::Location;
use std::sync::{Arc, OnceLock};

use super::compiled::Compiled;
use super::run::execute;
use crate::core::{Result, Tensor};
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
    /// `body` on `args` (concrete and untracked, of the traced types), compiled the first
    /// time. Its outputs are those of [`Graph::eval`], computed by the compiled program.
    pub(crate) fn run(&self, body: &Graph, args: &[Tensor]) -> Result<Vec<Tensor>> {
        self.run_for(body, args, MIN_RUNS)
    }

    /// [`CompiledBody::run`] for a caller that will run `body` about `runs` times in all: a
    /// body not compiled yet is replayed (`Graph::eval`) when that is fewer than a few.
    pub(crate) fn run_for(
        &self,
        body: &Graph,
        args: &[Tensor],
        runs: usize,
    ) -> Result<Vec<Tensor>> {
        if runs < MIN_RUNS && self.0.get().is_none() {
            return body.eval(args);
        }
        let program = self.0.get_or_init(|| Arc::new(Compiled::new(body.clone())));
        Ok(execute(program, args)?
            .into_iter()
            .map(|v| Tensor::from_value(v, Location::caller()))
            .collect())
    }
}
