//! What [`Tensor::reshape`](crate::Tensor::reshape) accepts: sizes as a borrowed slice, array,
//! `Vec` or [`Shape`], of `usize` or of a signed integer type so that one size may be `-1`
//! (inferred from the element count, as in NumPy, PyTorch and JAX), or `()` for a scalar.

use smallvec::SmallVec;

use crate::core::shape::Dims;
use crate::core::{Error, Result, Shape};

/// One size in a reshape target: a `usize`, or a signed integer where `-1` means "inferred".
pub trait ReshapeDim: Copy {
    /// The size as an `i128` (wide enough for every `usize` and every `i64`).
    fn to_i128(self) -> i128;
}

macro_rules! reshape_dim {
    ($($t:ty),*) => {$(
        impl ReshapeDim for $t {
            fn to_i128(self) -> i128 {
                self as i128
            }
        }
    )*};
}
reshape_dim!(usize, isize, i32, i64, u32);

/// A reshape target (see the module docs).
///
/// ```
/// use cotangent::Tensor;
/// let x = Tensor::zeros(&[2, 6], cotangent::DType::F32);
/// assert_eq!(x.reshape(&[3, -1]).dims(), &[3, 4]);
/// assert_eq!(x.reshape(&vec![12usize]).dims(), &[12]);
/// assert_eq!(x.sum().reshape(()).dims(), &[] as &[usize]);
/// ```
pub trait ReshapeArg {
    /// The sizes, `-1` (or another negative number, an error) kept as given.
    fn sizes(&self) -> SmallVec<[i128; 6]>;
}

impl<T: ReshapeDim> ReshapeArg for &[T] {
    fn sizes(&self) -> SmallVec<[i128; 6]> {
        self.iter().map(|&d| d.to_i128()).collect()
    }
}
impl<T: ReshapeDim, const N: usize> ReshapeArg for &[T; N] {
    fn sizes(&self) -> SmallVec<[i128; 6]> {
        self.iter().map(|&d| d.to_i128()).collect()
    }
}
impl<T: ReshapeDim> ReshapeArg for &Vec<T> {
    fn sizes(&self) -> SmallVec<[i128; 6]> {
        self.iter().map(|&d| d.to_i128()).collect()
    }
}
impl ReshapeArg for &Dims {
    fn sizes(&self) -> SmallVec<[i128; 6]> {
        self.iter().map(|&d| d as i128).collect()
    }
}
impl ReshapeArg for &Shape {
    fn sizes(&self) -> SmallVec<[i128; 6]> {
        self.dims().iter().map(|&d| d as i128).collect()
    }
}
impl ReshapeArg for () {
    fn sizes(&self) -> SmallVec<[i128; 6]> {
        SmallVec::new()
    }
}

/// The target shape for `numel` elements, with a `-1` inferred.
pub(crate) fn resolve(sizes: &[i128], numel: usize) -> Result<Dims> {
    let show = || {
        let v: Vec<String> = sizes.iter().map(|d| d.to_string()).collect();
        format!("[{}]", v.join(", "))
    };
    if let Some(bad) = sizes.iter().find(|&&d| d < -1) {
        return Err(Error::shape(
            "reshape",
            format!(
                "{bad} is not a size (only -1, inferred, may be negative) in {}",
                show()
            ),
        ));
    }
    let inferred: Vec<usize> = (0..sizes.len()).filter(|&i| sizes[i] == -1).collect();
    if inferred.len() > 1 {
        return Err(Error::shape(
            "reshape",
            format!("at most one size may be -1, got {}", show()),
        ));
    }
    let too_big = || Error::shape("reshape", format!("the sizes {} overflow", show()));
    let mut known: usize = 1;
    for &d in sizes.iter().filter(|&&d| d >= 0) {
        let d = usize::try_from(d).map_err(|_| too_big())?;
        known = known.checked_mul(d).ok_or_else(too_big)?;
    }
    let mut dims: Dims = sizes.iter().map(|&d| d.max(0) as usize).collect();
    if let Some(&i) = inferred.first() {
        if known == 0 || numel % known != 0 {
            return Err(Error::shape(
                "reshape",
                format!("cannot infer the -1 in {}: {numel} elements", show()),
            ));
        }
        dims[i] = numel / known;
    }
    Ok(dims)
}
