//! Shapes: the [`Shape`] type, element counts that refuse to overflow, NumPy broadcasting, and
//! axis normalization.

use std::fmt;
use std::ops::Deref;

use smallvec::SmallVec;

use super::error::{Error, Result};

/// Inline storage for small per-dimension lists (no allocation up to rank 4).
pub type Dims = SmallVec<[usize; 4]>;

/// The extent of each dimension of a tensor, outermost first. Rank 0 is a scalar.
///
/// ```
/// use cotangent::Shape;
/// let s = Shape::from(&[2, 3][..]);
/// assert_eq!(s.numel(), 6);
/// assert_eq!(s.to_string(), "[2, 3]");
/// ```
#[derive(PartialEq, Eq, Hash, Default)]
pub struct Shape(pub(crate) Dims);

impl Clone for Shape {
    /// A memcpy of the dims (SmallVec's own `clone` goes element by element).
    fn clone(&self) -> Shape {
        Shape(Dims::from_slice(&self.0))
    }
}

impl Shape {
    /// The scalar shape `[]`.
    pub fn scalar() -> Shape {
        Shape(Dims::new())
    }

    /// Number of dimensions.
    pub fn rank(&self) -> usize {
        self.0.len()
    }

    /// Number of elements. Shapes are checked at construction, so this cannot overflow.
    pub fn numel(&self) -> usize {
        self.0.iter().product()
    }

    /// Number of elements, or an error if the shape is too large for a buffer: as in NumPy, the
    /// product of the non-zero dims must not overflow (so strides of empty tensors cannot
    /// either), and it must fit a buffer of 8-byte elements (at most `isize::MAX` bytes, Rust's
    /// allocation limit).
    pub fn checked_numel(dims: &[usize]) -> Result<usize> {
        const MAX_NUMEL: usize = isize::MAX as usize / 8;
        dims.iter()
            .filter(|&&d| d != 0)
            .try_fold(1usize, |acc, &d| {
                acc.checked_mul(d).filter(|&n| n <= MAX_NUMEL)
            })
            .map(|n| if dims.contains(&0) { 0 } else { n })
            .ok_or_else(|| {
                Error::shape(
                    "shape",
                    format!(
                        "shape {dims:?} is too large: its element count overflows or exceeds \
                         {MAX_NUMEL}"
                    ),
                )
            })
    }

    /// A shape from dims, refusing ones whose element count overflows.
    pub fn try_new(dims: &[usize]) -> Result<Shape> {
        Self::checked_numel(dims)?;
        Ok(Shape(Dims::from_slice(dims)))
    }

    /// The dims as a slice.
    pub fn dims(&self) -> &[usize] {
        &self.0
    }

    /// Row-major (C order) strides for this shape.
    pub fn contiguous_strides(&self) -> Dims {
        let mut strides = Dims::from_elem(0, self.rank());
        let mut acc = 1usize;
        for i in (0..self.rank()).rev() {
            strides[i] = acc;
            acc *= self.0[i];
        }
        strides
    }
}

impl Deref for Shape {
    type Target = [usize];
    fn deref(&self) -> &[usize] {
        &self.0
    }
}

impl From<&[usize]> for Shape {
    fn from(d: &[usize]) -> Shape {
        Shape(Dims::from_slice(d))
    }
}

impl<const N: usize> From<[usize; N]> for Shape {
    fn from(d: [usize; N]) -> Shape {
        Shape(Dims::from_slice(&d))
    }
}

impl From<Vec<usize>> for Shape {
    fn from(d: Vec<usize>) -> Shape {
        Shape(Dims::from_vec(d))
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", &self.0[..])
    }
}

impl fmt::Debug for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", &self.0[..])
    }
}

/// The NumPy broadcast of two shapes, or `None` when they are incompatible.
pub fn broadcast_shapes(a: &[usize], b: &[usize]) -> Option<Shape> {
    let rank = a.len().max(b.len());
    let mut out = Dims::from_elem(0, rank);
    for i in 0..rank {
        let da = if i < rank - a.len() {
            1
        } else {
            a[i - (rank - a.len())]
        };
        let db = if i < rank - b.len() {
            1
        } else {
            b[i - (rank - b.len())]
        };
        out[i] = match (da, db) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => return None,
        };
    }
    Some(Shape(out))
}

/// Normalize a possibly negative axis against `rank`, naming `op` in the error.
pub fn normalize_axis(op: &'static str, axis: isize, rank: usize) -> Result<usize> {
    let r = rank as isize;
    let a = if axis < 0 { axis + r } else { axis };
    if a < 0 || a >= r {
        return Err(Error::axis(op, axis, rank));
    }
    Ok(a as usize)
}

/// Normalize, sort and deduplicate a list of axes.
pub fn normalize_axes(op: &'static str, axes: &[isize], rank: usize) -> Result<Dims> {
    let mut out = Dims::new();
    for &a in axes {
        let a = normalize_axis(op, a, rank)?;
        if out.contains(&a) {
            return Err(Error::shape(
                op,
                format!("axis {a} is repeated in {axes:?}"),
            ));
        }
        out.push(a);
    }
    out.sort_unstable();
    Ok(out)
}
