//! Shifts and rolls read in place: a `concat` along the first axis, or a `pad` of the first
//! axis alone (a sequence shifted by some steps, a boundary row of zeros), is, in row-major
//! order, runs copied from its operands and runs of one fill value. When only fused loops read
//! its result (and the program does not return it), the step is dropped and each such loop
//! reads the runs block by block, as it reads a broadcast or transposed view (see `strided`):
//! no buffer is written for it. An operand found not contiguous at run time is packed first.

use super::fuse::{readers, without, Step};
use super::kernel::Pieces;
use crate::core::lowering::Lowering;
use crate::ir::{Graph, Var};

/// The runs of equation `k`'s value when it is a `concat` along the first axis or a `pad` of
/// the first axis only, of a float type.
fn runs_of(g: &Graph, k: usize) -> Option<Pieces> {
    let e = &g.eqns[k];
    let d = e.aval.dtype;
    if !d.is_float() || d.is_half() || e.inputs.iter().any(|&v| g.aval(v).dtype != d) {
        return None;
    }
    let numel = |v: Var| g.aval(v).shape.numel();
    match e.prim.lowering() {
        Lowering::Concat { axis } => {
            let outer: usize = e.aval.shape.dims()[..axis].iter().product();
            (outer == 1).then(|| Pieces {
                parts: e.inputs.iter().map(|&v| (Some(v), numel(v))).collect(),
                fill: 0.0,
            })
        }
        Lowering::Pad {
            lo,
            hi,
            interior,
            value,
        } => {
            let dims = e.aval.shape.dims();
            let first_only = !dims.is_empty()
                && interior.iter().all(|&i| i == 0)
                && lo[1..].iter().chain(&hi[1..]).all(|&p| p == 0);
            if !first_only {
                return None;
            }
            let inner: usize = dims[1..].iter().product();
            let x = e.inputs[0];
            Some(Pieces {
                parts: vec![
                    (None, lo[0] * inner),
                    (Some(x), numel(x)),
                    (None, hi[0] * inner),
                ],
                fill: value,
            })
        }
        _ => None,
    }
}

/// `steps` with each such `concat` or `pad` read in place by the loops that read it.
pub(crate) fn read_in_place(g: &Graph, mut steps: Vec<Step>) -> Vec<Step> {
    let readers = readers(g, &steps);
    let mut removed = vec![false; steps.len()];
    for i in 0..steps.len() {
        let Step::Prim(p) = steps[i] else { continue };
        let Some(pieces) = runs_of(g, p as usize) else {
            continue;
        };
        let dtype = g.eqns[p as usize].aval.dtype;
        let fits = |s: &Step| match s {
            Step::Kernel(k) => {
                k.dtype == dtype
                    && k.first.map(|r| r.var) != Some(Var::Eqn(p))
                    && k.inputs
                        .iter()
                        .filter(|x| x.var == Var::Eqn(p))
                        .all(|x| !x.scalar && !x.row)
            }
            Step::Prim(_) => false,
        };
        let rs = &readers[p as usize];
        let returned = g.outputs.contains(&Var::Eqn(p));
        if rs.is_empty() || returned || !rs.iter().all(|&r| r > i && fits(&steps[r])) {
            continue;
        }
        for &r in rs {
            if let Step::Kernel(k) = &mut steps[r] {
                for x in k.inputs.iter_mut().filter(|x| x.var == Var::Eqn(p)) {
                    x.pieces = Some(Box::new(pieces.clone()));
                }
                if !k.members.contains(&p) {
                    k.members.insert(0, p);
                }
            }
        }
        removed[i] = true;
    }
    without(steps, &removed)
}
