//! Which equations a fused loop can run: those whose primitive lowers to an elementwise rule
//! ([`crate::prim::lowering::Elementwise`]) in one float type. A fused loop works in one float
//! type `T`; booleans (comparison results, `select` conditions, a cast from bool) are carried as
//! `T` 0 or 1 inside it. The formulas themselves belong to the primitives: a loop calls the
//! rule's block function, the same one the primitive's eager kernel calls.

use crate::core::DType;
use crate::ir::{Eqn, Graph};
use crate::prim::lowering::{Elementwise, Lowering};

/// The rule for `eqn` and the float type its loop works in, or `None` if it cannot be fused.
pub(crate) fn classify(g: &Graph, eqn: &Eqn) -> Option<(&'static Elementwise, DType)> {
    let Lowering::Elementwise(rule) = eqn.prim.lowering() else {
        return None;
    };
    if eqn.inputs.len() != rule.arity {
        return None;
    }
    let out = eqn.aval.dtype;
    let t = if out.is_float() {
        out
    } else {
        g.aval(eqn.inputs[0]).dtype
    };
    let fits = |d: DType| d == t || d == DType::Bool;
    // The 16-bit floats run op by op (each primitive computes in f32 and rounds once).
    let ok = t.is_float()
        && !t.is_half()
        && fits(out)
        && eqn.inputs.iter().all(|&v| fits(g.aval(v).dtype));
    ok.then_some((rule, t))
}
