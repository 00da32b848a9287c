//! Exact algebraic simplifications, read from the primitives' typed descriptions: an operand
//! beside its operation's unit (`x·1`, `1·x`, `x+0`, `0+x`, `x−0`) and a removable copy
//! (`identity(x)`) become `x`; a pair that composes (`neg(neg(x))`, two permutations in a row)
//! becomes `x` or one equation; a reshape or broadcast to the shape the operand already has
//! disappears.
//!
//! One caveat of `x + 0 → x`: for `x = −0.0` the sum is `+0.0`, the simplified result `−0.0`
//! (equal under `==`, as in XLA).

use smallvec::smallvec;

use super::{is_splat, push, rewrite};
use crate::ir::{Graph, Var};
use crate::prim::lowering::{Composed, Lowering};

/// Apply the identities above; returns the graph and how many equations were removed or
/// merged.
///
/// ```
/// use cotangent::{ir::trace, jit::passes::simplify, prim::Aval, DType, Tensor};
/// use cotangent::ir::Var;
/// let g = trace(|x: &Tensor| -(-(x * 1.0)), &Aval::new(&[3], DType::F64)).unwrap();
/// let (g2, n) = simplify(&g);
/// assert_eq!(n, 2); // x·1, then −(−x)
/// assert_eq!(g2.outputs(), &[Var::Input(0)]);
/// ```
pub fn simplify(g: &Graph) -> (Graph, usize) {
    let mut changed = 0;
    let out = rewrite(g, |out, eqn, ins| {
        let same_aval = |v: Var, out: &Graph| out.aval(v) == eqn.aval;
        // `outer(inner(x))` that is `x` or one primitive.
        if let Var::Eqn(i) = ins[0] {
            let inner = &out.eqns[i as usize];
            if ins.len() == 1 && inner.inputs.len() == 1 {
                match eqn.prim.compose_after(&*inner.prim) {
                    Some(Composed::Identity) if same_aval(inner.inputs[0], out) => {
                        changed += 1;
                        return inner.inputs[0];
                    }
                    Some(Composed::Single(prim)) => {
                        changed += 1;
                        let x = inner.inputs[0];
                        let mut e = eqn.clone();
                        e.prim = prim;
                        return push(out, &e, smallvec![x]);
                    }
                    _ => {}
                }
            }
        }
        let replacement = match eqn.prim.lowering() {
            Lowering::Elementwise(rule) => {
                let a = rule.algebra;
                if a.copy || a.right_unit.is_some_and(|u| is_splat(out, ins[1], u)) {
                    Some(ins[0])
                } else if a.left_unit.is_some_and(|u| is_splat(out, ins[0], u)) {
                    Some(ins[1])
                } else {
                    None
                }
            }
            Lowering::Reshape { .. } | Lowering::Broadcast { .. } => Some(ins[0]),
            _ => None,
        };
        match replacement {
            Some(v) if same_aval(v, out) => {
                changed += 1;
                v
            }
            _ => push(out, eqn, ins),
        }
    });
    (out, changed)
}
