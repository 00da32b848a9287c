//! Rewriting passes over a traced [`Graph`]: each takes a graph and returns an equivalent one
//! plus how many equations it changed. [`optimize`] runs them to a fixed point.
//!
//! The passes know primitives only through their typed descriptions: [`Primitive::lowering`]
//! (units, copies, broadcasts), [`Primitive::compose_after`] and [`Primitive::is_equivalent`].
//! A primitive that declares none of them (a user primitive, one carrying a closure) is always
//! kept as it is.
//!
//! [`Primitive::lowering`]: crate::prim::Primitive::lowering
//! [`Primitive::compose_after`]: crate::prim::Primitive::compose_after
//! [`Primitive::is_equivalent`]: crate::prim::Primitive::is_equivalent

mod consts;
mod cse;
mod dce;
mod fold;
mod simplify;

pub use cse::cse;
pub use dce::dce;
pub use fold::fold;
pub use simplify::simplify;

use smallvec::SmallVec;

use crate::core::Tensor;
use crate::ir::{Eqn, Graph, Var};
use crate::prim::lowering::Lowering;

/// How many equations each pass removed or rewrote while compiling one graph.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PassStats {
    /// Equations whose result nothing used (removed).
    pub dce: usize,
    /// Equations that repeated an earlier one (replaced by it).
    pub cse: usize,
    /// Equations computed at compile time from constants.
    pub folded: usize,
    /// Equations removed or shortened by an exact algebraic identity.
    pub simplified: usize,
}

/// Run simplification, folding, CSE and DCE until nothing changes (at most a few rounds).
///
/// ```
/// use cotangent::{ir::trace, jit::passes::optimize, prim::Aval, DType, Tensor};
/// let g = trace(|x: &Tensor| -(-x.sin()) + x.sin(), &Aval::new(&[3], DType::F64)).unwrap();
/// let (opt, stats) = optimize(&g);
/// // −(−s) is s; the second sin is the first; the inner negation is then dead.
/// assert_eq!((stats.simplified, stats.cse, stats.dce), (1, 1, 1));
/// assert_eq!(opt.eqns().len(), 2); // sin, add
/// ```
pub fn optimize(g: &Graph) -> (Graph, PassStats) {
    let mut stats = PassStats::default();
    let (mut g, _) = consts::canonical_consts(g);
    for _ in 0..4 {
        let (g1, s) = simplify(&g);
        let (g2, f) = fold(&g1);
        let (g3, c) = cse(&g2);
        let (g4, d) = dce(&g3);
        stats.simplified += s;
        stats.folded += f;
        stats.cse += c;
        stats.dce += d;
        g = g4;
        if s + f + c == 0 {
            break;
        }
    }
    (g, stats)
}

/// Whether `eqn`'s primitive promises a pure kernel (it is equivalent to itself, see
/// [`crate::prim::Primitive::is_equivalent`]): only such equations are folded.
pub(crate) fn is_pure(eqn: &Eqn) -> bool {
    eqn.prim.is_equivalent(&*eqn.prim)
}

/// Whether `eqn` broadcasts.
pub(crate) fn is_broadcast(eqn: &Eqn) -> bool {
    matches!(eqn.prim.lowering(), Lowering::Broadcast { .. })
}

/// Rebuild `g`: `f` sees each equation with its operands already renamed and returns the
/// variable that now stands for its result (pushing an equation with [`push`], reusing an
/// existing variable, or adding a constant).
pub(crate) fn rewrite(
    g: &Graph,
    mut f: impl FnMut(&mut Graph, &Eqn, SmallVec<[Var; 3]>) -> Var,
) -> Graph {
    let mut out = Graph {
        inputs: g.inputs.clone(),
        consts: g.consts.clone(),
        eqns: Vec::with_capacity(g.eqns.len()),
        outputs: Vec::new(),
    };
    let mut map: Vec<Var> = Vec::with_capacity(g.eqns.len());
    let rename = |v: Var, map: &[Var]| match v {
        Var::Eqn(i) => map[i as usize],
        other => other,
    };
    for eqn in &g.eqns {
        let ins = eqn.inputs.iter().map(|&v| rename(v, &map)).collect();
        let v = f(&mut out, eqn, ins);
        map.push(v);
    }
    out.outputs = g.outputs.iter().map(|&v| rename(v, &map)).collect();
    out
}

/// Append `eqn` with operands `inputs`; its variable.
pub(crate) fn push(g: &mut Graph, eqn: &Eqn, inputs: SmallVec<[Var; 3]>) -> Var {
    g.eqns.push(Eqn {
        prim: eqn.prim.clone(),
        inputs,
        aval: eqn.aval.clone(),
        location: eqn.location,
    });
    Var::Eqn(g.eqns.len() as u32 - 1)
}

/// The constant behind `v` if it is a concrete constant that no transformation tracks (so its
/// value may be used at compile time).
pub(crate) fn known_const(g: &Graph, v: Var) -> Option<&Tensor> {
    let Var::Const(i) = v else { return None };
    let t = &g.consts[i as usize];
    (t.levels() == 0 && !t.value().is_abstract()).then_some(t)
}

/// Whether `v` is, elementwise, the constant `x`: a known constant whose elements all equal
/// `x`, possibly broadcast.
pub(crate) fn is_splat(g: &Graph, v: Var, x: f64) -> bool {
    let v = match v {
        Var::Eqn(i) if is_broadcast(&g.eqns[i as usize]) => g.eqns[i as usize].inputs[0],
        v => v,
    };
    match known_const(g, v) {
        Some(t) if t.dtype().is_float() && t.numel() <= 64 => {
            t.value().to_f64_vec().iter().all(|&e| e == x)
        }
        _ => false,
    }
}
