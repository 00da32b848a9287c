//! Conversion of sparse results into [`sprs`] matrices (feature `sprs`), the Rust ecosystem's
//! sparse-matrix crate: products, transposes and the sparse solvers built on it take them.

use super::{Csr, Pattern};

/// **`sprs` interop** (the `sprs` feature).
impl Csr {
    /// The same matrix as an `sprs` compressed-row matrix (the arrays are copied; the row
    /// pointers, column indices and values keep their order).
    ///
    /// ```
    /// use cotangent::sparse::sparse_jacobian;
    /// use cotangent::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3]);
    /// let j = sparse_jacobian(|x: &Tensor| x * x, &x).unwrap().to_sprs();
    /// assert_eq!((j.rows(), j.cols(), j.nnz()), (3, 3, 3));
    /// assert_eq!(j.get(1, 1), Some(&4.0));
    /// let jtj = &j.transpose_view() * &j; // sprs products
    /// assert_eq!(jtj.to_dense()[[2, 2]], 36.0);
    /// ```
    pub fn to_sprs(&self) -> sprs::CsMat<f64> {
        sprs::CsMat::new(
            (self.rows, self.cols),
            self.indptr.clone(),
            self.indices.clone(),
            self.values.clone(),
        )
    }
}

impl From<&Csr> for sprs::CsMat<f64> {
    fn from(m: &Csr) -> Self {
        m.to_sprs()
    }
}

/// **`sprs` interop** (the `sprs` feature).
impl Pattern {
    /// The pattern as an `sprs` compressed-row matrix of `true` entries.
    ///
    /// ```
    /// use cotangent::sparse::jacobian_sparsity;
    /// use cotangent::Tensor;
    /// let p = jacobian_sparsity(|x: &Tensor| x.sin(), &Tensor::zeros(&[4], cotangent::DType::F64));
    /// let m = p.unwrap().to_sprs();
    /// assert_eq!((m.nnz(), m.get(2, 2), m.get(2, 1)), (4, Some(&true), None));
    /// ```
    pub fn to_sprs(&self) -> sprs::CsMat<bool> {
        sprs::CsMat::new(
            (self.rows, self.cols),
            self.indptr.clone(),
            self.indices.clone(),
            vec![true; self.indices.len()],
        )
    }
}
