//! Indexing sugar: `x.i(2)`, `x.i((.., 1..3))`, `x.i((-1, ..-1))`, built on `narrow` and
//! `reshape` (so differentiable, batchable and jittable like them).

use std::ops::{Range, RangeFrom, RangeFull, RangeInclusive, RangeTo, RangeToInclusive};
use std::panic::Location;

use crate::core::{Error, ErrorKind, Result, Tensor};

/// What one index of [`Tensor::i`] does to its axis. Bounds may be negative (counting from the
/// end); `None` is the axis's start or end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexItem {
    /// Select one position and drop the axis.
    At(isize),
    /// Keep the positions `start..end` (end exclusive).
    Range {
        /// First kept position (`None`: 0).
        start: Option<isize>,
        /// One past the last kept position (`None`: the axis's length).
        end: Option<isize>,
    },
}

/// One index: an integer (`isize`, `i64`, `i32`, `usize`) or a range (`a..b`, `a..`, `..b`,
/// `a..=b`, `..=b`, `..`).
pub trait IndexPart {
    /// The index as an [`IndexItem`].
    fn item(&self) -> IndexItem;
}

/// An argument of [`Tensor::i`]: one [`IndexPart`], or a tuple of up to four (one per leading
/// axis; the axes after them are kept whole).
pub trait IndexArg {
    /// The indices, one per leading axis.
    fn items(&self) -> Vec<IndexItem>;
}

macro_rules! integer_parts {
    ($($t:ty),*) => {$(
        impl IndexPart for $t {
            fn item(&self) -> IndexItem {
                IndexItem::At(*self as isize)
            }
        }
        impl IndexPart for Range<$t> {
            fn item(&self) -> IndexItem {
                IndexItem::Range { start: Some(self.start as isize), end: Some(self.end as isize) }
            }
        }
        impl IndexPart for RangeFrom<$t> {
            fn item(&self) -> IndexItem {
                IndexItem::Range { start: Some(self.start as isize), end: None }
            }
        }
        impl IndexPart for RangeTo<$t> {
            fn item(&self) -> IndexItem {
                IndexItem::Range { start: None, end: Some(self.end as isize) }
            }
        }
        impl IndexPart for RangeInclusive<$t> {
            fn item(&self) -> IndexItem {
                IndexItem::Range {
                    start: Some(*self.start() as isize),
                    end: inclusive_end(*self.end() as isize),
                }
            }
        }
        impl IndexPart for RangeToInclusive<$t> {
            fn item(&self) -> IndexItem {
                IndexItem::Range { start: None, end: inclusive_end(self.end as isize) }
            }
        }
    )*};
}

/// The exclusive end after the inclusive `end` (`..=-1` runs to the end).
fn inclusive_end(end: isize) -> Option<isize> {
    if end == -1 {
        None
    } else {
        Some(end + 1)
    }
}

integer_parts!(isize, i64, i32, usize);

impl IndexPart for RangeFull {
    fn item(&self) -> IndexItem {
        IndexItem::Range {
            start: None,
            end: None,
        }
    }
}

macro_rules! single_args {
    ($($t:ty),*) => {$(
        impl IndexArg for $t {
            fn items(&self) -> Vec<IndexItem> {
                vec![self.item()]
            }
        }
    )*};
}

single_args!(isize, i64, i32, usize, RangeFull);

macro_rules! range_args {
    ($($t:ty),*) => {$(
        impl IndexArg for Range<$t> {
            fn items(&self) -> Vec<IndexItem> { vec![self.item()] }
        }
        impl IndexArg for RangeFrom<$t> {
            fn items(&self) -> Vec<IndexItem> { vec![self.item()] }
        }
        impl IndexArg for RangeTo<$t> {
            fn items(&self) -> Vec<IndexItem> { vec![self.item()] }
        }
        impl IndexArg for RangeInclusive<$t> {
            fn items(&self) -> Vec<IndexItem> { vec![self.item()] }
        }
        impl IndexArg for RangeToInclusive<$t> {
            fn items(&self) -> Vec<IndexItem> { vec![self.item()] }
        }
    )*};
}

range_args!(isize, i64, i32, usize);

macro_rules! tuple_args {
    ($($n:ident),+) => {
        impl<$($n: IndexPart),+> IndexArg for ($($n,)+) {
            #[allow(non_snake_case)]
            fn items(&self) -> Vec<IndexItem> {
                let ($($n,)+) = self;
                vec![$($n.item()),+]
            }
        }
    };
}

tuple_args!(A);
tuple_args!(A, B);
tuple_args!(A, B, C);
tuple_args!(A, B, C, D);

fn index_error(loc: &'static Location<'static>, msg: String) -> Error {
    Error::new(ErrorKind::Index, "index", msg).at(loc)
}

/// **Indexing sugar**: `x.i(..)`.
impl Tensor {
    /// `x[idx]` in the NumPy sense, for integers and ranges: an integer selects one position
    /// and drops its axis, a range keeps `start..end`; negative values count from the end; a
    /// tuple indexes the leading axes in turn and the rest are kept whole. An integer out of
    /// range, a bound outside `-len..=len` or a start after the end is an error at the
    /// caller's line. Differentiable (it is `narrow` and `reshape`).
    ///
    /// ```
    /// use cotangent::{DType, Tensor};
    /// let x = Tensor::arange(0.0, 12.0, 1.0, DType::F64).reshape(&[3, 4]);
    /// assert_eq!(x.i(1).to_vec::<f64>(), vec![4.0, 5.0, 6.0, 7.0]);
    /// assert_eq!(x.i(-1).dims(), &[4]);
    /// assert_eq!(x.i((.., 1..3)).to_vec::<f64>(), vec![1.0, 2.0, 5.0, 6.0, 9.0, 10.0]);
    /// assert_eq!(x.i((1.., -1)).to_vec::<f64>(), vec![7.0, 11.0]);
    /// assert_eq!(x.i((0, ..-2)).to_vec::<f64>(), vec![0.0, 1.0]);
    /// assert_eq!(x.i((2, 3)).item::<f64>(), 11.0);
    /// assert!(x.try_i(3).unwrap_err().to_string().contains("out of range"));
    /// ```
    #[track_caller]
    pub fn try_i<I: IndexArg>(&self, idx: I) -> Result<Tensor> {
        let loc = Location::caller();
        let items = idx.items();
        if items.len() > self.rank() {
            return Err(index_error(
                loc,
                format!(
                    "{} indices for a tensor of shape {} ({} axes)",
                    items.len(),
                    self.shape(),
                    self.rank()
                ),
            ));
        }
        let mut out = self.clone();
        let mut dims: Vec<usize> = Vec::with_capacity(self.rank());
        for (axis, item) in items.iter().enumerate() {
            let n = self.dims()[axis] as isize;
            let (start, len, keep) = match *item {
                IndexItem::At(k) => {
                    let r = if k < 0 { k + n } else { k };
                    if !(0..n).contains(&r) {
                        return Err(index_error(
                            loc,
                            format!(
                                "index {k} is out of range for axis {axis} of size {n} (shape {})",
                                self.shape()
                            ),
                        ));
                    }
                    (r, 1, false)
                }
                IndexItem::Range { start, end } => {
                    let bound = |b: Option<isize>, default: isize| -> Result<isize> {
                        let v = b.unwrap_or(default);
                        let r = if v < 0 { v + n } else { v };
                        if !(0..=n).contains(&r) {
                            return Err(index_error(
                                loc,
                                format!(
                                    "range bound {v} is out of range for axis {axis} of size {n} \
                                     (shape {})",
                                    self.shape()
                                ),
                            ));
                        }
                        Ok(r)
                    };
                    let (s, e) = (bound(start, 0)?, bound(end, n)?);
                    if s > e {
                        return Err(index_error(
                            loc,
                            format!(
                                "range {s}..{e} runs backwards on axis {axis} (shape {})",
                                self.shape()
                            ),
                        ));
                    }
                    (s, e - s, true)
                }
            };
            if (start, len) != (0, n) {
                out = out.try_narrow(axis as isize, start as usize, len as usize)?;
            }
            if keep {
                dims.push(len as usize);
            }
        }
        dims.extend_from_slice(&self.dims()[items.len()..]);
        if dims.len() != out.rank() {
            out = out.try_reshape(&dims)?;
        }
        Ok(out)
    }

    /// Integer and range indexing; see [`Tensor::try_i`].
    #[track_caller]
    pub fn i<I: IndexArg>(&self, idx: I) -> Tensor {
        match self.try_i(idx) {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        }
    }
}
