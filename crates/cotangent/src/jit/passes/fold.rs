//! Constant folding: an equation whose operands are all known constants is computed once, at
//! compile time, and becomes a constant. Broadcasts are left alone (a broadcast constant is
//! cheaper as a scalar the fused loops splat), and so are constants tracked by a
//! transformation (their derivative must keep flowing).
//!
//! Tracing already evaluates operations on untracked constants eagerly, so a fresh trace rarely
//! holds such equations; they appear in graphs rewritten by other passes or built by hand.

use smallvec::SmallVec;

use super::{is_broadcast, is_pure, known_const, push, rewrite};
use crate::core::{Tensor, Value};
use crate::ir::{Graph, Var};

/// Results larger than this many elements are not folded (they would bloat the constants).
const MAX_FOLDED: usize = 1 << 16;

/// Fold constant equations; returns the graph and how many were folded.
///
/// ```
/// use cotangent::{ir::trace, jit::passes::fold, prim::Aval, DType, Tensor};
/// // Tracing computes `c.exp()` right away (nothing traced flows into it), so the graph
/// // holds only the mul and there is nothing left to fold.
/// let c = Tensor::scalar(2.0f64);
/// let g = trace(|x: &Tensor| x * &c.exp(), &Aval::new(&[], DType::F64)).unwrap();
/// let (g2, folded) = fold(&g);
/// assert_eq!((folded, g2.eqns().len()), (0, 1));
/// ```
pub fn fold(g: &Graph) -> (Graph, usize) {
    let mut folded = 0;
    let out = rewrite(g, |out, eqn, ins| {
        let foldable = is_pure(eqn)
            && !is_broadcast(eqn)
            && eqn.aval.shape.numel() <= MAX_FOLDED
            && ins.iter().all(|&v| known_const(out, v).is_some());
        if foldable {
            let values: SmallVec<[&Value; 3]> = ins
                .iter()
                .map(|&v| known_const(out, v).expect("checked").value())
                .collect();
            let result = crate::core::opmath::eval(&*eqn.prim, &values, eqn.aval.dtype);
            drop(values);
            if let Ok(value) = result {
                folded += 1;
                out.consts.push(Tensor::from_value(value, eqn.location));
                return Var::Const(out.consts.len() as u32 - 1);
            }
        }
        push(out, eqn, ins)
    });
    (out, folded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::trace_n;
    use crate::prim::Aval;
    use crate::DType;

    /// `out = x + exp(c)` with `c` a constant: the exp is folded into a new constant. (The
    /// graph is traced with `c` as a second input, which then becomes the constant.)
    #[test]
    fn folds_constant_equations() {
        let a = Aval::new(&[2], DType::F64);
        let mut g = trace_n(|x| vec![&x[0] + &x[1].exp()], &[a.clone(), a.clone()]);
        g.inputs.truncate(1);
        g.consts.push(Tensor::from_vec(vec![0.0f64, 1.0], &[2]));
        for e in &mut g.eqns {
            for v in &mut e.inputs {
                if *v == Var::Input(1) {
                    *v = Var::Const(g.consts.len() as u32 - 1);
                }
            }
        }
        let (g2, n) = fold(&g);
        assert_eq!((n, g2.eqns.len()), (1, 1));
        let y = g2
            .eval(&[Tensor::from_vec(vec![1.0f64, 2.0], &[2])])
            .unwrap();
        assert_eq!(y[0].to_vec::<f64>(), vec![2.0, 2.0 + 1f64.exp()]);
    }
}
