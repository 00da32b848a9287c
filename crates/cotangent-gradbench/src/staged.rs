//! Compiling a module's function with the library's `jit` (traced once per input shapes,
//! optimized and fused, then run without tracing), unless `COTANGENT_GRADBENCH_EAGER` is set in
//! the environment: then the same function runs eagerly, op by op, for comparison.

use cotangent::{Jit, Tensor};

/// A function of tensors, compiled or eager.
pub enum Staged<F> {
    /// Compiled on its first call.
    Compiled(Jit<F>),
    /// Run as written.
    Eager(F),
}

impl<F: Fn(&[Tensor]) -> Vec<Tensor>> Staged<F> {
    /// `f`, compiled unless `COTANGENT_GRADBENCH_EAGER` is set.
    pub fn new(f: F) -> Staged<F> {
        if std::env::var_os("COTANGENT_GRADBENCH_EAGER").is_some() {
            Staged::Eager(f)
        } else {
            Staged::Compiled(Jit::new(f))
        }
    }

    /// Calls the function.
    pub fn call(&self, xs: &[Tensor]) -> Vec<Tensor> {
        match self {
            Staged::Compiled(j) => j.call(xs),
            Staged::Eager(f) => f(xs),
        }
    }
}
