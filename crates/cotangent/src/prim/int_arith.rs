//! Integer arithmetic on `i64` tensors of one shape, and their exact sum: `+ - *` (wrapping, as
//! two's complement),
//! maximum, minimum, floor division and the remainder with the divisor's sign (Python's `//`
//! and `%`). Exact for every `i64`, unlike a round trip through `f64`. A zero divisor is an
//! error naming the operation. Not differentiable (integers carry no tangent) and not fused by
//! the compiler (its lowering is opaque).
//!
//! The float operators reach these through `ops/binary.rs`, which sends a binary op whose two
//! operands are `i64` here.

use crate::backend::cpu::zip::zip;
use crate::core::shape::Dims;
use crate::core::{DType, Error, Result, Tensor, Value};
use crate::prim::batching::{bind1, first_batched, shift, Batched};
use crate::prim::elementwise::binary_same_aval;
use crate::prim::sum::reduced_shapes;
use crate::prim::{Aval, AvalRef, Primitive};

/// Which integer operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IntOp {
    /// `a + b`, wrapping.
    Add,
    /// `a - b`, wrapping.
    Sub,
    /// `a * b`, wrapping.
    Mul,
    /// `max(a, b)`.
    Max,
    /// `min(a, b)`.
    Min,
    /// `⌊a / b⌋` (rounds toward −∞, as Python's `//`).
    FloorDiv,
    /// `a - b·⌊a / b⌋` (the sign of `b`, as Python's `%`).
    Rem,
}

const OPS: [IntOp; 7] = [
    IntOp::Add,
    IntOp::Sub,
    IntOp::Mul,
    IntOp::Max,
    IntOp::Min,
    IntOp::FloorDiv,
    IntOp::Rem,
];

/// An elementwise integer operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IntArith(pub IntOp);

fn floor_div(a: i64, b: i64) -> i64 {
    let q = a.wrapping_div(b);
    if a.wrapping_rem(b) != 0 && ((a < 0) != (b < 0)) {
        q - 1
    } else {
        q
    }
}

fn rem(a: i64, b: i64) -> i64 {
    let r = a.wrapping_rem(b);
    if r != 0 && ((r < 0) != (b < 0)) {
        r + b
    } else {
        r
    }
}

impl Primitive for IntArith {
    crate::prim::typed_params!();
    crate::prim::batching::elementwise_batch!();
    fn name(&self) -> &'static str {
        match self.0 {
            IntOp::Add => "int_add",
            IntOp::Sub => "int_sub",
            IntOp::Mul => "int_mul",
            IntOp::Max => "int_max",
            IntOp::Min => "int_min",
            IntOp::FloorDiv => "floor_divide",
            IntOp::Rem => "remainder",
        }
    }
    fn abstract_eval(&self, inputs: &[AvalRef<'_>]) -> Result<Aval> {
        let a = binary_same_aval(self.name(), inputs)?;
        if a.dtype != DType::I64 {
            return Err(Error::dtype(
                self.name(),
                format!("expected i64 tensors, got {}", a.dtype),
            ));
        }
        Ok(a)
    }
    fn eval(&self, inputs: &[&Value]) -> Result<Value> {
        let (a, b) = (inputs[0], inputs[1]);
        if matches!(self.0, IntOp::FloorDiv | IntOp::Rem) && b.elements::<i64>().contains(&0) {
            return Err(Error::usage(self.name(), "integer division by zero"));
        }
        Ok(match self.0 {
            IntOp::Add => zip(a, b, |x: i64, y: i64| x.wrapping_add(y)),
            IntOp::Sub => zip(a, b, |x: i64, y: i64| x.wrapping_sub(y)),
            IntOp::Mul => zip(a, b, |x: i64, y: i64| x.wrapping_mul(y)),
            IntOp::Max => zip(a, b, |x: i64, y: i64| x.max(y)),
            IntOp::Min => zip(a, b, |x: i64, y: i64| x.min(y)),
            IntOp::FloorDiv => zip(a, b, floor_div),
            IntOp::Rem => zip(a, b, rem),
        })
    }
    crate::prim::no_derivatives!(2);
}

/// Exact sum of an `i64` tensor over `axes` (sorted, distinct, in range), wrapping. `sum` of a
/// bool tensor counts through this, after a cast to `i64`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IntSum {
    /// The reduced axes.
    pub axes: Dims,
}

impl Primitive for IntSum {
    crate::prim::typed_params!();
    fn name(&self) -> &'static str {
        "int_sum"
    }
    fn params(&self) -> String {
        format!("axes={:?}", &self.axes[..])
    }
    fn abstract_eval(&self, inputs: &[AvalRef<'_>]) -> Result<Aval> {
        let x = inputs[0];
        if let Some(&a) = self.axes.iter().find(|&&a| a >= x.shape.rank()) {
            return Err(Error::axis("int_sum", a as isize, x.shape.rank()));
        }
        if x.dtype != DType::I64 {
            return Err(Error::dtype(
                "int_sum",
                format!("expected an i64 tensor, got {}", x.dtype),
            ));
        }
        Ok(Aval {
            shape: reduced_shapes(x.shape, &self.axes).0,
            dtype: DType::I64,
        })
    }
    fn eval(&self, inputs: &[&Value]) -> Result<Value> {
        let x = inputs[0];
        let dims = x.shape().dims();
        let out_shape = reduced_shapes(x.shape(), &self.axes).0;
        // The output stride of each input axis (0 for a reduced one).
        let mut stride = vec![0usize; dims.len()];
        let mut s = 1;
        for d in (0..dims.len()).rev() {
            if !self.axes.contains(&d) {
                stride[d] = s;
                s *= dims[d];
            }
        }
        let mut out = vec![0i64; out_shape.numel()];
        let mut index = vec![0usize; dims.len()];
        for &v in x.elements::<i64>().iter() {
            let o: usize = index.iter().zip(&stride).map(|(i, s)| i * s).sum();
            out[o] = out[o].wrapping_add(v);
            for d in (0..dims.len()).rev() {
                index[d] += 1;
                if index[d] < dims[d] {
                    break;
                }
                index[d] = 0;
            }
        }
        Ok(Value::from_vec(out, out_shape))
    }
    crate::prim::no_derivatives!(1);
    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], _: usize) -> Batched {
        let b = first_batched(dims);
        let axes: Dims = self.axes.iter().map(|&a| shift(a, b)).collect();
        let out = b - self.axes.iter().filter(|&&a| a < b).count();
        Ok(Some((bind1(IntSum { axes }, &args[0])?, Some(out))))
    }
}

/// The primitives this module registers.
pub(crate) fn instances() -> Vec<std::sync::Arc<dyn Primitive>> {
    let mut all: Vec<std::sync::Arc<dyn Primitive>> = OPS
        .iter()
        .map(|&op| std::sync::Arc::new(IntArith(op)) as std::sync::Arc<dyn Primitive>)
        .collect();
    all.push(std::sync::Arc::new(IntSum {
        axes: Dims::from_slice(&[0]),
    }));
    all
}

#[cfg(test)]
mod tests {
    use super::{floor_div, rem};

    #[test]
    fn floor_division_and_remainder_follow_python() {
        for (a, b, q, r) in [(7, 2, 3, 1), (-7, 2, -4, 1), (7, -2, -4, -1), (-7, -2, 3, -1)] {
            assert_eq!((floor_div(a, b), rem(a, b)), (q, r), "{a} // {b}");
        }
        assert_eq!(floor_div(i64::MIN, -1), i64::MIN); // wraps, as two's complement
    }
}
