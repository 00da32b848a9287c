//! Indexing: gather (`index_select`), `scatter_add`, and `one_hot`.

use crate::core::error::AtCaller;
use smallvec::smallvec;

use crate::core::bind::bind;
use crate::core::shape::normalize_axis;
use crate::core::{DType, Result, Tensor};
use crate::prim::{index_select::IndexSelect, scatter_add::ScatterAdd};

/// **Indexing**: gather by indices, scatter-add, one-hot.
impl Tensor {
    /// Entries at the i64 indices `idx` along `axis` (`x[.., idx, ..]`).
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let x = Tensor::from_vec(vec![10.0, 20.0, 30.0], &[3]);
    /// let i = Tensor::from_vec(vec![2i64, 0, 2], &[3]);
    /// assert_eq!(x.index_select(0, &i).to_vec::<f64>(), vec![30.0, 10.0, 30.0]);
    /// ```
    #[track_caller]
    pub fn try_index_select(&self, axis: isize, idx: &Tensor) -> Result<Tensor> {
        let axis = normalize_axis("index_select", axis, self.rank()).at_caller()?;
        bind(IndexSelect { axis }, smallvec![self.clone(), idx.clone()])
    }
    panicking!(
        /// Gather along an axis; see [`Tensor::try_index_select`].
        index_select(axis: isize, idx: &Tensor) => try_index_select
    );

    /// `self` with `updates[.., j, ..]` added at `[.., idx[j], ..]` along `axis`.
    ///
    /// ```
    /// use cotangent::{DType, Tensor};
    /// let base = Tensor::zeros(&[3], DType::F64);
    /// let i = Tensor::from_vec(vec![0i64, 0, 2], &[3]);
    /// let u = Tensor::from_vec(vec![1.0, 2.0, 5.0], &[3]);
    /// assert_eq!(base.scatter_add(0, &i, &u).to_vec::<f64>(), vec![3.0, 0.0, 5.0]);
    /// ```
    #[track_caller]
    pub fn try_scatter_add(&self, axis: isize, idx: &Tensor, updates: &Tensor) -> Result<Tensor> {
        let axis = normalize_axis("scatter_add", axis, self.rank()).at_caller()?;
        bind(
            ScatterAdd { axis },
            smallvec![self.clone(), idx.clone(), updates.clone()],
        )
    }
    panicking!(
        /// Scatter-add along an axis; see [`Tensor::try_scatter_add`].
        scatter_add(axis: isize, idx: &Tensor, updates: &Tensor) => try_scatter_add
    );

    /// One-hot encoding of an i64 tensor of labels in `0..classes`: a new last axis of size
    /// `classes`, in `dtype`.
    ///
    /// ```
    /// use cotangent::{DType, Tensor};
    /// let y = Tensor::from_vec(vec![1i64, 0], &[2]);
    /// assert_eq!(y.one_hot(3, DType::F64).to_vec::<f64>(), vec![0.0, 1.0, 0.0, 1.0, 0.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn try_one_hot(&self, classes: usize, dtype: DType) -> Result<Tensor> {
        let mask = self.label_mask("one_hot", classes)?;
        mask.try_cast(dtype)
    }

    /// `labels[..., None] == arange(classes)` as a bool mask, after checking that every label
    /// lies in `0..classes` (an out-of-range one would give an all-zero row silently; PyTorch
    /// raises too). Traced labels (under `jit` or `vmap`) are checked when the program runs.
    /// Errors name `op`.
    #[track_caller]
    pub(crate) fn label_mask(&self, op: &'static str, classes: usize) -> Result<Tensor> {
        let loc = std::panic::Location::caller();
        if self.dtype() == DType::I64 && !self.value().is_abstract() {
            if let Some(&bad) = self
                .try_to_vec::<i64>()?
                .iter()
                .find(|&&l| l < 0 || l as u64 >= classes as u64)
            {
                return Err(crate::core::Error::new(
                    crate::core::ErrorKind::Index,
                    op,
                    format!("label {bad} is out of range for {classes} classes"),
                )
                .at(loc));
            }
        }
        let labels = if self.dtype() == DType::I64 && self.value().is_abstract() {
            crate::core::bind::bind_at(
                crate::prim::index_bound::IndexBound {
                    len: classes,
                    op,
                    labels: true,
                },
                smallvec::smallvec![self.clone()],
                loc,
            )?
        } else {
            self.clone()
        };
        let classes_t = Tensor::try_arange(0.0, classes as f64, 1.0, self.dtype())?;
        labels.try_unsqueeze(-1)?.try_eq(&classes_t)
    }
    panicking!(
        /// One-hot encoding; see [`Tensor::try_one_hot`].
        one_hot(classes: usize, dtype: DType) => try_one_hot
    );
}
