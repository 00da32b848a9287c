//! Triangles and diagonals of matrices (the last two axes): `tril`/`triu` (a constant mask and
//! a select), `tril_indices`/`triu_indices`, `diag` (vector to matrix and back, as `jnp.diag`),
//! `diagonal` (a strided slice of the flattened matrix) and `trace`.

use std::panic::Location;

use crate::core::{Error, Result, Tensor};

/// The error for an op that needs a matrix (at least two dims).
fn need_matrix(op: &'static str, x: &Tensor) -> Error {
    Error::shape(
        op,
        format!(
            "expected at least 2 dims (a matrix), got shape {}",
            x.shape()
        ),
    )
}

/// The `n × m` bool mask of the positions whose offset `j - i` satisfies `keep`.
fn offset_mask(n: usize, m: usize, keep: impl Fn(isize) -> bool) -> Tensor {
    let data: Vec<bool> = (0..n * m)
        .map(|p| keep((p % m) as isize - (p / m) as isize))
        .collect();
    Tensor::from_vec(data, &[n, m])
}

/// **Triangles and diagonals**: tril, triu, diag, diagonal, trace.
impl Tensor {
    /// `self` with the entries at offset `j - i` kept where `keep` holds, zero elsewhere.
    #[track_caller]
    fn triangle(&self, op: &'static str, keep: impl Fn(isize) -> bool) -> Result<Tensor> {
        if self.rank() < 2 {
            return Err(need_matrix(op, self).at(Location::caller()));
        }
        let (n, m) = (self.dims()[self.rank() - 2], self.dims()[self.rank() - 1]);
        offset_mask(n, m, keep).try_select(self, &self.scalar_like(0.0))
    }

    /// The lower triangle of the last two axes: entries with `j - i ≤ k` kept, the rest 0
    /// (as `jnp.tril(x, k)`; `k = 0` keeps the diagonal, `k = -1` drops it).
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]);
    /// assert_eq!(x.tril(0).to_vec::<f64>(), vec![1.0, 0.0, 3.0, 4.0]);
    /// assert!(Tensor::scalar(1.0).try_tril(0).unwrap_err().to_string().contains("tril"));
    /// ```
    #[track_caller]
    pub fn try_tril(&self, k: isize) -> Result<Tensor> {
        self.triangle("tril", |d| d <= k)
    }
    panicking!(
        /// Lower triangle; see [`Tensor::try_tril`].
        tril(k: isize) => try_tril
    );

    /// The upper triangle of the last two axes: entries with `j - i ≥ k` kept, the rest 0
    /// (as `jnp.triu(x, k)`).
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]);
    /// assert_eq!(x.triu(1).to_vec::<f64>(), vec![0.0, 2.0, 0.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn try_triu(&self, k: isize) -> Result<Tensor> {
        self.triangle("triu", |d| d >= k)
    }
    panicking!(
        /// Upper triangle; see [`Tensor::try_triu`].
        triu(k: isize) => try_triu
    );

    /// The entries on diagonal `offset` of the last two axes, as a new last axis (`offset > 0`
    /// above the main diagonal, `< 0` below), as `jnp.linalg.diagonal(x, offset=offset)`.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    /// assert_eq!(x.diagonal(0).to_vec::<f64>(), vec![1.0, 5.0]);
    /// assert_eq!(x.diagonal(1).to_vec::<f64>(), vec![2.0, 6.0]);
    /// assert_eq!(x.diagonal(-1).to_vec::<f64>(), vec![4.0]);
    /// assert_eq!(x.diagonal(5).dims(), &[0]);
    /// ```
    #[track_caller]
    pub fn try_diagonal(&self, offset: isize) -> Result<Tensor> {
        let r = self.rank();
        if r < 2 {
            return Err(need_matrix("diagonal", self).at(Location::caller()));
        }
        let (n, m) = (self.dims()[r - 2] as isize, self.dims()[r - 1] as isize);
        let (row, col) = if offset >= 0 {
            (0, offset)
        } else {
            (-offset, 0)
        };
        let len = (n - row).min(m - col).max(0);
        let mut flat = self.dims()[..r - 2].to_vec();
        flat.push((n * m) as usize);
        let x = self.try_reshape(&flat)?;
        if len == 0 {
            return x.try_narrow(-1, 0, 0);
        }
        let start = row * m + col;
        x.try_slice_axis(-1, start, start + (len - 1) * (m + 1) + 1, (m + 1) as usize)
    }
    panicking!(
        /// Diagonal of the last two axes; see [`Tensor::try_diagonal`].
        diagonal(offset: isize) => try_diagonal
    );

    /// As `jnp.diag(x, k)`: a vector becomes the square matrix with it on diagonal `k` (zeros
    /// elsewhere); a matrix gives its diagonal `k` as a vector. Other ranks are an error.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let v = Tensor::from_vec(vec![1.0, 2.0], &[2]);
    /// assert_eq!(v.diag(0).to_vec::<f64>(), vec![1.0, 0.0, 0.0, 2.0]);
    /// assert_eq!(v.diag(1).to_vec::<f64>(), vec![0.0, 1.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0]);
    /// assert_eq!(v.diag(0).diag(0).to_vec::<f64>(), vec![1.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn try_diag(&self, k: isize) -> Result<Tensor> {
        match self.rank() {
            1 => {
                let n = self.dims()[0];
                let pad = k.unsigned_abs();
                let m = n + pad;
                let v = self.try_pad(&[(0, pad)], 0.0)?;
                // Row i holds v[i] at column i + k (k ≥ 0); column j holds v[j] at row j - k.
                let v = if k >= 0 {
                    v.try_reshape(&[m, 1])?
                } else {
                    v.try_reshape(&[1, m])?
                };
                offset_mask(m, m, |d| d == k).try_select(&v, &self.scalar_like(0.0))
            }
            2 => self.try_diagonal(k),
            _ => Err(Error::shape(
                "diag",
                format!("expected a vector or a matrix, got shape {}", self.shape()),
            )
            .at(Location::caller())),
        }
    }
    panicking!(
        /// Diagonal matrix of a vector, or diagonal of a matrix; see [`Tensor::try_diag`].
        diag(k: isize) => try_diag
    );

    /// The sum of the main diagonal of the last two axes.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]);
    /// assert_eq!(x.trace().item::<f64>(), 5.0);
    /// ```
    #[track_caller]
    pub fn try_trace(&self) -> Result<Tensor> {
        if self.rank() < 2 {
            return Err(need_matrix("trace", self).at(Location::caller()));
        }
        self.try_diagonal(0)?.try_sum_axes(&[-1], false)
    }
    panicking!(
        /// Trace of the last two axes; see [`Tensor::try_trace`].
        trace() => try_trace
    );
}

/// Row and column indices (i64) of the `n × n` positions with `j - i` satisfying `keep`, in
/// row-major order.
fn offset_indices(n: usize, keep: impl Fn(isize) -> bool) -> (Tensor, Tensor) {
    let (rows, cols): (Vec<i64>, Vec<i64>) = (0..n * n)
        .filter(|p| keep((p % n) as isize - (p / n) as isize))
        .map(|p| ((p / n) as i64, (p % n) as i64))
        .unzip();
    let len = rows.len();
    (
        Tensor::from_vec(rows, &[len]),
        Tensor::from_vec(cols, &[len]),
    )
}

/// Row and column indices (i64) of the lower triangle `j - i ≤ k` of an `n × n` matrix, in
/// row-major order (as `jnp.tril_indices(n, k)`).
///
/// ```
/// let (r, c) = cotangent::tril_indices(3, 0);
/// assert_eq!(r.to_vec::<i64>(), vec![0, 1, 1, 2, 2, 2]);
/// assert_eq!(c.to_vec::<i64>(), vec![0, 0, 1, 0, 1, 2]);
/// ```
pub fn tril_indices(n: usize, k: isize) -> (Tensor, Tensor) {
    offset_indices(n, |d| d <= k)
}

/// Row and column indices (i64) of the upper triangle `j - i ≥ k` of an `n × n` matrix, in
/// row-major order (as `jnp.triu_indices(n, k)`).
///
/// ```
/// let (r, c) = cotangent::triu_indices(3, 1);
/// assert_eq!(r.to_vec::<i64>(), vec![0, 0, 1]);
/// assert_eq!(c.to_vec::<i64>(), vec![1, 2, 2]);
/// ```
pub fn triu_indices(n: usize, k: isize) -> (Tensor, Tensor) {
    offset_indices(n, |d| d >= k)
}
