//! Products over axes: `prod` and `prod_axes`, composed from multiplications only, in the
//! pairwise tree JAX differentiates `reduce_prod` with (halve the axis, multiply the halves,
//! repeat). No division by the input, so the derivative is exact where elements are 0
//! (`∂/∂x₁ prod([2, 0, 3]) = 6`), and second order works as for any composite.

use std::panic::Location;

use crate::core::shape::normalize_axes;
use crate::core::{Result, Tensor};

/// **Products**: matmul, dot, outer, kron.
impl Tensor {
    /// Product over `axes` (negative axes count from the end); `keepdim` keeps them as size 1.
    /// The product over an empty axis is 1.
    ///
    /// ```
    /// use cotangent::{grad, Tensor};
    /// let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]);
    /// assert_eq!(x.prod_axes(&[1], false).to_vec::<f64>(), vec![2.0, 12.0]);
    /// assert_eq!(x.prod_axes(&[0], true).dims(), &[1, 2]);
    /// // Exact with a zero: the derivative of 2·0·3 by its zero is 6.
    /// let g = grad(|x: &Tensor| x.prod())(&Tensor::from_vec(vec![2.0, 0.0, 3.0], &[3]));
    /// assert_eq!(g.to_vec::<f64>(), vec![0.0, 6.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn try_prod_axes(&self, axes: &[isize], keepdim: bool) -> Result<Tensor> {
        let loc = Location::caller();
        let dims = normalize_axes("prod", axes, self.rank()).map_err(|e| e.at(loc))?;
        crate::ops::need_float("prod", self)?;
        let rest: Vec<usize> = (0..self.rank()).filter(|d| !dims.contains(d)).collect();
        let perm: Vec<usize> = dims.iter().chain(&rest).copied().collect();
        let n: usize = dims.iter().map(|&d| self.dims()[d]).product();
        let rest_dims: Vec<usize> = rest.iter().map(|&d| self.dims()[d]).collect();
        let mut flat_dims = vec![n];
        flat_dims.extend_from_slice(&rest_dims);
        let mut x = self.permute_dims(&perm)?.try_reshape(&flat_dims)?;
        let out = if n == 0 {
            // The sum over nothing is 0: 0·0 + 1 is a 1 that stays a function of the input.
            x.sum_dims(&[0])?.try_mul(&self.scalar_like(0.0))? + 1.0
        } else {
            while x.dims()[0] > 1 {
                let m = x.dims()[0];
                let (n1, n2) = (m.div_ceil(2), m / 2);
                let a = x.try_narrow(0, 0, n1)?;
                let mut b = x.try_narrow(0, n1, n2)?;
                if n2 != n1 {
                    let mut widths = vec![(0, 0); b.rank()];
                    widths[0] = (0, 1);
                    b = b.try_pad(&widths, 1.0)?;
                }
                x = a.try_mul(&b)?;
            }
            x.try_reshape(&rest_dims)?
        };
        if keepdim {
            let keep: Vec<usize> = (0..self.rank())
                .map(|d| if dims.contains(&d) { 1 } else { self.dims()[d] })
                .collect();
            out.try_reshape(&keep)
        } else {
            Ok(out)
        }
    }
    panicking!(
        /// Product over axes; see [`Tensor::try_prod_axes`].
        prod_axes(axes: &[isize], keepdim: bool) => try_prod_axes
    );

    /// Product of all elements (a scalar); see [`Tensor::try_prod_axes`].
    ///
    /// ```
    /// let x = cotangent::Tensor::from_vec(vec![1.5, 2.0, 4.0], &[3]);
    /// assert_eq!(x.prod().item::<f64>(), 12.0);
    /// ```
    #[track_caller]
    pub fn try_prod(&self) -> Result<Tensor> {
        let all: Vec<isize> = (0..self.rank() as isize).collect();
        self.try_prod_axes(&all, false)
    }
    panicking!(
        /// Product of all elements; see [`Tensor::try_prod`].
        prod() => try_prod
    );
}
