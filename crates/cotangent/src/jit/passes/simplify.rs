//! Exact algebraic simplifications: `x·1`, `1·x`, `x+0`, `0+x`, `x−0` become `x`;
//! `neg(neg(x))` and `identity(x)` become `x`; two permutations in a row become one (or none); a reshape or
//! broadcast to the shape the operand already has disappears.
//!
//! One caveat of `x + 0 → x`: for `x = −0.0` the sum is `+0.0`, the simplified result `−0.0`
//! (equal under `==`, as in XLA).

use std::sync::Arc;

use smallvec::smallvec;

use super::{is_builtin, is_splat, param_list, push, rewrite};
use crate::ir::{Graph, Var};
use crate::prim::permute::Permute;

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
        if !is_builtin(eqn) {
            return push(out, eqn, ins);
        }
        let same_aval = |v: Var, out: &Graph| out.aval(v) == eqn.aval;
        let producer = |v: Var, out: &Graph| match v {
            Var::Eqn(i) => Some(out.eqns[i as usize].clone()),
            _ => None,
        };
        let replacement = match eqn.prim.name() {
            "mul" if is_splat(out, ins[1], 1.0) => Some(ins[0]),
            "mul" if is_splat(out, ins[0], 1.0) => Some(ins[1]),
            "add" if is_splat(out, ins[1], 0.0) => Some(ins[0]),
            "add" if is_splat(out, ins[0], 0.0) => Some(ins[1]),
            "sub" if is_splat(out, ins[1], 0.0) => Some(ins[0]),
            "identity" => Some(ins[0]),
            "neg" => producer(ins[0], out)
                .filter(|p| p.prim.name() == "neg")
                .map(|p| p.inputs[0]),
            "reshape" | "broadcast_to" if same_aval(ins[0], out) => Some(ins[0]),
            "permute" => {
                let inner = producer(ins[0], out).filter(|p| p.prim.name() == "permute");
                let q = param_list(&eqn.prim.params(), "perm");
                match (inner, q) {
                    (Some(p_eqn), Some(q)) => {
                        let p = param_list(&p_eqn.prim.params(), "perm").unwrap_or_default();
                        if p.len() == q.len() {
                            let r: Vec<usize> = q.iter().map(|&i| p[i]).collect();
                            changed += 1;
                            if r.iter().enumerate().all(|(i, &x)| i == x) {
                                return p_eqn.inputs[0];
                            }
                            let mut e = eqn.clone();
                            e.prim = Arc::new(Permute { perm: r.into() });
                            return push(out, &e, smallvec![p_eqn.inputs[0]]);
                        }
                        None
                    }
                    _ => None,
                }
            }
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
