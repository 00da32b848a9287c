//! Counters on this thread, so tests and users can see how much work a transformation did
//! (instrumentation, not timing): how many forward and reverse passes ran, and how many
//! primitive applications `vmap` had to run once per example for want of a batching rule.

use std::cell::Cell;

thread_local! {
    static FORWARD: Cell<usize> = const { Cell::new(0) };
    static REVERSE: Cell<usize> = const { Cell::new(0) };
    static VMAP_FALLBACKS: Cell<usize> = const { Cell::new(0) };
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

/// How many primitive applications `vmap` ran as a loop over examples on this thread since the
/// last reset, because the primitive has no batching rule ([`crate::prim::Primitive::batch`]
/// returned `Ok(None)`). Every built-in primitive has a rule, so this stays 0 unless a
/// user-defined primitive without one is mapped.
///
/// ```
/// use cotangent::{reset_vmap_fallbacks, vmap, vmap_fallbacks, Tensor};
/// reset_vmap_fallbacks();
/// let f = vmap(|x: &Tensor| x.sin().sum(), 0, 0);
/// let _ = f(&Tensor::ones(&[4, 3], cotangent::DType::F64));
/// assert_eq!(vmap_fallbacks(), 0);
/// ```
pub fn vmap_fallbacks() -> usize {
    VMAP_FALLBACKS.with(Cell::get)
}

/// Reset this thread's count of `vmap` per-example fallbacks to zero.
pub fn reset_vmap_fallbacks() {
    VMAP_FALLBACKS.with(|c| c.set(0));
}

pub(crate) fn count_vmap_fallback() {
    VMAP_FALLBACKS.with(|c| c.set(c.get() + 1));
}
