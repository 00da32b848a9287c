//! Binary elementwise methods with NumPy broadcasting, comparisons and `select`/`where_`.
//! Broadcasting is made explicit here (a `broadcast_to` view per operand that needs it), so the
//! primitives only ever see equal shapes and their rules never un-broadcast.
//!
//! Dtypes meet here too. A rank-0 operand is *weakly typed*, as a Python scalar is in JAX and a
//! 0-dim tensor in PyTorch: combined with a tensor of rank ≥ 1 of the same or a higher kind
//! (bool < integer < float) it takes that tensor's dtype, so `x_f32 * Tensor::scalar(2.0)` stays
//! f32; a float scalar with an integer or bool tensor makes the result float. Two `i64`
//! operands go to the exact integer primitive (`+ - *`, maximum, minimum, floor division,
//! remainder) or, for true division and `atan2`, through `f64`.

use std::panic::Location;

use smallvec::smallvec;

use crate::core::bind::bind;
use crate::core::shape::broadcast_shapes;
use crate::core::{DType, Error, Result, Tensor};
use crate::prim::compare::{CmpOp, Compare};
use crate::prim::int_arith::{IntArith, IntOp};
use crate::prim::{self, Primitive};

/// What a binary op does with two `i64` operands.
#[derive(Clone, Copy)]
pub(crate) enum OnInts {
    /// The exact integer primitive.
    Exact(IntOp),
    /// Both cast to `f64` first (true division).
    AsFloat,
    /// Whatever the primitive's own shape rule says (comparisons take any dtype).
    Prim,
}

/// bool < integer < float.
fn kind(d: DType) -> u8 {
    match d {
        DType::Bool => 0,
        DType::I64 => 1,
        DType::F32 | DType::F64 | DType::F16 | DType::BF16 => 2,
    }
}

/// Weak typing of rank-0 operands (see the module docs): the operands with one dtype where the
/// rule gives one, unchanged otherwise (the primitive then reports the mismatch).
pub(crate) fn weak_promote(a: Tensor, b: Tensor) -> Result<(Tensor, Tensor)> {
    if a.dtype() == b.dtype() {
        return Ok((a, b));
    }
    let (a_weak, b_weak) = (a.rank() == 0 && b.rank() > 0, b.rank() == 0 && a.rank() > 0);
    if !a_weak && !b_weak {
        return Ok((a, b));
    }
    let (scalar, tensor) = if a_weak { (&a, &b) } else { (&b, &a) };
    let target = if kind(scalar.dtype()) <= kind(tensor.dtype()) {
        tensor.dtype()
    } else {
        scalar.dtype()
    };
    Ok((a.try_cast(target)?, b.try_cast(target)?))
}

/// Weak promotion, the integer rule, then [`broadcast_binary`].
#[track_caller]
pub(crate) fn binary<P: Primitive>(prim: P, ints: OnInts, a: Tensor, b: Tensor) -> Result<Tensor> {
    let (a, b) = weak_promote(a, b)?;
    if a.dtype() == DType::I64 && b.dtype() == DType::I64 {
        match ints {
            OnInts::Exact(op) => return broadcast_binary(IntArith(op), a, b),
            OnInts::AsFloat => {
                return broadcast_binary(prim, a.try_cast(DType::F64)?, b.try_cast(DType::F64)?)
            }
            OnInts::Prim => {}
        }
    }
    broadcast_binary(prim, a, b)
}

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
    ($($name:ident, $try:ident, $prim:expr, $ints:expr, $doc:literal;)*) => {
        impl Tensor {
            $(
                #[doc = $doc]
                #[doc = ""]
                #[doc = "Operands broadcast by NumPy rules and share a dtype, up to weakly typed"]
                #[doc = "rank-0 operands (see [`crate::ops`]'s binary rules)."]
                #[track_caller]
                pub fn $try(&self, other: &Tensor) -> Result<Tensor> {
                    binary($prim, $ints, self.clone(), other.clone())
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
    add, try_add, prim::add::Add, OnInts::Exact(IntOp::Add), "Elementwise `self + other`.";
    sub, try_sub, prim::sub::Sub, OnInts::Exact(IntOp::Sub), "Elementwise `self - other`.";
    mul, try_mul, prim::mul::Mul, OnInts::Exact(IntOp::Mul), "Elementwise `self * other`.";
    div, try_div, prim::div::Div, OnInts::AsFloat, "Elementwise `self / other` (true division: integers give f64).";
    pow, try_pow, prim::pow::Pow, OnInts::Prim, "Elementwise `self ^ other`.";
    maximum, try_maximum, prim::max::Max, OnInts::Exact(IntOp::Max), "Elementwise maximum (ties split the gradient).";
    minimum, try_minimum, prim::min::Min, OnInts::Exact(IntOp::Min), "Elementwise minimum (ties split the gradient).";
    atan2, try_atan2, prim::atan2::Atan2, OnInts::AsFloat, "Elementwise `atan2(self, other)`: the angle of the point (other, self).";
    eq, try_eq, Compare(CmpOp::Eq), OnInts::Prim, "Elementwise `self == other` as a bool tensor.";
    ne, try_ne, Compare(CmpOp::Ne), OnInts::Prim, "Elementwise `self != other` as a bool tensor.";
    lt, try_lt, Compare(CmpOp::Lt), OnInts::Prim, "Elementwise `self < other` as a bool tensor.";
    le, try_le, Compare(CmpOp::Le), OnInts::Prim, "Elementwise `self <= other` as a bool tensor.";
    gt, try_gt, Compare(CmpOp::Gt), OnInts::Prim, "Elementwise `self > other` as a bool tensor.";
    ge, try_ge, Compare(CmpOp::Ge), OnInts::Prim, "Elementwise `self >= other` as a bool tensor.";
}

/// **Elementwise binary ops and comparisons** (with broadcasting).
impl Tensor {
    /// `⌊self / other⌋`, rounding toward −∞ (Python's `//`): exact for `i64` operands (a zero
    /// divisor is an error), `(self / other).floor()` for floats.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let a = Tensor::from_vec(vec![7i64, -7], &[2]);
    /// assert_eq!(a.floor_divide(&Tensor::from_vec(vec![2i64], &[])).to_vec::<i64>(), vec![3, -4]);
    /// ```
    #[track_caller]
    pub fn try_floor_divide(&self, other: &Tensor) -> Result<Tensor> {
        let (a, b) = weak_promote(self.clone(), other.clone())?;
        if a.dtype() == DType::I64 && b.dtype() == DType::I64 {
            return broadcast_binary(IntArith(IntOp::FloorDiv), a, b);
        }
        a.try_div(&b)?.try_floor()
    }
    panicking!(
        /// `⌊self / other⌋`; see [`Tensor::try_floor_divide`].
        floor_divide(other: &Tensor) => try_floor_divide
    );

    /// `self - other · ⌊self / other⌋`, with the sign of `other` (Python's `%`): exact for
    /// `i64` operands, composed from `floor_divide` for floats.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let a = Tensor::from_vec(vec![7i64, -7], &[2]);
    /// assert_eq!(a.remainder(&Tensor::from_vec(vec![3i64], &[])).to_vec::<i64>(), vec![1, 2]);
    /// ```
    #[track_caller]
    pub fn try_remainder(&self, other: &Tensor) -> Result<Tensor> {
        let (a, b) = weak_promote(self.clone(), other.clone())?;
        if a.dtype() == DType::I64 && b.dtype() == DType::I64 {
            return broadcast_binary(IntArith(IntOp::Rem), a, b);
        }
        a.try_sub(&b.try_mul(&a.try_floor_divide(&b)?)?)
    }
    panicking!(
        /// The remainder with the divisor's sign; see [`Tensor::try_remainder`].
        remainder(other: &Tensor) => try_remainder
    );

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
        // A rank-0 branch is weakly typed, as in the arithmetic ops.
        let (a, b) = weak_promote(a.clone(), b.clone())?;
        let (a, b) = (&a, &b);
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
