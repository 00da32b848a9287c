//! [`Layout`]: how a tensor's elements sit in its storage (shape, strides, offset). Views such as
//! transposes, slices and broadcasts only change the layout, never the data.

use super::shape::{Dims, Shape};

/// Shape, element strides and starting offset of a view into a storage buffer.
#[derive(Debug, PartialEq, Eq)]
pub struct Layout {
    /// Extent of each dimension.
    pub shape: Shape,
    /// Distance in elements between neighbours along each dimension (0 for broadcast dims).
    pub strides: Dims,
    /// Index of the first element in the storage.
    pub offset: usize,
}

impl Clone for Layout {
    fn clone(&self) -> Layout {
        Layout {
            shape: self.shape.clone(),
            strides: Dims::from_slice(&self.strides),
            offset: self.offset,
        }
    }
}

impl Layout {
    /// A row-major layout starting at offset 0.
    pub fn contiguous(shape: Shape) -> Layout {
        let strides = shape.contiguous_strides();
        Layout {
            shape,
            strides,
            offset: 0,
        }
    }

    /// Whether the elements are packed in row-major order (dims of size 1 may have any stride).
    pub fn is_contiguous(&self) -> bool {
        let mut expect = 1usize;
        for i in (0..self.shape.rank()).rev() {
            let d = self.shape[i];
            if d != 1 && self.strides[i] != expect {
                return false;
            }
            expect *= d;
        }
        true
    }

    /// Whether every stride is zero (a single value broadcast everywhere).
    pub fn is_broadcast_scalar(&self) -> bool {
        self.strides
            .iter()
            .zip(self.shape.iter())
            .all(|(&s, &d)| s == 0 || d == 1)
    }

    /// A view with dimensions reordered by `perm`.
    pub fn permute(&self, perm: &[usize]) -> Layout {
        Layout {
            shape: Shape(perm.iter().map(|&p| self.shape[p]).collect()),
            strides: perm.iter().map(|&p| self.strides[p]).collect(),
            offset: self.offset,
        }
    }

    /// A view broadcast to `shape` (NumPy rules; the caller has checked compatibility).
    pub fn broadcast_to(&self, shape: &Shape) -> Layout {
        let extra = shape.rank() - self.shape.rank();
        let mut strides = Dims::from_elem(0, shape.rank());
        for i in 0..self.shape.rank() {
            strides[extra + i] = if self.shape[i] == shape[extra + i] {
                self.strides[i]
            } else {
                0
            };
        }
        Layout {
            shape: shape.clone(),
            strides,
            offset: self.offset,
        }
    }

    /// A strided view `start, start+step, …` (`len` elements) along each axis.
    pub fn slice(&self, starts: &[usize], lens: &[usize], steps: &[usize]) -> Layout {
        let mut offset = self.offset;
        for i in 0..self.shape.rank() {
            if lens[i] > 0 {
                offset += starts[i] * self.strides[i];
            }
        }
        Layout {
            shape: Shape(Dims::from_slice(lens)),
            strides: self
                .strides
                .iter()
                .zip(steps)
                .map(|(&s, &st)| s * st)
                .collect(),
            offset,
        }
    }
}

/// Calls `f` with the storage offsets of every element, in row-major order of `shape`, for `K`
/// operands that share the shape but not the strides. Iterative (an odometer), so rank and size
/// never touch the stack.
pub fn for_each_offsets<const K: usize>(
    shape: &[usize],
    strides: [&[usize]; K],
    starts: [usize; K],
    mut f: impl FnMut([usize; K]),
) {
    let rank = shape.len();
    if shape.contains(&0) {
        return;
    }
    if rank == 0 {
        f(starts);
        return;
    }
    let inner = shape[rank - 1];
    let inner_strides: [usize; K] = std::array::from_fn(|k| strides[k][rank - 1]);
    let mut idx = Dims::from_elem(0, rank);
    let mut base = starts;
    loop {
        let mut offs = base;
        for _ in 0..inner {
            f(offs);
            for k in 0..K {
                offs[k] += inner_strides[k];
            }
        }
        // advance the outer dims
        let mut d = rank - 1;
        loop {
            if d == 0 {
                return;
            }
            d -= 1;
            idx[d] += 1;
            for k in 0..K {
                base[k] += strides[k][d];
            }
            if idx[d] < shape[d] {
                break;
            }
            for k in 0..K {
                base[k] -= strides[k][d] * shape[d];
            }
            idx[d] = 0;
        }
    }
}
