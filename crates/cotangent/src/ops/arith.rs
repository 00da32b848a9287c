//! Operator sugar: `+ - * /` and unary `-` on `Tensor` and `&Tensor`, and with `f64` scalars on
//! either side (converted to the tensor's dtype). Shape errors panic at the caller's line; use
//! the `try_` methods for a `Result`. Owned operands pass their buffers on, so `a * b + c` can
//! reuse the intermediate's memory.

use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use crate::core::Tensor;
use crate::ops::binary::{binary, OnInts};
use crate::prim;
use crate::prim::int_arith::IntOp;

fn check(r: crate::Result<Tensor>) -> Tensor {
    match r {
        Ok(t) => t,
        Err(e) => panic!("{e}"),
    }
}

macro_rules! binary_operator {
    ($trait:ident, $method:ident, $prim:expr, $ints:expr) => {
        impl $trait<Tensor> for Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: Tensor) -> Tensor {
                check(binary($prim, $ints, self, rhs))
            }
        }
        impl $trait<&Tensor> for Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: &Tensor) -> Tensor {
                check(binary($prim, $ints, self, rhs.clone()))
            }
        }
        impl $trait<Tensor> for &Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: Tensor) -> Tensor {
                check(binary($prim, $ints, self.clone(), rhs))
            }
        }
        impl $trait<&Tensor> for &Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: &Tensor) -> Tensor {
                check(binary($prim, $ints, self.clone(), rhs.clone()))
            }
        }
        impl $trait<f64> for Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: f64) -> Tensor {
                let r = self.weak_scalar(rhs);
                check(binary($prim, $ints, self, r))
            }
        }
        impl $trait<f64> for &Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: f64) -> Tensor {
                check(binary($prim, $ints, self.clone(), self.weak_scalar(rhs)))
            }
        }
        impl $trait<Tensor> for f64 {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: Tensor) -> Tensor {
                let l = rhs.weak_scalar(self);
                check(binary($prim, $ints, l, rhs))
            }
        }
        impl $trait<&Tensor> for f64 {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: &Tensor) -> Tensor {
                check(binary($prim, $ints, rhs.weak_scalar(self), rhs.clone()))
            }
        }
    };
}

binary_operator!(Add, add, prim::add::Add, OnInts::Exact(IntOp::Add));
binary_operator!(Sub, sub, prim::sub::Sub, OnInts::Exact(IntOp::Sub));
binary_operator!(Mul, mul, prim::mul::Mul, OnInts::Exact(IntOp::Mul));
binary_operator!(Div, div, prim::div::Div, OnInts::AsFloat);

/// `a op= b` as `a = a op b`: a new node (the graph keeps the old value), not an in-place write.
macro_rules! assign_operator {
    ($trait:ident, $method:ident, $op:tt) => {
        impl $trait<Tensor> for Tensor {
            #[track_caller]
            fn $method(&mut self, rhs: Tensor) {
                let lhs = std::mem::replace(self, Tensor::scalar(0.0));
                *self = lhs $op rhs;
            }
        }
        impl $trait<&Tensor> for Tensor {
            #[track_caller]
            fn $method(&mut self, rhs: &Tensor) {
                let lhs = std::mem::replace(self, Tensor::scalar(0.0));
                *self = lhs $op rhs;
            }
        }
        impl $trait<f64> for Tensor {
            #[track_caller]
            fn $method(&mut self, rhs: f64) {
                let lhs = std::mem::replace(self, Tensor::scalar(0.0));
                *self = lhs $op rhs;
            }
        }
    };
}

assign_operator!(AddAssign, add_assign, +);
assign_operator!(SubAssign, sub_assign, -);
assign_operator!(MulAssign, mul_assign, *);
assign_operator!(DivAssign, div_assign, /);

impl Neg for Tensor {
    type Output = Tensor;
    #[track_caller]
    fn neg(self) -> Tensor {
        check(crate::core::bind::bind(
            prim::neg::Neg,
            smallvec::smallvec![self],
        ))
    }
}

impl Neg for &Tensor {
    type Output = Tensor;
    #[track_caller]
    fn neg(self) -> Tensor {
        check(self.try_neg())
    }
}
