//! Matrix multiplication sugar over the batched `matmul` primitive: vectors are promoted and
//! demoted as in NumPy, and batch dims broadcast.

use std::panic::Location;

use smallvec::smallvec;

use crate::core::bind::bind;
use crate::core::shape::broadcast_shapes;
use crate::core::{Error, Result, Tensor};
use crate::prim::matmul::Matmul;

/// **Linear algebra (methods)**; see also [`crate::linalg`].
impl Tensor {
    /// `[..., m, k] @ [..., k, n]` with equal batch dims (no promotion).
    #[track_caller]
    pub(crate) fn matmul_raw(&self, other: &Tensor) -> Result<Tensor> {
        bind(Matmul, smallvec![self.clone(), other.clone()])
    }

    /// Matrix product with NumPy semantics: 1-D operands are treated as a row (left) or column
    /// (right) vector and that dim is removed again; batch dims broadcast.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let a = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]);
    /// let v = Tensor::from_vec(vec![1.0, 1.0], &[2]);
    /// assert_eq!(a.matmul(&v).to_vec::<f64>(), vec![3.0, 7.0]);
    /// let err = a.try_matmul(&Tensor::zeros(&[3, 1], cotangent::DType::F64)).unwrap_err();
    /// assert!(err.to_string().contains("[2, 2]") && err.to_string().contains("[3, 1]"));
    /// ```
    #[track_caller]
    pub fn try_matmul(&self, other: &Tensor) -> Result<Tensor> {
        let loc = Location::caller();
        let mismatch = || {
            Error::shape(
                "matmul",
                format!(
                    "shapes {} and {} are not compatible for matrix multiplication",
                    self.shape(),
                    other.shape()
                ),
            )
            .at(loc)
        };
        if self.rank() == 0 || other.rank() == 0 {
            return Err(mismatch());
        }
        let a = if self.rank() == 1 {
            self.try_unsqueeze(0)?
        } else {
            self.clone()
        };
        let b = if other.rank() == 1 {
            other.try_unsqueeze(-1)?
        } else {
            other.clone()
        };
        let (ra, rb) = (a.rank(), b.rank());
        if a.dims()[ra - 1] != b.dims()[rb - 2] {
            return Err(mismatch());
        }
        if ra > 2 && rb == 2 && a.is_contiguous() {
            // [..., m, k] @ [k, n]: one [(...·m), k] @ [k, n] product instead of a batch of
            // small ones against a broadcast weight.
            let (k, n) = (b.dims()[0], b.dims()[1]);
            let rows: usize = a.dims()[..ra - 1].iter().product();
            let flat = a
                .try_reshape(&[rows, k])?
                .matmul_raw(&b)
                .map_err(|e| e.at(loc))?;
            let mut dims = a.dims()[..ra - 1].to_vec();
            dims.push(n);
            let out = flat.try_reshape(&dims)?;
            return if other.rank() == 1 {
                out.try_squeeze(-1)
            } else {
                Ok(out)
            };
        }
        let batch =
            broadcast_shapes(&a.dims()[..ra - 2], &b.dims()[..rb - 2]).ok_or_else(mismatch)?;
        let full = |t: &Tensor, r: usize| -> Result<Tensor> {
            let mut dims = batch.dims().to_vec();
            dims.extend_from_slice(&t.dims()[r - 2..]);
            t.try_broadcast_to(&dims)
        };
        let out = full(&a, ra)?
            .matmul_raw(&full(&b, rb)?)
            .map_err(|e| e.at(loc))?;
        let out = if self.rank() == 1 {
            out.try_squeeze(-2)?
        } else {
            out
        };
        if other.rank() == 1 {
            out.try_squeeze(-1)
        } else {
            Ok(out)
        }
    }
    panicking!(
        /// Matrix product; see [`Tensor::try_matmul`].
        matmul(other: &Tensor) => try_matmul
    );
}
