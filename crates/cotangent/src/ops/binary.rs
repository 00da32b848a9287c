//! Binary elementwise methods with NumPy broadcasting, comparisons and `select`/`where_`.
//! Broadcasting is made explicit here (a `broadcast_to` view per operand that needs it), so the
//! primitives only ever see equal shapes and their rules never un-broadcast.

use std::panic::Location;

use smallvec::smallvec;

use crate::core::bind::bind;
use crate::core::shape::broadcast_shapes;
use crate::core::{Error, Result, Tensor};
use crate::prim::compare::{CmpOp, Compare};
use crate::prim::{self, Primitive};

/// Broadcast `a` and `b` to a common shape and apply the binary primitive.
#[track_caller]
pub(crate) fn broadcast_binary<P: Primitive>(prim: P, a: Tensor, b: Tensor) -> Result<Tensor> {
    if a.shape() == b.shape() {
        return bind(prim, smallvec![a, b]);
    }
    let loc = Location::caller();
    let shape = broadcast_shapes(a.shape(), b.shape()).ok_or_else(|| {
        Error::shape(
            prim.name(),
            format!(
                "cannot broadcast shapes {} and {} together",
                a.shape(),
                b.shape()
            ),
        )
        .at(loc)
    })?;
    let a = if a.shape() == &shape {
        a
    } else {
        a.try_broadcast_to(&shape)?
    };
    let b = if b.shape() == &shape {
        b
    } else {
        b.try_broadcast_to(&shape)?
    };
    bind(prim, smallvec![a, b])
}

macro_rules! binary_methods {
    ($($name:ident, $try:ident, $prim:expr, $doc:literal;)*) => {
        impl Tensor {
            $(
                #[doc = $doc]
                #[doc = ""]
                #[doc = "Operands broadcast by NumPy rules and must share a dtype."]
                #[track_caller]
                pub fn $try(&self, other: &Tensor) -> Result<Tensor> {
                    broadcast_binary($prim, self.clone(), other.clone())
                }
                panicking!(
                    #[doc = $doc]
                    $name(other: &Tensor) => $try
                );
            )*
        }
    };
}

binary_methods! {
    add, try_add, prim::add::Add, "Elementwise `self + other`.";
    sub, try_sub, prim::sub::Sub, "Elementwise `self - other`.";
    mul, try_mul, prim::mul::Mul, "Elementwise `self * other`.";
    div, try_div, prim::div::Div, "Elementwise `self / other`.";
    pow, try_pow, prim::pow::Pow, "Elementwise `self ^ other`.";
    maximum, try_maximum, prim::max::Max, "Elementwise maximum (ties split the gradient).";
    minimum, try_minimum, prim::min::Min, "Elementwise minimum (ties split the gradient).";
    atan2, try_atan2, prim::atan2::Atan2, "Elementwise `atan2(self, other)`: the angle of the point (other, self).";
    eq, try_eq, Compare(CmpOp::Eq), "Elementwise `self == other` as a bool tensor.";
    ne, try_ne, Compare(CmpOp::Ne), "Elementwise `self != other` as a bool tensor.";
    lt, try_lt, Compare(CmpOp::Lt), "Elementwise `self < other` as a bool tensor.";
    le, try_le, Compare(CmpOp::Le), "Elementwise `self <= other` as a bool tensor.";
    gt, try_gt, Compare(CmpOp::Gt), "Elementwise `self > other` as a bool tensor.";
    ge, try_ge, Compare(CmpOp::Ge), "Elementwise `self >= other` as a bool tensor.";
}

/// **Elementwise binary ops and comparisons** (with broadcasting).
impl Tensor {
    /// `self ^ p` for a constant exponent.
    ///
    /// ```
    /// assert_eq!(cotangent::Tensor::scalar(3.0).powf(2.0).item::<f64>(), 9.0);
    /// ```
    #[track_caller]
    pub fn try_powf(&self, p: f64) -> Result<Tensor> {
        self.try_pow(&self.scalar_like(p))
    }
    panicking!(
        /// `self ^ p` for a constant exponent; see [`Tensor::try_powf`].
        powf(p: f64) => try_powf
    );

    /// `a` where `self` is true, `b` elsewhere; `self` must be bool and the three broadcast
    /// together.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let x = Tensor::from_vec(vec![-1.0, 2.0], &[2]);
    /// let zero = Tensor::scalar(0.0);
    /// let relu = x.gt(&zero).select(&x, &zero);
    /// assert_eq!(relu.to_vec::<f64>(), vec![0.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn try_select(&self, a: &Tensor, b: &Tensor) -> Result<Tensor> {
        let loc = Location::caller();
        let broadcast = |x: &[usize], y: &[usize]| {
            broadcast_shapes(x, y).ok_or_else(|| {
                Error::shape(
                    "select",
                    format!("cannot broadcast shapes {x:?} and {y:?} together"),
                )
                .at(loc)
            })
        };
        let shape = broadcast(&broadcast(self.shape(), a.shape())?, b.shape())?;
        let fit = |t: &Tensor| -> Result<Tensor> {
            if t.shape() == &shape {
                Ok(t.clone())
            } else {
                t.try_broadcast_to(&shape)
            }
        };
        bind(
            prim::select::Select,
            smallvec![fit(self)?, fit(a)?, fit(b)?],
        )
    }
    panicking!(
        /// `a` where `self` is true, `b` elsewhere; see [`Tensor::try_select`].
        select(a: &Tensor, b: &Tensor) => try_select
    );
}

/// `a` where `cond` is true, `b` elsewhere (NumPy's `where`).
///
/// ```
/// use cotangent::{where_, Tensor};
/// let c = Tensor::from_vec(vec![true, false], &[2]);
/// let y = where_(&c, &Tensor::scalar(1.0), &Tensor::scalar(2.0));
/// assert_eq!(y.to_vec::<f64>(), vec![1.0, 2.0]);
/// ```
#[track_caller]
pub fn where_(cond: &Tensor, a: &Tensor, b: &Tensor) -> Tensor {
    cond.select(a, b)
}
