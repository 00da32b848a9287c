//! Forward mode without a recorded graph. A forward-mode level (`jvp`) records no edges:
//! instead each node carries its tangent at that level, and [`push`] computes the output's
//! tangent from the inputs' tangents with the primitive's JVP rule as the primal runs. So the
//! memory of a `jvp` is that of the primal run: intermediates and their tangents are freed as
//! soon as the user's code drops them.
//!
//! Nesting. The tangent at a forward level `f` is computed with `f` and every level inner to
//! it switched off (the rule's own operations are then recorded, or pushed, only for the outer
//! levels), and levels are handled oldest first, so the rule sees the output carrying the
//! tangents of the outer levels already computed. That is the nested dual number
//! `x + ε₁·t₁ + ε₂·t₂ + ε₁ε₂·t₁₂`, with `t₁₂` held as the outer tangent of the inner one.
//!
//! The rule is given a *twin* of the output (same value, same recorded origin, the tangents so
//! far), never the output itself: a tangent that referred to its own node would make a cycle.

use std::cell::RefCell;
use std::panic::Location;
use std::sync::Arc;

use smallvec::SmallVec;

use super::debug::{check_rule, debug_nans, RuleScope};
use super::error::{Error, Result};
use super::level::{epoch, forward, inner_to, oldest_first, MaskGuard};
use super::primitive::Primitive;
use super::storage::Value;
use super::tensor::{Inputs, Node, Origin, Tensor};

/// The tangents a node carries: one per forward level (its bit), absent ones being zero.
pub(crate) type Tangents = SmallVec<[(u64, Tensor); 1]>;

/// **Forward-mode internals**: the tangents a tensor carries during `jvp`.
impl Tensor {
    /// This tensor's tangent at the forward level `bit` (`None`: zero, or not tracked there).
    pub(crate) fn tangent(&self, bit: u64) -> Option<&Tensor> {
        if self.levels() & bit == 0 {
            return None;
        }
        let ts = self.0.tangents.as_ref()?;
        ts.iter().find(|(b, _)| *b == bit).map(|(_, t)| t)
    }

    /// The tangents this tensor carries at the forward levels now active.
    pub(crate) fn live_tangents(&self) -> Tangents {
        let bits = self.levels() & forward() & super::level::active();
        match &self.0.tangents {
            Some(ts) if bits != 0 => ts.iter().filter(|(b, _)| bits & b != 0).cloned().collect(),
            _ => Tangents::new(),
        }
    }
}

/// The output's tangents at the forward levels among `levels`, by `prim`'s JVP rule applied to
/// the inputs' tangents. `record` are the recording levels the output keeps edges for (the
/// twin given to the rule carries the same origin, so a rule's use of the output is
/// differentiated by those levels too). A rule's error is kept for the level's `jvp` to return
/// ([`take_failure`]); the output then has no tangent there.
pub(crate) fn push(
    prim: &Arc<dyn Primitive>,
    inputs: &Inputs,
    value: &Value,
    levels: u64,
    record: u64,
    location: &'static Location<'static>,
) -> Option<Box<Tangents>> {
    let mut out = Tangents::new();
    for f in oldest_first(levels & forward()) {
        let ins: SmallVec<[Option<Tensor>; 2]> =
            inputs.iter().map(|i| i.tangent(f).cloned()).collect();
        if ins.iter().all(Option::is_none) {
            continue;
        }
        let twin = Tensor::new_node(Node {
            value: value.clone(),
            levels,
            epoch: epoch(),
            origin: (record != 0).then(|| Origin {
                prim: prim.clone(),
                inputs: inputs.clone(),
            }),
            location,
            tangents: (!out.is_empty()).then(|| Box::new(out.clone())),
        });
        let t = {
            let _off = MaskGuard::without(f | inner_to(f, super::level::active()));
            let _rule = RuleScope::enter();
            prim.jvp(inputs, &ins, &twin)
        };
        let t = t
            .and_then(|t| match t {
                Some(t) => {
                    check_tangent(prim.name(), inputs, &ins, value, &t, location).map(|_| Some(t))
                }
                None => Ok(None),
            })
            .map_err(|e| e.at(location));
        match t {
            Ok(Some(t)) => out.push((f, t)),
            Ok(None) => {}
            Err(e) => record_failure(f, e),
        }
    }
    (!out.is_empty()).then(|| Box::new(out))
}

thread_local! {
    /// The first rule error at each forward level, reported when the level's `jvp` returns.
    static FAILED: RefCell<Vec<(u64, Error)>> = const { RefCell::new(Vec::new()) };
}

pub(crate) fn record_failure(bit: u64, e: Error) {
    FAILED.with(|f| {
        let mut f = f.borrow_mut();
        if !f.iter().any(|(b, _)| *b == bit) {
            f.push((bit, e));
        }
    });
}

/// The first error a JVP rule raised at the forward level `bit` since the last call (the
/// primal computation carries on; the error comes out of the `jvp`).
pub(crate) fn take_failure(bit: u64) -> Option<Error> {
    FAILED.with(|f| {
        let mut f = f.borrow_mut();
        let i = f.iter().position(|(b, _)| *b == bit)?;
        Some(f.remove(i).1)
    })
}

/// An error when a JVP rule's tangent `t` does not have the shape and dtype of the primal
/// output `y` (a user's rule got it wrong; accepting it would give silently wrong results
/// later), and, under `debug_nans`, when it made a non-finite tangent from finite values.
pub(crate) fn check_tangent(
    op: &'static str,
    primals: &[Tensor],
    tangents: &[Option<Tensor>],
    y: &Value,
    t: &Tensor,
    location: &'static Location<'static>,
) -> Result<()> {
    if t.shape() != y.shape() || t.dtype() != y.dtype() {
        return Err(Error::shape(
            op,
            format!(
                "its jvp rule returned a tangent of {}{} for an output of {}{}",
                t.dtype(),
                t.shape(),
                y.dtype(),
                y.shape()
            ),
        )
        .at(location));
    }
    if !debug_nans() {
        return Ok(());
    }
    let values: Vec<&Value> = primals.iter().map(Tensor::value).collect();
    let seed = tangents
        .iter()
        .flatten()
        .find(|s| s.shape() == t.shape())
        .or(tangents.iter().flatten().next());
    match seed {
        Some(seed) => check_rule("jvp", op, &values, seed.value(), t.value(), location),
        None => Ok(()),
    }
}
