//! Comparisons (`eq ne lt le gt ge`): elementwise, any dtype, bool result. Not differentiable
//! (the output is boolean), so both rules return no tangent.

use crate::backend::cpu::dispatch::dispatch_all;
use crate::backend::cpu::zip::zip;
use crate::core::{DType, Result, Value};
use crate::prim::elementwise::binary_same_aval;
use crate::prim::elementwise::NO_UNITS;
use crate::prim::lowering::{block2, vectorized, Elementwise, Lowering};
use crate::prim::{Aval, AvalRef, Primitive};
use crate::Real;

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

const OPS: [CmpOp; 6] = [
    CmpOp::Eq,
    CmpOp::Ne,
    CmpOp::Lt,
    CmpOp::Le,
    CmpOp::Gt,
    CmpOp::Ge,
];

/// Whether `x op y` holds: the one formula of both the eager kernel and the fused loops.
#[inline(always)]
fn holds<T: PartialOrd>(op: CmpOp, x: T, y: T) -> bool {
    match op {
        CmpOp::Eq => x == y,
        CmpOp::Ne => x != y,
        CmpOp::Lt => x.partial_cmp(&y) == Some(std::cmp::Ordering::Less),
        CmpOp::Le => x <= y,
        CmpOp::Gt => x.partial_cmp(&y) == Some(std::cmp::Ordering::Greater),
        CmpOp::Ge => x >= y,
    }
}

/// The comparison `OPS[K]` over a block, as 1 or 0.
fn block<T: Real, const K: usize>(o: &mut [T], i: &[&[T]]) {
    vectorized(o.len(), || block2(o, i, at::<T, K>))
}

/// The comparison `OPS[K]` at one pair, as 1 or 0.
fn at<T: Real, const K: usize>(x: T, y: T) -> T {
    if holds(OPS[K], x, y) {
        T::one()
    } else {
        T::zero()
    }
}

macro_rules! rule {
    ($k:literal, $name:literal, $expr:literal) => {
        Elementwise {
            name: $name,
            arity: 2,
            f32: block::<f32, $k>,
            f64: block::<f64, $k>,
            f32_one: |a| at::<f32, $k>(a[0], a[1]),
            f64_one: |a| at::<f64, $k>(a[0], a[1]),
            algebra: NO_UNITS,
            expr: $expr,
        }
    };
}

/// The rules, in the order of [`OPS`] (and of `CmpOp`'s declaration).
const RULES: [Elementwise; 6] = [
    rule!(0, "eq", "a == b"),
    rule!(1, "ne", "a != b"),
    rule!(2, "lt", "a < b"),
    rule!(3, "le", "a <= b"),
    rule!(4, "gt", "a > b"),
    rule!(5, "ge", "a >= b"),
];

impl Primitive for Compare {
    crate::prim::typed_params!();
    fn lowering(&self) -> Lowering<'_> {
        // `OPS` lists the ops in declaration order.
        Lowering::Elementwise(&RULES[self.0 as usize])
    }
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
            dispatch_all!(a.dtype(), T => zip(a, b, move |x: T, y: T| holds(op, x, y))),
        )
    }
    crate::prim::no_derivatives!(2);
}

/// The primitives this module registers.
pub(crate) fn instances() -> Vec<std::sync::Arc<dyn Primitive>> {
    OPS.iter()
        .map(|&op| std::sync::Arc::new(Compare(op)) as std::sync::Arc<dyn Primitive>)
        .collect()
}
