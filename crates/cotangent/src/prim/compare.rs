//! Comparisons (`eq ne lt le gt ge`): elementwise, any dtype, bool result. Not differentiable
//! (the output is boolean), so both rules return no tangent.

use crate::backend::cpu::dispatch::dispatch_all;
use crate::backend::cpu::zip::zip;
use crate::core::{DType, Result, Tensor, Value};
use crate::prim::elementwise::binary_same_aval;
use crate::prim::{Aval, AvalRef, Primitive};

/// Which comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmpOp {
    /// `a == b`
    Eq,
    /// `a != b`
    Ne,
    /// `a < b`
    Lt,
    /// `a <= b`
    Le,
    /// `a > b`
    Gt,
    /// `a >= b`
    Ge,
}

/// An elementwise comparison producing a bool tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Compare(pub CmpOp);

impl Primitive for Compare {
    crate::prim::batching::elementwise_batch!();
    fn name(&self) -> &'static str {
        match self.0 {
            CmpOp::Eq => "eq",
            CmpOp::Ne => "ne",
            CmpOp::Lt => "lt",
            CmpOp::Le => "le",
            CmpOp::Gt => "gt",
            CmpOp::Ge => "ge",
        }
    }
    fn abstract_eval(&self, inputs: &[AvalRef<'_>]) -> Result<Aval> {
        let a = binary_same_aval(self.name(), inputs)?;
        Ok(Aval {
            shape: a.shape,
            dtype: DType::Bool,
        })
    }
    fn eval(&self, inputs: &[&Value]) -> Result<Value> {
        let (a, b) = (inputs[0], inputs[1]);
        let op = self.0;
        Ok(
            dispatch_all!(a.dtype(), T => zip(a, b, move |x: T, y: T| match op {
                CmpOp::Eq => x == y,
                CmpOp::Ne => x != y,
                CmpOp::Lt => x.partial_cmp(&y) == Some(std::cmp::Ordering::Less),
                CmpOp::Le => x <= y,
                CmpOp::Gt => x.partial_cmp(&y) == Some(std::cmp::Ordering::Greater),
                CmpOp::Ge => x >= y,
            })),
        )
    }
    fn jvp(&self, _: &[Tensor], _: &[Option<Tensor>], _: &Tensor) -> Result<Option<Tensor>> {
        Ok(None)
    }
    fn vjp(&self, _: &[Tensor], _: &Tensor, _: &Tensor) -> Result<Vec<Option<Tensor>>> {
        Ok(vec![None, None])
    }
}
