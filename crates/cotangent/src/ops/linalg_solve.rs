//! General linear systems: `solve` (the `solve` primitive, LU with partial pivoting, as
//! `jnp.linalg.solve`) and `inv` (a solve against the identity, so its derivative is the
//! solve's). Both batch over leading dims.

use std::panic::Location;

use crate::core::{Result, Tensor};
use crate::ops::linalg_shapes::{solve_operands, square_matrix, unvector};
use crate::prim::linalg_common::{eye_of, lu_solve};

/// **Solving linear systems**: solve, inverse, Cholesky solve.
impl Tensor {
    /// Solves `A X = B` for a general square `A = self` (`[..., n, n]`) by LU with partial
    /// pivoting. `B` is a vector `[n]` or a batch of matrices `[..., n, k]` (batch dims
    /// broadcast), as `jnp.linalg.solve`. A singular `A` is not an error: the result holds the
    /// infinities or NaNs of the division by its zero pivot, as JAX's.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let a = Tensor::from_vec(vec![0.0, 2.0, 1.0, 1.0], &[2, 2]);
    /// let b = Tensor::from_vec(vec![4.0, 3.0], &[2]);
    /// assert_eq!(a.solve(&b).to_vec::<f64>(), vec![1.0, 2.0]);
    /// let msg = a.try_solve(&Tensor::zeros(&[3, 1], cotangent::DType::F64)).unwrap_err().to_string();
    /// assert!(msg.contains("solve") && msg.contains("[2, 2]") && msg.contains("[3, 1]"));
    /// ```
    #[track_caller]
    pub fn try_solve(&self, b: &Tensor) -> Result<Tensor> {
        let loc = Location::caller();
        let (a, b, vector) = solve_operands("solve", self, b, loc)?;
        unvector(lu_solve(&a, &b)?, vector)
    }
    panicking!(
        /// Solve a linear system; see [`Tensor::try_solve`].
        solve(b: &Tensor) => try_solve
    );

    /// The inverse of a square matrix, or of each matrix of `[..., n, n]`: `A⁻¹ = solve(A, I)`.
    /// A singular matrix gives infinities or NaNs (as `jnp.linalg.inv`).
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let a = Tensor::from_vec(vec![2.0, 0.0, 0.0, 4.0], &[2, 2]);
    /// assert_eq!(a.inv().to_vec::<f64>(), vec![0.5, 0.0, 0.0, 0.25]);
    /// ```
    #[track_caller]
    pub fn try_inv(&self) -> Result<Tensor> {
        square_matrix("inv", self, Location::caller())?;
        lu_solve(self, &eye_of(self)?.try_broadcast_to(self.dims())?)
    }
    panicking!(
        /// Matrix inverse; see [`Tensor::try_inv`].
        inv() => try_inv
    );
}
