//! Which equations a fused loop can run, and the scalar operations it runs them with. A fused
//! loop works in one float type `T`; booleans (comparison results, `select` conditions) are
//! carried as `T` 0 or 1 inside it.

use crate::core::DType;
use crate::ir::{Eqn, Graph};
use crate::prim::compare::CmpOp;
use crate::Real;

/// A one-operand operation of a fused loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum UnOp {
    Abs,
    Acos,
    Acosh,
    Asin,
    Asinh,
    Atan,
    Atanh,
    Cos,
    Cosh,
    Erf,
    Erfc,
    Exp,
    Expm1,
    Floor,
    Log,
    Log1p,
    Round,
    Sign,
    Sin,
    Sinh,
    Sqrt,
    Tan,
    Tanh,
    Neg,
    /// A copy (identity, stop_gradient, a cast that keeps the float type or reads a bool).
    Mov,
}

/// A two-operand operation of a fused loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Max,
    Min,
    Atan2,
}

/// What a fusible equation computes.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Op {
    Un(UnOp),
    Bin(BinOp),
    Cmp(CmpOp),
    Select,
}

fn unary(name: &str) -> Option<UnOp> {
    use UnOp::*;
    Some(match name {
        "abs" => Abs,
        "acos" => Acos,
        "acosh" => Acosh,
        "asin" => Asin,
        "asinh" => Asinh,
        "atan" => Atan,
        "atanh" => Atanh,
        "cos" => Cos,
        "cosh" => Cosh,
        "erf" => Erf,
        "erfc" => Erfc,
        "exp" => Exp,
        "expm1" => Expm1,
        "floor" => Floor,
        "log" => Log,
        "log1p" => Log1p,
        "round" => Round,
        "sign" => Sign,
        "sin" => Sin,
        "sinh" => Sinh,
        "sqrt" => Sqrt,
        "tan" => Tan,
        "tanh" => Tanh,
        "neg" => Neg,
        "identity" | "stop_gradient" => Mov,
        _ => return None,
    })
}

fn binary(name: &str) -> Option<BinOp> {
    use BinOp::*;
    Some(match name {
        "add" => Add,
        "sub" => Sub,
        "mul" => Mul,
        "div" => Div,
        "pow" => Pow,
        "max" => Max,
        "min" => Min,
        "atan2" => Atan2,
        _ => return None,
    })
}

fn compare(name: &str) -> Option<CmpOp> {
    Some(match name {
        "eq" => CmpOp::Eq,
        "ne" => CmpOp::Ne,
        "lt" => CmpOp::Lt,
        "le" => CmpOp::Le,
        "gt" => CmpOp::Gt,
        "ge" => CmpOp::Ge,
        _ => return None,
    })
}

/// The fused operation for `eqn` and the float type its loop works in, or `None` if it cannot
/// be fused.
pub(crate) fn classify(g: &Graph, eqn: &Eqn) -> Option<(Op, DType)> {
    if !super::passes::is_builtin(eqn) {
        return None;
    }
    let name = eqn.prim.name();
    let out = eqn.aval.dtype;
    let in0 = g.aval(eqn.inputs[0]).dtype;
    if name == "cast" {
        return (out.is_float() && (in0 == out || in0 == DType::Bool))
            .then_some((Op::Un(UnOp::Mov), out));
    }
    if let Some(op) = unary(name) {
        return (out.is_float() && in0 == out).then_some((Op::Un(op), out));
    }
    if let Some(op) = binary(name) {
        return out.is_float().then_some((Op::Bin(op), out));
    }
    if let Some(op) = compare(name) {
        return in0.is_float().then_some((Op::Cmp(op), in0));
    }
    if name == "select" {
        return out.is_float().then_some((Op::Select, out));
    }
    None
}

/// A one-operand operation on one element.
#[inline(always)]
pub(crate) fn un1<T: Real>(op: UnOp, x: T) -> T {
    use UnOp::*;
    match op {
        Abs => x.abs(),
        Acos => x.acos(),
        Acosh => x.acosh(),
        Asin => x.asin(),
        Asinh => x.asinh(),
        Atan => x.atan(),
        Atanh => x.atanh(),
        Cos => x.cos(),
        Cosh => x.cosh(),
        Erf => Real::erf(x),
        Erfc => Real::erfc(x),
        Exp => x.exp(),
        Expm1 => x.exp_m1(),
        Floor => x.floor(),
        Log => x.ln(),
        Log1p => x.ln_1p(),
        Round => Real::round_even(x),
        Sign => Real::sign(x),
        Sin => x.sin(),
        Sinh => x.sinh(),
        Sqrt => x.sqrt(),
        Tan => x.tan(),
        Tanh => x.tanh(),
        Neg => -x,
        Mov => x,
    }
}

/// A two-operand operation on one element (the same formulas as the primitives' kernels).
#[inline(always)]
pub(crate) fn bin1<T: Real>(op: BinOp, x: T, y: T) -> T {
    use BinOp::*;
    match op {
        Add => x + y,
        Sub => x - y,
        Mul => x * y,
        Div => x / y,
        Pow => x.powf(y),
        Max => {
            if x.is_nan() || y.is_nan() {
                x + y
            } else if x > y {
                x
            } else {
                y
            }
        }
        Min => {
            if x.is_nan() || y.is_nan() {
                x + y
            } else if x < y {
                x
            } else {
                y
            }
        }
        Atan2 => x.atan2(y),
    }
}

/// A comparison on one element, as 1 or 0.
#[inline(always)]
pub(crate) fn cmp1<T: Real>(op: CmpOp, x: T, y: T) -> T {
    let r = match op {
        CmpOp::Eq => x == y,
        CmpOp::Ne => x != y,
        CmpOp::Lt => x < y,
        CmpOp::Le => x <= y,
        CmpOp::Gt => x > y,
        CmpOp::Ge => x >= y,
    };
    if r {
        T::one()
    } else {
        T::zero()
    }
}

/// The float types fused loops run in: f32 has vectorizable kernels for some operations.
pub(crate) trait LoopFloat: Real {
    /// Apply `op` with a faster kernel if there is one (`false`: none).
    fn fast_un(op: UnOp, d: &mut [Self], a: &[Self]) -> bool {
        let _ = (op, d, a);
        false
    }
}

impl LoopFloat for f64 {}

impl LoopFloat for f32 {
    fn fast_un(op: UnOp, d: &mut [f32], a: &[f32]) -> bool {
        super::fastmath::apply(op, d, a)
    }
}

/// Apply a one-operand operation to a block (one loop per operation, so each vectorizes).
#[inline(always)]
pub(crate) fn apply_un<T: LoopFloat>(op: UnOp, d: &mut [T], a: &[T]) {
    if T::fast_un(op, d, a) {
        return;
    }
    macro_rules! arms {
        ($($v:ident)*) => {
            match op {
                $(UnOp::$v => {
                    for (o, &x) in d.iter_mut().zip(a) {
                        *o = un1(UnOp::$v, x);
                    }
                })*
                UnOp::Mov => d.copy_from_slice(a),
            }
        };
    }
    arms!(Abs Acos Acosh Asin Asinh Atan Atanh Cos Cosh Erf Erfc Exp Expm1 Floor Log Log1p Round Sign Sin Sinh Sqrt Tan Tanh Neg)
}

/// Apply a two-operand operation to a block.
#[inline(always)]
pub(crate) fn apply_bin<T: Real>(op: BinOp, d: &mut [T], a: &[T], b: &[T]) {
    macro_rules! arms {
        ($($v:ident)*) => {
            match op {
                $(BinOp::$v => {
                    for ((o, &x), &y) in d.iter_mut().zip(a).zip(b) {
                        *o = bin1(BinOp::$v, x, y);
                    }
                })*
            }
        };
    }
    arms!(Add Sub Mul Div Pow Max Min Atan2)
}

/// Apply a comparison to a block, writing 1 or 0.
#[inline(always)]
pub(crate) fn apply_cmp<T: Real>(op: CmpOp, d: &mut [T], a: &[T], b: &[T]) {
    macro_rules! arms {
        ($($v:ident)*) => {
            match op {
                $(CmpOp::$v => {
                    for ((o, &x), &y) in d.iter_mut().zip(a).zip(b) {
                        *o = cmp1(CmpOp::$v, x, y);
                    }
                })*
            }
        };
    }
    arms!(Eq Ne Lt Le Gt Ge)
}

/// `c ? a : b` over a block (`c` is 0 or 1).
#[inline(always)]
pub(crate) fn apply_select<T: Real>(d: &mut [T], c: &[T], a: &[T], b: &[T]) {
    for (((o, &c), &x), &y) in d.iter_mut().zip(c).zip(a).zip(b) {
        *o = if c != T::zero() { x } else { y };
    }
}
