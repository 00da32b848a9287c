//! Recording levels. Each active transformation (a `grad`, a `jvp`, a gradient tape, and the
//! PyTorch-style `requires_grad` mode on level 0) owns one bit of a 64-bit mask. A tensor carries
//! the bits of the levels that track it; an operation keeps edges to its inputs only when one of
//! their bits is still active on this thread. A transformation that walks its graph switches its
//! own bit off while it runs its rules, so the rules are recorded only for the levels outside it:
//! that is what makes nested derivatives exact and free of perturbation confusion.
//!
//! The state is per thread: recording on one thread never affects another.
//!
//! Bits are reused once their level ends, but tensors a level tracked can outlive it (as
//! constants of an outer level's graph, or leaked out of a finished trace). So every level also
//! has a start *epoch* (a per-thread counter bumped by each new level) and every node records
//! the epoch it was made in: a node's bit counts only if the node is no older than the level now
//! holding that bit ([`live`]). Without that, a stale bit read as membership of whatever level
//! got the bit next (a `grad` argument inside `jacfwd` looked like part of jacfwd's trace).

use std::cell::Cell;
use std::marker::PhantomData;

use super::error::{Error, Result};

/// The bit of the PyTorch-style global level (tensors made with `requires_grad`).
pub(crate) const GLOBAL: u64 = 1;

thread_local! {
    static EPOCH: Cell<u64> = const { Cell::new(0) };
    static START: [Cell<u64>; 64] = const { [const { Cell::new(0) }; 64] };
    static ACTIVE: Cell<u64> = const { Cell::new(GLOBAL) };
    static USED: Cell<u64> = const { Cell::new(GLOBAL) };
    static TRACING: Cell<u64> = const { Cell::new(0) };
    static FORWARD: Cell<u64> = const { Cell::new(0) };
}

/// The bits of the forward-mode levels (`jvp`): they record no edges; `bind` pushes each
/// output's tangent at such a level as it runs (see `core::tangent`).
#[inline]
pub(crate) fn forward() -> u64 {
    FORWARD.with(|f| f.get())
}

/// Of `bits`, the levels that started after the level at `bit` (its inner levels), traces
/// excepted: a forward level's tangent rule runs with these switched off, so an inner level
/// never sees (or records) the tangents of an outer one.
pub(crate) fn inner_to(bit: u64, bits: u64) -> u64 {
    let index = bit.trailing_zeros() as usize;
    let mut rest = bits & !bit & !tracing() & !GLOBAL;
    let mut out = 0;
    START.with(|start| {
        let mine = start[index].get();
        while rest != 0 {
            let b = rest.trailing_zeros() as usize;
            rest &= rest - 1;
            if start[b].get() > mine {
                out |= 1u64 << b;
            }
        }
    });
    out
}

/// The bits of `bits`, oldest level first.
pub(crate) fn oldest_first(bits: u64) -> smallvec::SmallVec<[u64; 2]> {
    let mut out: smallvec::SmallVec<[u64; 2]> = smallvec::SmallVec::new();
    let mut rest = bits;
    while rest != 0 {
        out.push(rest & rest.wrapping_neg());
        rest &= rest - 1;
    }
    if out.len() > 1 {
        START.with(|start| out.sort_by_key(|b| start[b.trailing_zeros() as usize].get()));
    }
    out
}

/// The bits of the levels that belong to running traces (`trace`, `jit`, `vmap`): they keep
/// recording under `no_grad`, because a trace must capture every operation.
#[inline]
pub(crate) fn tracing() -> u64 {
    TRACING.with(|t| t.get())
}

/// The current epoch: stamped on every node made now.
#[inline]
pub(crate) fn epoch() -> u64 {
    EPOCH.with(|e| e.get())
}

/// Of the level bits a node made at `epoch` carries, those whose level is still the one that
/// tracked it (not a later level that reuses the bit).
#[inline]
pub(crate) fn live(bits: u64, epoch: u64) -> u64 {
    let mut rest = bits & !GLOBAL;
    if rest == 0 {
        return bits;
    }
    let mut out = bits;
    START.with(|start| {
        while rest != 0 {
            let b = rest.trailing_zeros() as usize;
            rest &= rest - 1;
            if start[b].get() > epoch {
                out &= !(1u64 << b);
            }
        }
    });
    out
}

/// The bits of the levels recording on this thread.
#[inline]
pub(crate) fn active() -> u64 {
    ACTIVE.with(|a| a.get())
}

/// A level owned by a running transformation: allocated and switched on at creation, released
/// on drop. Not `Send`: levels belong to the thread that made them.
#[derive(Debug)]
pub(crate) struct Level {
    pub(crate) bit: u64,
    _not_send: PhantomData<*const ()>,
}

impl Level {
    pub(crate) fn new() -> Result<Level> {
        let used = USED.with(|u| u.get());
        if used == u64::MAX {
            return Err(Error::usage(
                "transform",
                "more than 63 transformations are nested or alive at once on this thread",
            ));
        }
        let index = (!used).trailing_zeros() as usize;
        let bit = 1u64 << index;
        let now = EPOCH.with(|e| {
            e.set(e.get() + 1);
            e.get()
        });
        START.with(|s| s[index].set(now));
        USED.with(|u| u.set(used | bit));
        ACTIVE.with(|a| a.set(a.get() | bit));
        Ok(Level {
            bit,
            _not_send: PhantomData,
        })
    }
}

impl Level {
    /// A level for a trace: like [`Level::new`], and marked so `no_grad` leaves it on.
    pub(crate) fn new_trace() -> Result<Level> {
        let level = Level::new()?;
        TRACING.with(|t| t.set(t.get() | level.bit));
        Ok(level)
    }

    /// A forward-mode level: like [`Level::new`], and marked so `bind` pushes tangents at it
    /// instead of recording edges.
    pub(crate) fn new_forward() -> Result<Level> {
        let level = Level::new()?;
        FORWARD.with(|f| f.set(f.get() | level.bit));
        Ok(level)
    }
}

impl Drop for Level {
    fn drop(&mut self) {
        TRACING.with(|t| t.set(t.get() & !self.bit));
        FORWARD.with(|f| f.set(f.get() & !self.bit));
        USED.with(|u| u.set(u.get() & !self.bit));
        ACTIVE.with(|a| a.set(a.get() & !self.bit));
    }
}

/// Restores the active mask when dropped (also on panic).
pub(crate) struct MaskGuard {
    old: u64,
}

impl MaskGuard {
    /// Switch off the given bits until the guard drops.
    pub(crate) fn without(bits: u64) -> MaskGuard {
        let old = active();
        ACTIVE.with(|a| a.set(old & !bits));
        MaskGuard { old }
    }
}

impl Drop for MaskGuard {
    fn drop(&mut self) {
        ACTIVE.with(|a| a.set(self.old));
    }
}

/// Runs `f` with gradient recording off, like `torch.no_grad()`: nothing computed inside keeps
/// edges to its inputs, whatever tracks them.
///
/// ```
/// use cotangent::{no_grad, Tensor};
/// let x = Tensor::scalar(2.0).requires_grad();
/// let y = no_grad(|| &x * &x);
/// assert!(!y.is_tracked());
/// ```
///
/// Inside a traced function (`jit`, `vmap`), operations are still captured by the trace; use
/// [`crate::Tensor::detach`] to stop derivatives there.
pub fn no_grad<R>(f: impl FnOnce() -> R) -> R {
    let _g = MaskGuard::without(!tracing());
    f()
}

/// Whether any level is recording on this thread.
///
/// ```
/// assert!(cotangent::is_grad_enabled());
/// assert!(!cotangent::no_grad(cotangent::is_grad_enabled));
/// ```
pub fn is_grad_enabled() -> bool {
    active() & !tracing() != 0
}
