//! Canonical constants. Scalars a function combines with tensors arrive as broadcast views
//! (every stride 0); they become a one-element constant plus an explicit `broadcast_to`, which
//! the fused loops splat instead of reading a full-size view. Other strided constants are
//! packed once here rather than on every run.

use std::sync::Arc;

use smallvec::smallvec;

use crate::core::layout::Layout;
use crate::core::{Shape, Tensor};
use crate::ir::{Eqn, Graph, Var};
use crate::prim::broadcast::BroadcastTo;
use crate::prim::Aval;

/// Whether every element of a float value is the same (bitwise), as `full` and `ones_like`
/// make them.
fn all_equal(v: &crate::core::Value) -> bool {
    if !v.dtype().is_float() {
        return false;
    }
    let x = v.to_f64_vec();
    x.iter().all(|e| e.to_bits() == x[0].to_bits())
}

/// Rewrite splatted constants as scalar + broadcast and pack strided ones; returns the graph
/// and how many broadcasts it made explicit.
pub(crate) fn canonical_consts(g: &Graph) -> (Graph, usize) {
    let mut out = Graph {
        inputs: g.inputs.clone(),
        consts: Vec::with_capacity(g.consts.len()),
        eqns: Vec::with_capacity(g.eqns.len()),
        outputs: Vec::new(),
    };
    let mut cmap: Vec<Var> = Vec::with_capacity(g.consts.len());
    for (i, t) in g.consts.iter().enumerate() {
        let v = t.value();
        let untracked = t.levels() == 0 && !v.is_abstract();
        let splat = v.layout.shape.numel() > 1
            && (v.layout.strides.iter().all(|&s| s == 0) || all_equal(v));
        if untracked && splat {
            // Element 0 sits at the layout's offset.
            let one = v.with_layout(Layout {
                shape: Shape::from(&[][..]),
                strides: Default::default(),
                offset: v.layout.offset,
            });
            out.consts.push(Tensor::from_value(one, t.location()));
            out.eqns.push(Eqn {
                prim: Arc::new(BroadcastTo {
                    shape: v.layout.shape.clone(),
                }),
                inputs: smallvec![Var::Const(i as u32)],
                aval: Aval::of(t),
                location: t.location(),
            });
            cmap.push(Var::Eqn(out.eqns.len() as u32 - 1));
        } else if untracked && !v.layout.is_contiguous() {
            out.consts.push(Tensor::from_value(
                v.clone().into_contiguous(),
                t.location(),
            ));
            cmap.push(Var::Const(i as u32));
        } else {
            out.consts.push(t.clone());
            cmap.push(Var::Const(i as u32));
        }
    }
    let shift = out.eqns.len() as u32;
    let rename = |v: Var| match v {
        Var::Const(i) => cmap[i as usize],
        Var::Eqn(j) => Var::Eqn(j + shift),
        v => v,
    };
    for e in &g.eqns {
        let mut e = e.clone();
        e.inputs = e.inputs.iter().map(|&v| rename(v)).collect();
        out.eqns.push(e);
    }
    out.outputs = g.outputs.iter().map(|&v| rename(v)).collect();
    (out, shift as usize)
}
