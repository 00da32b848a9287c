//! Common-subexpression elimination: an equation that repeats an earlier one (same built-in
//! primitive and parameters, same operands) is replaced by the earlier result.

use rustc_hash::FxHashMap;
use smallvec::SmallVec;

use super::{is_builtin, push, rewrite};
use crate::ir::{Graph, Var};

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
    let mut seen: FxHashMap<(String, SmallVec<[Var; 3]>), Var> = FxHashMap::default();
    let mut merged = 0;
    let out = rewrite(g, |out, eqn, ins| {
        if !is_builtin(eqn) {
            return push(out, eqn, ins);
        }
        let key = (format!("{:?}", eqn.prim), ins.clone());
        if let Some(&v) = seen.get(&key) {
            merged += 1;
            return v;
        }
        let v = push(out, eqn, ins);
        seen.insert(key, v);
        v
    });
    (out, merged)
}
