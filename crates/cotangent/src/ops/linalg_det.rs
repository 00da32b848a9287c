//! Determinants: `det` (the `det` primitive, whose derivative is the `cofactor` primitive, so
//! that it is finite at singular matrices as JAX's) and `slogdet` (the `slogdet` primitive:
//! sign and `log|det|`, without overflow). Both batch over leading dims.

use std::panic::Location;

use smallvec::smallvec;

use crate::core::bind::bind;
use crate::core::{Result, Tensor};
use crate::ops::linalg_shapes::square_matrix;
use crate::prim::det::Det;
use crate::prim::slogdet::Slogdet;

/// **Determinants**: det, slogdet.
impl Tensor {
    /// The determinant of a square matrix, or of each matrix of `[..., n, n]` (shape `[...]`),
    /// from an LU factorization. Its gradient is the cofactor matrix `det(A) A⁻ᵀ`, computed as
    /// JAX does so that it stays finite where `A` is singular (rank `n − 1`: the nonzero
    /// cofactors; lower rank: zeros).
    ///
    /// ```
    /// use cotangent::{grad, Tensor};
    /// let a = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]);
    /// assert!((a.det().item::<f64>() + 2.0).abs() < 1e-12);
    /// // Singular: det 0, gradient the cofactors [[d, -c], [-b, a]].
    /// let s = Tensor::from_vec(vec![1.0, 2.0, 2.0, 4.0], &[2, 2]);
    /// let g = grad(|x: &Tensor| x.det())(&s).to_vec::<f64>();
    /// assert!(g.iter().zip([4.0, -2.0, -2.0, 1.0]).all(|(x, y)| (x - y).abs() < 1e-12));
    /// ```
    #[track_caller]
    pub fn try_det(&self) -> Result<Tensor> {
        square_matrix("det", self, Location::caller())?;
        bind(Det, smallvec![self.clone()])
    }
    panicking!(
        /// Determinant; see [`Tensor::try_det`].
        det() => try_det
    );

    /// Sign and natural log of the absolute determinant, `(sign, log|det|)`, each of shape
    /// `[...]` for `[..., n, n]`, as `jnp.linalg.slogdet`: a singular matrix gives `(0, -inf)`.
    /// The sign has derivative zero; `d log|det A| = tr(A⁻¹ dA)`.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let a = Tensor::from_vec(vec![0.0, 1.0, 1.0, 0.0], &[2, 2]);
    /// let (sign, logdet) = a.slogdet();
    /// assert_eq!((sign.item::<f64>(), logdet.item::<f64>()), (-1.0, 0.0));
    /// ```
    #[track_caller]
    pub fn try_slogdet(&self) -> Result<(Tensor, Tensor)> {
        square_matrix("slogdet", self, Location::caller())?;
        let packed = bind(Slogdet, smallvec![self.clone()])?;
        let part = |i: usize| packed.try_narrow(-1, i, 1)?.try_squeeze(-1);
        Ok((part(0)?, part(1)?))
    }

    /// Sign and log-absolute determinant; see [`Tensor::try_slogdet`].
    #[track_caller]
    pub fn slogdet(&self) -> (Tensor, Tensor) {
        match self.try_slogdet() {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        }
    }
}
