//! `permute`: reorder dimensions (a zero-copy view). Linear: JVP permutes the tangent, VJP
//! applies the inverse permutation.

use crate::core::shape::Dims;
use crate::core::{Error, Result, Shape, Tensor, Value};
use crate::prim::batching::{first_batched, shift, Batched};
use crate::prim::{Aval, AvalRef, Primitive};
use crate::prim::lowering::{Composed, Lowering};

/// Output dim `i` is input dim `perm[i]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Permute {
    /// A permutation of `0..rank`.
    pub perm: Dims,
}

impl Primitive for Permute {
    crate::prim::typed_params!();
    fn lowering(&self) -> Lowering<'_> {
        Lowering::Permute { perm: &self.perm }
    }
    fn compose_after(&self, inner: &dyn Primitive) -> Option<Composed> {
        let Lowering::Permute { perm: p } = inner.lowering() else {
            return None;
        };
        if p.len() != self.perm.len() {
            return None;
        }
        // Output axis i is inner's axis perm[i], which is the operand's axis p[perm[i]].
        let r: Dims = self.perm.iter().map(|&i| p[i]).collect();
        if r.iter().enumerate().all(|(i, &x)| i == x) {
            return Some(Composed::Identity);
        }
        Some(Composed::Single(std::sync::Arc::new(Permute { perm: r })))
    }
    fn is_view(&self) -> bool {
        true
    }
    fn name(&self) -> &'static str {
        "permute"
    }
    fn params(&self) -> String {
        format!("perm={:?}", &self.perm[..])
    }
    fn abstract_eval(&self, inputs: &[AvalRef<'_>]) -> Result<Aval> {
        let x = inputs[0];
        let r = x.shape.rank();
        let mut seen = vec![false; r];
        let valid = self.perm.len() == r
            && self
                .perm
                .iter()
                .all(|&p| p < r && !std::mem::replace(&mut seen[p], true));
        if !valid {
            return Err(Error::shape(
                "permute",
                format!(
                    "{:?} is not a permutation of the {} dims of {}",
                    &self.perm[..],
                    r,
                    x.shape
                ),
            ));
        }
        Ok(Aval {
            shape: Shape(self.perm.iter().map(|&p| x.shape[p]).collect()),
            dtype: x.dtype,
        })
    }
    fn eval(&self, inputs: &[&Value]) -> Result<Value> {
        let v = inputs[0];
        Ok(v.with_layout(v.layout.permute(&self.perm)))
    }
    fn jvp(&self, _: &[Tensor], t: &[Option<Tensor>], _: &Tensor) -> Result<Option<Tensor>> {
        t[0].as_ref()
            .map(|t| t.permute_dims(&self.perm))
            .transpose()
    }
    fn vjp(&self, _: &[Tensor], _: &Tensor, g: &Tensor) -> Result<Vec<Option<Tensor>>> {
        let mut inv = Dims::from_elem(0, self.perm.len());
        for (i, &p) in self.perm.iter().enumerate() {
            inv[p] = i;
        }
        Ok(vec![Some(g.permute_dims(&inv)?)])
    }
    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], _: usize) -> Batched {
        // One permutation that also brings the batch axis to the front.
        let b = first_batched(dims);
        let perm: Dims = std::iter::once(b)
            .chain(self.perm.iter().map(|&p| shift(p, b)))
            .collect();
        Ok(Some((args[0].permute_dims(&perm)?, Some(0))))
    }
}

/// The primitives this module registers (with example parameters).
pub(crate) fn instances() -> Vec<std::sync::Arc<dyn Primitive>> {
    vec![std::sync::Arc::new(Permute { perm: Dims::new() })]
}
