//! Combinations of whole tensors by broadcasting: the `outer` product of two vectors, the
//! Kronecker product `kron`, and `meshgrid` (coordinate grids, `"xy"` or `"ij"` indexing).

use crate::core::{Result, Tensor};

/// **More products**: prod over axes.
impl Tensor {
    /// The outer product `out[i, j] = a[i] · b[j]` of the flattened operands (as `jnp.outer`).
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let a = Tensor::from_vec(vec![1.0, 2.0], &[2]);
    /// let b = Tensor::from_vec(vec![3.0, 4.0, 5.0], &[3]);
    /// assert_eq!(a.outer(&b).to_vec::<f64>(), vec![3.0, 4.0, 5.0, 6.0, 8.0, 10.0]);
    /// ```
    #[track_caller]
    pub fn try_outer(&self, other: &Tensor) -> Result<Tensor> {
        let a = self.try_reshape(&[self.numel(), 1])?;
        let b = other.try_reshape(&[1, other.numel()])?;
        a.try_mul(&b)
    }
    panicking!(
        /// Outer product; see [`Tensor::try_outer`].
        outer(other: &Tensor) => try_outer
    );

    /// The Kronecker product (as `jnp.kron`): the operands get leading 1s up to a common rank,
    /// and block `(i, j, …)` of the result is `self[i, j, …] · other`, so each dim of the result
    /// is the product of the operands' dims.
    ///
    /// ```
    /// use cotangent::{DType, Tensor};
    /// let a = Tensor::from_vec(vec![1.0, 2.0], &[1, 2]);
    /// let b = Tensor::eye(2, DType::F64);
    /// let k = a.kron(&b);
    /// assert_eq!(k.dims(), &[2, 4]);
    /// assert_eq!(k.to_vec::<f64>(), vec![1.0, 0.0, 2.0, 0.0, 0.0, 1.0, 0.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn try_kron(&self, other: &Tensor) -> Result<Tensor> {
        let r = self.rank().max(other.rank());
        let padded = |t: &Tensor| {
            let mut d = vec![1; r - t.rank()];
            d.extend_from_slice(t.dims());
            d
        };
        let (da, db) = (padded(self), padded(other));
        // a as [a0, 1, a1, 1, …] and b as [1, b0, 1, b1, …]: the product is [a0, b0, a1, b1, …].
        let a_dims: Vec<usize> = da.iter().flat_map(|&n| [n, 1]).collect();
        let b_dims: Vec<usize> = db.iter().flat_map(|&n| [1, n]).collect();
        let out: Vec<usize> = da.iter().zip(&db).map(|(x, y)| x * y).collect();
        self.try_reshape(&a_dims)?
            .try_mul(&other.try_reshape(&b_dims)?)?
            .try_reshape(&out)
    }
    panicking!(
        /// Kronecker product; see [`Tensor::try_kron`].
        kron(other: &Tensor) => try_kron
    );
}

/// How [`meshgrid`] lays out its grids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Indexing {
    /// Cartesian (the default of NumPy and JAX): with inputs of lengths `n0, n1, …` the
    /// grids have shape `[n1, n0, n2, …]`.
    #[default]
    Xy,
    /// Matrix: shape `[n0, n1, n2, …]`.
    Ij,
}

/// Coordinate grids from 1-D coordinate vectors (inputs are flattened), as
/// `jnp.meshgrid(*xs, indexing=…)`: grid `k` holds `xs[k][i_k]` at every position. Fails only
/// when the grid is too large to allocate.
///
/// ```
/// use cotangent::{meshgrid, Indexing, Tensor};
/// let x = Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3]);
/// let y = Tensor::from_vec(vec![10.0, 20.0], &[2]);
/// let g = meshgrid(&[x.clone(), y.clone()], Indexing::Xy);
/// assert_eq!(g[0].dims(), &[2, 3]);
/// assert_eq!(g[0].to_vec::<f64>(), vec![1.0, 2.0, 3.0, 1.0, 2.0, 3.0]);
/// assert_eq!(g[1].to_vec::<f64>(), vec![10.0, 10.0, 10.0, 20.0, 20.0, 20.0]);
/// let g = meshgrid(&[x, y], Indexing::Ij);
/// assert_eq!(g[1].dims(), &[3, 2]);
/// ```
#[track_caller]
pub fn try_meshgrid(xs: &[Tensor], indexing: Indexing) -> Result<Vec<Tensor>> {
    let mut shape: Vec<usize> = xs.iter().map(|x| x.numel()).collect();
    let swap = indexing == Indexing::Xy && xs.len() >= 2;
    if swap {
        shape.swap(0, 1);
    }
    xs.iter()
        .enumerate()
        .map(|(k, x)| {
            let at = if swap && k < 2 { 1 - k } else { k };
            let mut dims = vec![1; xs.len()];
            dims[at] = x.numel();
            x.try_reshape(&dims)?.try_broadcast_to(&shape)
        })
        .collect()
}

/// Coordinate grids; see [`try_meshgrid`].
#[track_caller]
pub fn meshgrid(xs: &[Tensor], indexing: Indexing) -> Vec<Tensor> {
    try_meshgrid(xs, indexing).unwrap_or_else(|e| panic!("{e}"))
}
