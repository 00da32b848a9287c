//! Operator sugar: `+ - * /` and unary `-` on `Tensor` and `&Tensor`, and with `f64` scalars on
//! either side (converted to the tensor's dtype). Shape errors panic at the caller's line; use
//! the `try_` methods for a `Result`. Owned operands pass their buffers on, so `a * b + c` can
//! reuse the intermediate's memory.

use std::ops::{Add, Div, Mul, Neg, Sub};

use crate::core::Tensor;
use crate::ops::broadcast_binary;
use crate::prim;

fn check(r: crate::Result<Tensor>) -> Tensor {
    match r {
        Ok(t) => t,
        Err(e) => panic!("{e}"),
    }
}

macro_rules! binary_operator {
    ($trait:ident, $method:ident, $prim:expr) => {
        impl $trait<Tensor> for Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: Tensor) -> Tensor {
                check(broadcast_binary($prim, self, rhs))
            }
        }
        impl $trait<&Tensor> for Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: &Tensor) -> Tensor {
                check(broadcast_binary($prim, self, rhs.clone()))
            }
        }
        impl $trait<Tensor> for &Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: Tensor) -> Tensor {
                check(broadcast_binary($prim, self.clone(), rhs))
            }
        }
        impl $trait<&Tensor> for &Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: &Tensor) -> Tensor {
                check(broadcast_binary($prim, self.clone(), rhs.clone()))
            }
        }
        impl $trait<f64> for Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: f64) -> Tensor {
                let r = self.scalar_like(rhs);
                check(broadcast_binary($prim, self, r))
            }
        }
        impl $trait<f64> for &Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: f64) -> Tensor {
                check(broadcast_binary($prim, self.clone(), self.scalar_like(rhs)))
            }
        }
        impl $trait<Tensor> for f64 {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: Tensor) -> Tensor {
                let l = rhs.scalar_like(self);
                check(broadcast_binary($prim, l, rhs))
            }
        }
        impl $trait<&Tensor> for f64 {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: &Tensor) -> Tensor {
                check(broadcast_binary($prim, rhs.scalar_like(self), rhs.clone()))
            }
        }
    };
}

binary_operator!(Add, add, prim::add::Add);
binary_operator!(Sub, sub, prim::sub::Sub);
binary_operator!(Mul, mul, prim::mul::Mul);
binary_operator!(Div, div, prim::div::Div);

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
