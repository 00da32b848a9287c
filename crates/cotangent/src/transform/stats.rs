//! Counters of graph walks on this thread, so tests and users can see how many forward and
//! reverse passes a transformation ran (instrumentation, not timing).

use std::cell::Cell;

thread_local! {
    static FORWARD: Cell<usize> = const { Cell::new(0) };
    static REVERSE: Cell<usize> = const { Cell::new(0) };
}

/// How many forward-mode and reverse-mode passes ran on this thread since the last reset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PassCounts {
    /// Forward-mode (JVP) walks.
    pub forward: usize,
    /// Reverse-mode (VJP) walks.
    pub reverse: usize,
}

/// The pass counts on this thread.
///
/// ```
/// use cotangent::{grad, pass_counts, reset_pass_counts, Tensor};
/// reset_pass_counts();
/// let _ = grad(|x: &Tensor| x.sin().sum())(&Tensor::scalar(1.0));
/// assert_eq!(pass_counts().reverse, 1);
/// ```
pub fn pass_counts() -> PassCounts {
    PassCounts {
        forward: FORWARD.with(Cell::get),
        reverse: REVERSE.with(Cell::get),
    }
}

/// Reset this thread's pass counts to zero.
pub fn reset_pass_counts() {
    FORWARD.with(|c| c.set(0));
    REVERSE.with(|c| c.set(0));
}

pub(crate) fn count_forward() {
    FORWARD.with(|c| c.set(c.get() + 1));
}

pub(crate) fn count_reverse() {
    REVERSE.with(|c| c.set(c.get() + 1));
}
