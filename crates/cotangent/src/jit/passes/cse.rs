//! Common-subexpression elimination: an equation that repeats an earlier one (an equivalent
//! primitive, see [`crate::prim::Primitive::is_equivalent`], on the same operands) is replaced
//! by the earlier result.

use std::hash::{Hash, Hasher};

use rustc_hash::{FxHashMap, FxHasher};
use smallvec::SmallVec;

use super::{push, rewrite};
use crate::ir::{Graph, Var};

/// A hash of an equation's primitive and parameters, and its operands.
type Key = (u64, SmallVec<[Var; 3]>);

/// Merge repeated equations; returns the graph and how many were merged.
///
/// ```
/// use cotangent::{ir::trace, jit::passes::cse, prim::Aval, DType, Tensor};
/// let g = trace(|x: &Tensor| x.sin() * x.sin(), &Aval::new(&[2], DType::F64)).unwrap();
/// let (g2, merged) = cse(&g);
/// assert_eq!(merged, 1);
/// assert_eq!(g2.eqns().len(), 2); // one sin, the mul
/// ```
pub fn cse(g: &Graph) -> (Graph, usize) {
    // Candidates by a hash of name, parameters and operands; equivalence decides.
    let mut seen: FxHashMap<Key, SmallVec<[Var; 1]>> = FxHashMap::default();
    let mut merged = 0;
    let out = rewrite(g, |out, eqn, ins| {
        let mut h = FxHasher::default();
        eqn.prim.name().hash(&mut h);
        eqn.prim.hash_params(&mut h);
        let key = (h.finish(), ins.clone());
        if let Some(vs) = seen.get(&key) {
            let same = vs.iter().copied().find(|&v| match v {
                Var::Eqn(i) => out.eqns[i as usize].prim.is_equivalent(&*eqn.prim),
                _ => false,
            });
            if let Some(v) = same {
                merged += 1;
                return v;
            }
        }
        let v = push(out, eqn, ins);
        if eqn.prim.is_equivalent(&*eqn.prim) {
            seen.entry(key).or_default().push(v);
        }
        v
    });
    (out, merged)
}
