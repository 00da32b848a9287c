//! Dead-code elimination: drop equations (and constants) that no output depends on.

use smallvec::SmallVec;

use crate::ir::{Graph, Var};

/// Remove every equation and constant no output needs; returns the graph and how many
/// equations were removed. Iterative (a reverse sweep), so graph depth does not matter.
///
/// ```
/// use cotangent::{ir::trace, jit::passes::{dce, simplify}, prim::Aval, DType, Tensor};
/// let g = trace(|x: &Tensor| -(-x.sin()), &Aval::new(&[2], DType::F32)).unwrap();
/// let (g, _) = simplify(&g); // the output is now the sin; the inner negation is unused
/// let (g2, removed) = dce(&g);
/// assert_eq!((removed, g2.eqns().len()), (1, 1));
/// ```
pub fn dce(g: &Graph) -> (Graph, usize) {
    let mut live = vec![false; g.eqns.len()];
    let mut const_live = vec![false; g.consts.len()];
    let mark = |v: Var, live: &mut [bool], const_live: &mut [bool]| match v {
        Var::Eqn(i) => live[i as usize] = true,
        Var::Const(i) => const_live[i as usize] = true,
        Var::Input(_) => {}
    };
    for &v in &g.outputs {
        mark(v, &mut live, &mut const_live);
    }
    for k in (0..g.eqns.len()).rev() {
        if live[k] {
            for &v in &g.eqns[k].inputs {
                mark(v, &mut live, &mut const_live);
            }
        }
    }
    let mut const_map = vec![0u32; g.consts.len()];
    let mut out = Graph {
        inputs: g.inputs.clone(),
        consts: Vec::new(),
        eqns: Vec::new(),
        outputs: Vec::new(),
    };
    for (i, c) in g.consts.iter().enumerate() {
        if const_live[i] {
            const_map[i] = out.consts.len() as u32;
            out.consts.push(c.clone());
        }
    }
    let mut eqn_map = vec![0u32; g.eqns.len()];
    let rename = |v: Var, eqn_map: &[u32]| match v {
        Var::Eqn(i) => Var::Eqn(eqn_map[i as usize]),
        Var::Const(i) => Var::Const(const_map[i as usize]),
        v => v,
    };
    for (k, eqn) in g.eqns.iter().enumerate() {
        if !live[k] {
            continue;
        }
        let inputs: SmallVec<[Var; 3]> = eqn.inputs.iter().map(|&v| rename(v, &eqn_map)).collect();
        eqn_map[k] = out.eqns.len() as u32;
        let mut e = eqn.clone();
        e.inputs = inputs;
        out.eqns.push(e);
    }
    out.outputs = g.outputs.iter().map(|&v| rename(v, &eqn_map)).collect();
    let removed = g.eqns.len() - out.eqns.len();
    (out, removed)
}
