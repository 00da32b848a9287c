//! Sorting: `argsort` (a primitive), and the composites `take_along_axis`, `sort` and `topk`.
//! `take_along_axis` is one flat `index_select`, so the gradient of `sort` and `topk` is that
//! gather's: the cotangent scatter-added back to the source positions.

use std::panic::Location;

use smallvec::smallvec;

use crate::core::bind::bind_at;
use crate::core::shape::normalize_axis;
use crate::core::{DType, Error, Result, Tensor};
use crate::prim::argsort::ArgSort;
use crate::prim::index_bound::IndexBound;

/// **Sorting**: argsort, sort, topk, take_along_axis.
impl Tensor {
    /// The i64 indices that sort `self` along `axis` (negative counts from the end), smallest
    /// first, or largest first when `descending`. Stable in both directions: equal elements keep
    /// their order. A NaN counts as larger than every number. Not differentiable.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let x = Tensor::from_vec(vec![3.0, 1.0, 2.0, 1.0], &[4]);
    /// assert_eq!(x.argsort(0, false).to_vec::<i64>(), vec![1, 3, 2, 0]);
    /// assert_eq!(x.argsort(0, true).to_vec::<i64>(), vec![0, 2, 1, 3]);
    /// ```
    #[track_caller]
    pub fn try_argsort(&self, axis: isize, descending: bool) -> Result<Tensor> {
        let loc = Location::caller();
        let axis = normalize_axis("argsort", axis, self.rank()).map_err(|e| e.at(loc))?;
        bind_at(ArgSort { axis, descending }, smallvec![self.clone()], loc)
    }
    panicking!(
        /// Sorting indices along an axis; see [`Tensor::try_argsort`].
        argsort(axis: isize, descending: bool) => try_argsort
    );

    /// `self` sorted along `axis`, ascending or `descending` (NaN counts as the largest).
    /// Differentiable: each output element's gradient goes to the element it came from.
    ///
    /// ```
    /// use cotangent::{grad, Tensor};
    /// let x = Tensor::from_vec(vec![3.0, 1.0, 2.0], &[3]);
    /// assert_eq!(x.sort(0, false).to_vec::<f64>(), vec![1.0, 2.0, 3.0]);
    /// // d/dx of (first sorted element · 10 + second): 10 to x[1], 1 to x[2].
    /// let w = Tensor::from_vec(vec![10.0, 1.0, 0.0], &[3]);
    /// let g = grad(|x: &Tensor| (x.sort(0, false) * &w).sum())(&x);
    /// assert_eq!(g.to_vec::<f64>(), vec![0.0, 10.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn try_sort(&self, axis: isize, descending: bool) -> Result<Tensor> {
        let order = self.try_argsort(axis, descending)?;
        self.try_take_along_axis(&order, axis)
    }
    panicking!(
        /// Sorted values along an axis; see [`Tensor::try_sort`].
        sort(axis: isize, descending: bool) => try_sort
    );

    /// The `k` largest elements along `axis` and their i64 indices, largest first (like
    /// `torch.topk`; ties keep their order). The values are differentiable.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 5.0, 3.0, 4.0, 0.0, 2.0], &[2, 3]);
    /// let (v, i) = x.topk(2, -1);
    /// assert_eq!(v.to_vec::<f64>(), vec![5.0, 3.0, 4.0, 2.0]);
    /// assert_eq!(i.to_vec::<i64>(), vec![1, 2, 0, 2]);
    /// ```
    #[track_caller]
    pub fn try_topk(&self, k: usize, axis: isize) -> Result<(Tensor, Tensor)> {
        let loc = Location::caller();
        let a = normalize_axis("topk", axis, self.rank()).map_err(|e| e.at(loc))?;
        let n = self.dims()[a];
        if k > n {
            return Err(Error::shape(
                "topk",
                format!("k = {k} exceeds axis {a} of shape {}", self.shape()),
            )
            .at(loc));
        }
        let order = self.try_argsort(axis, true)?;
        let top = order.try_narrow(axis, 0, k)?;
        Ok((self.try_take_along_axis(&top, axis)?, top))
    }

    /// The `k` largest elements and their indices; see [`Tensor::try_topk`].
    #[track_caller]
    pub fn topk(&self, k: usize, axis: isize) -> (Tensor, Tensor) {
        match self.try_topk(k, axis) {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        }
    }

    /// `out[.., j, ..] = self[.., indices[.., j, ..], ..]` along `axis` (NumPy's
    /// `take_along_axis`, `torch.gather`). `indices` is i64 with the rank of `self` and its
    /// sizes on every other axis; a negative index counts from the end, and one out of range is
    /// an error (checked when the program runs if the indices are traced). Differentiable in
    /// `self`: the gradient is scatter-added back to the gathered positions.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let x = Tensor::from_vec(vec![10.0, 20.0, 30.0, 40.0], &[2, 2]);
    /// let i = Tensor::from_vec(vec![1i64, 1, 0, -1], &[2, 2]);
    /// assert_eq!(x.take_along_axis(&i, 1).to_vec::<f64>(), vec![20.0, 20.0, 30.0, 40.0]);
    /// ```
    #[track_caller]
    pub fn try_take_along_axis(&self, indices: &Tensor, axis: isize) -> Result<Tensor> {
        let loc = Location::caller();
        let a = normalize_axis("take_along_axis", axis, self.rank()).map_err(|e| e.at(loc))?;
        let (xd, id) = (self.dims(), indices.dims());
        let fits = id.len() == xd.len() && (0..xd.len()).all(|d| d == a || xd[d] == id[d]);
        if indices.dtype() != DType::I64 || !fits {
            return Err(Error::shape(
                "take_along_axis",
                format!(
                    "indices must be i64 with the shape of {} except on axis {a}, got {}{}",
                    self.shape(),
                    indices.dtype(),
                    indices.shape()
                ),
            )
            .at(loc));
        }
        let outer: usize = xd[..a].iter().product();
        let (n, m) = (xd[a], id[a]);
        let inner: usize = xd[a + 1..].iter().product();
        // Checked (and negative ones wrapped) per row, before the rows are laid end to end.
        let idx = bind_at(
            IndexBound {
                len: n,
                op: "take_along_axis",
                labels: false,
            },
            smallvec![indices.clone()],
            loc,
        )?;
        // Flat position of (o, idx, i) in `self`: (o·n + idx)·inner + i.
        let base: Vec<i64> = (0..outer)
            .flat_map(|o| (0..inner).map(move |i| (o * n * inner + i) as i64))
            .collect();
        let base = Tensor::from_vec(base, &[outer, 1, inner]);
        let stride = Tensor::from_vec(vec![inner as i64], &[]);
        let flat = (idx.try_reshape(&[outer, m, inner])? * &stride + &base)
            .try_reshape(&[outer * m * inner])?;
        let out = self
            .try_reshape(&[outer * n * inner])?
            .try_index_select(0, &flat)?;
        out.try_reshape(id)
    }
    panicking!(
        /// Gather along an axis with per-position indices; see
        /// [`Tensor::try_take_along_axis`].
        take_along_axis(indices: &Tensor, axis: isize) => try_take_along_axis
    );
}
