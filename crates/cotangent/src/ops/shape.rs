//! Shape ops: reshape, broadcast, permute/transpose, slice, pad, concat, squeeze/unsqueeze.
//! Reshape of a contiguous tensor, broadcast, permute and slice are zero-copy views.

use crate::core::error::AtCaller;
use std::panic::Location;

use smallvec::smallvec;

use crate::core::bind::bind;
use crate::core::shape::{normalize_axis, Dims};
use crate::core::{Error, Result, Shape, Tensor};
use crate::ops::reshape_arg::{resolve, ReshapeArg};
use crate::prim::{
    broadcast::BroadcastTo, concat::Concat, pad::Pad, permute::Permute, reshape::Reshape,
    slice::Slice,
};

/// **Shape and layout**: reshape, transpose, broadcast, slice, concat, ...
impl Tensor {
    /// The same elements in a new shape with the same element count. One size may be `-1`
    /// (inferred); the sizes may be a slice, an array, a `Vec` or `()` for a scalar (see
    /// [`crate::ops::ReshapeArg`]).
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let x = Tensor::arange(0.0, 6.0, 1.0, cotangent::DType::F64);
    /// assert_eq!(x.reshape(&[2, 3]).dims(), &[2, 3]);
    /// assert_eq!(x.reshape(&[-1, 2]).dims(), &[3, 2]);
    /// ```
    #[track_caller]
    pub fn try_reshape(&self, shape: impl ReshapeArg) -> Result<Tensor> {
        let sizes = shape.sizes();
        let dims = self.shape().dims();
        if sizes.len() == dims.len() && sizes.iter().zip(dims).all(|(&s, &d)| s == d as i128) {
            return Ok(self.clone());
        }
        let target = resolve(&sizes, self.numel()).at_caller()?;
        let shape = Shape::try_new(&target).at_caller()?;
        bind(Reshape { shape }, smallvec![self.clone()])
    }

    /// Reshape; see [`Tensor::try_reshape`].
    #[track_caller]
    pub fn reshape(&self, shape: impl ReshapeArg) -> Tensor {
        self.try_reshape(shape).unwrap_or_else(|e| panic!("{e}"))
    }

    /// All elements as one dimension.
    ///
    /// ```
    /// let x = cotangent::Tensor::zeros(&[2, 3], cotangent::DType::F32);
    /// assert_eq!(x.flatten().dims(), &[6]);
    /// ```
    #[track_caller]
    pub fn flatten(&self) -> Tensor {
        self.reshape(&[self.numel()])
    }

    /// A view broadcast to `shape` by NumPy rules.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 2.0], &[2]);
    /// assert_eq!(x.broadcast_to(&[3, 2]).to_vec::<f64>(), vec![1.0, 2.0, 1.0, 2.0, 1.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn try_broadcast_to(&self, shape: &[usize]) -> Result<Tensor> {
        if self.shape().dims() == shape {
            return Ok(self.clone());
        }
        let shape = Shape::try_new(shape).at_caller()?;
        bind(BroadcastTo { shape }, smallvec![self.clone()])
    }
    panicking!(
        /// Broadcast to a shape; see [`Tensor::try_broadcast_to`].
        broadcast_to(shape: &[usize]) => try_broadcast_to
    );

    #[track_caller]
    pub(crate) fn permute_dims(&self, perm: &[usize]) -> Result<Tensor> {
        if perm.iter().enumerate().all(|(i, &p)| i == p) && perm.len() == self.rank() {
            return Ok(self.clone());
        }
        bind(Permute { perm: perm.into() }, smallvec![self.clone()])
    }

    /// Reorder the dimensions: output dim `i` is input dim `perm[i]` (negative counts from the
    /// end).
    ///
    /// ```
    /// let x = cotangent::Tensor::zeros(&[2, 3, 4], cotangent::DType::F32);
    /// assert_eq!(x.permute(&[2, 0, 1]).dims(), &[4, 2, 3]);
    /// ```
    #[track_caller]
    pub fn try_permute(&self, perm: &[isize]) -> Result<Tensor> {
        let loc = Location::caller();
        let p: Dims = perm
            .iter()
            .map(|&a| normalize_axis("permute", a, self.rank()))
            .collect::<Result<_>>()
            .map_err(|e| e.at(loc))?;
        self.permute_dims(&p)
    }
    panicking!(
        /// Reorder dimensions; see [`Tensor::try_permute`].
        permute(perm: &[isize]) => try_permute
    );

    /// Swap two dimensions.
    ///
    /// ```
    /// let x = cotangent::Tensor::zeros(&[2, 3, 4], cotangent::DType::F32);
    /// assert_eq!(x.transpose(0, -1).dims(), &[4, 3, 2]);
    /// ```
    #[track_caller]
    pub fn try_transpose(&self, a: isize, b: isize) -> Result<Tensor> {
        let loc = Location::caller();
        let a = normalize_axis("transpose", a, self.rank()).map_err(|e| e.at(loc))?;
        let b = normalize_axis("transpose", b, self.rank()).map_err(|e| e.at(loc))?;
        let mut perm: Dims = (0..self.rank()).collect();
        perm.swap(a, b);
        self.permute_dims(&perm)
    }
    panicking!(
        /// Swap two dimensions; see [`Tensor::try_transpose`].
        transpose(a: isize, b: isize) => try_transpose
    );

    /// The transpose of a matrix (the last two dims swapped; rank < 2 is returned unchanged).
    ///
    /// ```
    /// let x = cotangent::Tensor::zeros(&[2, 3], cotangent::DType::F32);
    /// assert_eq!(x.t().dims(), &[3, 2]);
    /// ```
    #[track_caller]
    pub fn t(&self) -> Tensor {
        self.mt()
    }

    /// Swap the last two dims (no-op below rank 2).
    #[track_caller]
    pub(crate) fn mt(&self) -> Tensor {
        if self.rank() < 2 {
            return self.clone();
        }
        self.transpose(-1, -2)
    }

    #[track_caller]
    pub(crate) fn slice_raw(
        &self,
        starts: &[usize],
        lens: &[usize],
        steps: &[usize],
    ) -> Result<Tensor> {
        if lens == self.dims() && starts.iter().all(|&s| s == 0) {
            return Ok(self.clone());
        }
        bind(
            Slice {
                starts: starts.into(),
                lens: lens.into(),
                steps: steps.into(),
            },
            smallvec![self.clone()],
        )
    }

    /// Elements `start, start + step, …` before `end` along `axis`, Python-style: negative
    /// `start`/`end` count from the end and out-of-range bounds are clipped.
    ///
    /// ```
    /// use cotangent::{DType, Tensor};
    /// let x = Tensor::arange(0.0, 10.0, 1.0, DType::F64);
    /// assert_eq!(x.slice_axis(0, 1, -1, 3).to_vec::<f64>(), vec![1.0, 4.0, 7.0]);
    /// ```
    #[track_caller]
    pub fn try_slice_axis(
        &self,
        axis: isize,
        start: isize,
        end: isize,
        step: usize,
    ) -> Result<Tensor> {
        let loc = Location::caller();
        let axis = normalize_axis("slice", axis, self.rank()).map_err(|e| e.at(loc))?;
        if step == 0 {
            return Err(Error::shape("slice", "step must be at least 1").at(loc));
        }
        let n = self.shape()[axis] as isize;
        let clip = |i: isize| if i < 0 { (i + n).max(0) } else { i.min(n) };
        let (s, e) = (clip(start), clip(end));
        let len = if e > s {
            ((e - s) as usize).div_ceil(step)
        } else {
            0
        };
        let mut starts: Dims = Dims::from_elem(0, self.rank());
        let mut steps: Dims = Dims::from_elem(1, self.rank());
        let mut lens: Dims = Dims::from_slice(self.dims());
        starts[axis] = if len == 0 { 0 } else { s as usize };
        // With fewer than two elements the step is never taken: 1 keeps strides from overflowing.
        steps[axis] = if len < 2 { 1 } else { step };
        lens[axis] = len;
        self.slice_raw(&starts, &lens, &steps)
    }
    panicking!(
        /// Strided slice along one axis; see [`Tensor::try_slice_axis`].
        slice_axis(axis: isize, start: isize, end: isize, step: usize) => try_slice_axis
    );

    /// `len` elements from `start` along `axis` (like `torch.narrow`; out of range is an error).
    ///
    /// ```
    /// use cotangent::{DType, Tensor};
    /// let x = Tensor::arange(0.0, 5.0, 1.0, DType::F64);
    /// assert_eq!(x.narrow(0, 1, 2).to_vec::<f64>(), vec![1.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn try_narrow(&self, axis: isize, start: usize, len: usize) -> Result<Tensor> {
        let loc = Location::caller();
        let axis = normalize_axis("narrow", axis, self.rank()).map_err(|e| e.at(loc))?;
        if start
            .checked_add(len)
            .is_none_or(|end| end > self.shape()[axis])
        {
            return Err(Error::shape(
                "narrow",
                format!(
                    "{len} elements from {start} exceed axis {axis} of shape {}",
                    self.shape()
                ),
            )
            .at(loc));
        }
        let mut starts: Dims = Dims::from_elem(0, self.rank());
        let mut lens: Dims = Dims::from_slice(self.dims());
        starts[axis] = start;
        lens[axis] = len;
        self.slice_raw(&starts, &lens, &Dims::from_elem(1, self.rank()))
    }
    panicking!(
        /// Narrow one axis; see [`Tensor::try_narrow`].
        narrow(axis: isize, start: usize, len: usize) => try_narrow
    );

    #[track_caller]
    pub(crate) fn pad_raw(
        &self,
        lo: &[usize],
        hi: &[usize],
        interior: &[usize],
        value: f64,
    ) -> Result<Tensor> {
        if lo.iter().chain(hi).chain(interior).all(|&p| p == 0) {
            return Ok(self.clone());
        }
        bind(
            Pad {
                lo: lo.into(),
                hi: hi.into(),
                interior: interior.into(),
                value,
            },
            smallvec![self.clone()],
        )
    }

    /// Pad each axis with `(before, after)` elements of `value`.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 2.0], &[2]);
    /// assert_eq!(x.pad(&[(1, 2)], 0.0).to_vec::<f64>(), vec![0.0, 1.0, 2.0, 0.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn try_pad(&self, widths: &[(usize, usize)], value: f64) -> Result<Tensor> {
        if widths.len() != self.rank() {
            return Err(Error::shape(
                "pad",
                format!("{} paddings given for shape {}", widths.len(), self.shape()),
            )
            .at(Location::caller()));
        }
        let lo: Dims = widths.iter().map(|w| w.0).collect();
        let hi: Dims = widths.iter().map(|w| w.1).collect();
        self.pad_raw(&lo, &hi, &Dims::from_elem(0, self.rank()), value)
    }
    panicking!(
        /// Constant padding; see [`Tensor::try_pad`].
        pad(widths: &[(usize, usize)], value: f64) => try_pad
    );

    /// Join tensors along `axis`.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let a = Tensor::from_vec(vec![1.0], &[1]);
    /// let b = Tensor::from_vec(vec![2.0, 3.0], &[2]);
    /// assert_eq!(Tensor::concat(&[a, b], 0).to_vec::<f64>(), vec![1.0, 2.0, 3.0]);
    /// ```
    #[track_caller]
    pub fn try_concat(tensors: &[Tensor], axis: isize) -> Result<Tensor> {
        let loc = Location::caller();
        let first = tensors
            .first()
            .ok_or_else(|| Error::shape("concat", "no tensors to join").at(loc))?;
        let axis = normalize_axis("concat", axis, first.rank()).map_err(|e| e.at(loc))?;
        if tensors.len() == 1 {
            return Ok(first.clone());
        }
        bind(Concat { axis }, tensors.iter().cloned().collect())
    }

    /// Join tensors along `axis`; see [`Tensor::try_concat`].
    #[track_caller]
    pub fn concat(tensors: &[Tensor], axis: isize) -> Tensor {
        Self::try_concat(tensors, axis).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Join tensors of one shape along a new axis.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let a = Tensor::from_vec(vec![1.0, 2.0], &[2]);
    /// assert_eq!(Tensor::stack(&[a.clone(), a], 0).dims(), &[2, 2]);
    /// ```
    #[track_caller]
    pub fn stack(tensors: &[Tensor], axis: isize) -> Tensor {
        Self::try_stack(tensors, axis).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Like [`Tensor::stack`], with an error for no tensors, differing shapes or a bad axis.
    #[track_caller]
    pub fn try_stack(tensors: &[Tensor], axis: isize) -> Result<Tensor> {
        let loc = Location::caller();
        if tensors.is_empty() {
            return Err(Error::shape("stack", "no tensors to stack").at(loc));
        }
        let parts = tensors
            .iter()
            .map(|t| t.try_unsqueeze(axis))
            .collect::<Result<Vec<_>>>()?;
        Tensor::try_concat(&parts, axis)
    }

    /// Insert a dimension of size 1 at `axis` (`-1` appends).
    ///
    /// ```
    /// let x = cotangent::Tensor::zeros(&[3], cotangent::DType::F32);
    /// assert_eq!(x.unsqueeze(0).dims(), &[1, 3]);
    /// assert_eq!(x.unsqueeze(-1).dims(), &[3, 1]);
    /// ```
    #[track_caller]
    pub fn try_unsqueeze(&self, axis: isize) -> Result<Tensor> {
        let a = normalize_axis("unsqueeze", axis, self.rank() + 1).at_caller()?;
        let mut dims = Dims::from_slice(self.dims());
        dims.insert(a, 1);
        self.try_reshape(&dims)
    }
    panicking!(
        /// Insert a size-1 dimension; see [`Tensor::try_unsqueeze`].
        unsqueeze(axis: isize) => try_unsqueeze
    );

    /// Remove a dimension of size 1.
    ///
    /// ```
    /// let x = cotangent::Tensor::zeros(&[3, 1], cotangent::DType::F32);
    /// assert_eq!(x.squeeze(1).dims(), &[3]);
    /// ```
    #[track_caller]
    pub fn try_squeeze(&self, axis: isize) -> Result<Tensor> {
        let loc = Location::caller();
        let a = normalize_axis("squeeze", axis, self.rank()).map_err(|e| e.at(loc))?;
        if self.shape()[a] != 1 {
            return Err(
                Error::shape("squeeze", format!("axis {a} of {} is not 1", self.shape())).at(loc),
            );
        }
        let mut dims = Dims::from_slice(self.dims());
        dims.remove(a);
        self.try_reshape(&dims)
    }
    panicking!(
        /// Remove a size-1 dimension; see [`Tensor::try_squeeze`].
        squeeze(axis: isize) => try_squeeze
    );
}
