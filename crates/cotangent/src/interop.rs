//! Conversions between [`Tensor`] and `ndarray` arrays (feature `ndarray`).

use ndarray::{ArrayD, IxDyn};

use crate::core::{Element, Result, Tensor};

impl<T: Element> From<ArrayD<T>> for Tensor {
    /// Copy an `ndarray` array into a tensor.
    ///
    /// ```
    /// let a = ndarray::ArrayD::<f64>::zeros(ndarray::IxDyn(&[2, 3]));
    /// let t = cotangent::Tensor::from(a);
    /// assert_eq!(t.dims(), &[2, 3]);
    /// ```
    #[track_caller]
    fn from(a: ArrayD<T>) -> Tensor {
        let shape = a.shape().to_vec();
        let data: Vec<T> = a.iter().copied().collect();
        Tensor::from_vec(data, &shape)
    }
}

/// **`ndarray` interop** (the `ndarray` feature).
impl Tensor {
    /// Copy into an `ndarray` array of element type `T` (which must be this tensor's dtype).
    ///
    /// ```
    /// let t = cotangent::Tensor::from_vec(vec![1.0, 2.0], &[2]);
    /// assert_eq!(t.to_ndarray::<f64>().unwrap().sum(), 3.0);
    /// ```
    #[track_caller]
    pub fn to_ndarray<T: Element>(&self) -> Result<ArrayD<T>> {
        let data = self.try_to_vec::<T>()?;
        Ok(ArrayD::from_shape_vec(IxDyn(self.dims()), data).expect("shape matches data"))
    }
}
