//! Reading a strided view (a broadcast, a transpose, a slice) into a fused loop in place: each
//! block of the loop gathers its elements, in row-major order, straight from the view's
//! storage into a scratch block, instead of the view being packed into a new buffer on every
//! call. Runs along the innermost dimension are filled (stride 0: a row broadcast), copied
//! (stride 1: a column broadcast such as a bias) or stepped (a transpose). A `concat` or
//! `pad` along the first axis is read the same way, as runs copied from its operands or filled.

use smallvec::SmallVec;

use crate::core::layout::Layout;

/// A view of `data`: its dimensions and strides with size-1 dimensions dropped and neighbours
/// that step as one merged, read from logical element `base` on (a chunk of a split loop
/// starts further in).
#[derive(Clone, Debug)]
pub(crate) struct Strided<'a, T> {
    data: &'a [T],
    offset: usize,
    dims: SmallVec<[usize; 4]>,
    strides: SmallVec<[usize; 4]>,
    base: usize,
    /// When not empty, the view is these runs one after another instead (a `concat` or `pad`
    /// along the first axis, see `pieces`).
    runs: &'a [Run<'a, T>],
}

/// One run of a piecewise view: `len` elements copied from `src` (contiguous) or, without
/// one, `fill` repeated.
#[derive(Clone, Debug)]
pub(crate) struct Run<'a, T> {
    pub len: usize,
    pub src: Option<&'a [T]>,
    pub fill: T,
}

impl<'a, T: Copy> Strided<'a, T> {
    /// The view `layout` of `data` (the whole storage).
    pub(crate) fn new(data: &'a [T], layout: &Layout) -> Strided<'a, T> {
        let mut dims: SmallVec<[usize; 4]> = SmallVec::new();
        let mut strides: SmallVec<[usize; 4]> = SmallVec::new();
        for (&d, &s) in layout.shape.iter().zip(layout.strides.iter()) {
            if d == 1 {
                continue;
            }
            // Stepping the previous dimension once is stepping this one `d` times: merge.
            match (dims.last_mut(), strides.last_mut()) {
                (Some(pd), Some(ps)) if *ps == s * d => {
                    *pd *= d;
                    *ps = s;
                }
                _ => {
                    dims.push(d);
                    strides.push(s);
                }
            }
        }
        if dims.is_empty() {
            dims.push(1);
            strides.push(0);
        }
        Strided {
            data,
            offset: layout.offset,
            dims,
            strides,
            base: 0,
            runs: &[],
        }
    }

    /// The view that is `runs` one after another.
    pub(crate) fn runs(runs: &'a [Run<'a, T>]) -> Strided<'a, T> {
        Strided {
            data: &[],
            offset: 0,
            dims: SmallVec::new(),
            strides: SmallVec::new(),
            base: 0,
            runs,
        }
    }

    /// [`Strided::read`] of a piecewise view.
    fn read_runs(&self, off: usize, dst: &mut [T]) {
        let mut pos = self.base + off;
        let mut start = 0;
        let mut w = 0;
        for r in self.runs {
            if w == dst.len() {
                break;
            }
            let end = start + r.len;
            if pos < end {
                let take = (end - pos).min(dst.len() - w);
                let out = &mut dst[w..w + take];
                match r.src {
                    Some(src) => out.copy_from_slice(&src[pos - start..pos - start + take]),
                    None => out.fill(r.fill),
                }
                w += take;
                pos += take;
            }
            start = end;
        }
    }

    /// The same view read from logical element `start` on.
    pub(crate) fn from(&self, start: usize) -> Strided<'a, T> {
        Strided {
            base: self.base + start,
            ..self.clone()
        }
    }

    /// Fill `dst` with the view's elements `base + off ..`, in row-major order.
    #[inline]
    pub(crate) fn read(&self, off: usize, dst: &mut [T]) {
        if !self.runs.is_empty() {
            return self.read_runs(off, dst);
        }
        let rank = self.dims.len();
        let (dims, strides) = (&self.dims[..], &self.strides[..]);
        let mut idx: SmallVec<[usize; 4]> = SmallVec::from_elem(0, rank);
        let mut rem = self.base + off;
        let mut pos = self.offset;
        for d in (0..rank).rev() {
            idx[d] = rem % dims[d];
            rem /= dims[d];
            pos += idx[d] * strides[d];
        }
        let (inner, step) = (dims[rank - 1], strides[rank - 1]);
        let mut w = 0;
        while w < dst.len() {
            let run = (inner - idx[rank - 1]).min(dst.len() - w);
            let out = &mut dst[w..w + run];
            match step {
                0 => out.fill(self.data[pos]),
                1 => out.copy_from_slice(&self.data[pos..pos + run]),
                _ => {
                    for (j, o) in out.iter_mut().enumerate() {
                        *o = self.data[pos + j * step];
                    }
                }
            }
            w += run;
            idx[rank - 1] += run;
            pos += run * step;
            if idx[rank - 1] < inner || w == dst.len() {
                continue;
            }
            // Carry into the outer dimensions.
            pos -= inner * step;
            idx[rank - 1] = 0;
            for d in (0..rank - 1).rev() {
                idx[d] += 1;
                pos += strides[d];
                if idx[d] < dims[d] {
                    break;
                }
                pos -= dims[d] * strides[d];
                idx[d] = 0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::Shape;

    /// Every element of `layout` over `data`, by the odometer the eager kernels use.
    fn reference(data: &[f64], layout: &Layout) -> Vec<f64> {
        let mut out = Vec::new();
        crate::core::layout::for_each_offsets(
            layout.shape.dims(),
            [&layout.strides],
            [layout.offset],
            |[o]| out.push(data[o]),
        );
        out
    }

    fn check(data: &[f64], layout: &Layout) {
        let want = reference(data, layout);
        let v = Strided::new(data, layout);
        // Whole, in odd-sized blocks, and from a later start.
        for block in [want.len().max(1), 1, 3, 7, 64] {
            let mut got = vec![f64::NAN; want.len()];
            for (i, c) in got.chunks_mut(block).enumerate() {
                v.read(i * block, c);
            }
            assert_eq!(got, want, "{layout:?} in blocks of {block}");
        }
        if want.len() > 5 {
            let mut got = vec![0.0; want.len() - 5];
            v.from(5).read(0, &mut got);
            assert_eq!(got, want[5..], "{layout:?} from 5");
        }
    }

    #[test]
    fn reads_broadcasts_transposes_and_slices_in_row_major_order() {
        let data: Vec<f64> = (0..120).map(|i| i as f64).collect();
        let base = Layout::contiguous(Shape::from(&[4, 5, 6][..]));
        check(&data, &base);
        check(&data, &base.permute(&[2, 0, 1]));
        check(&data, &base.permute(&[1, 2, 0]));
        check(&data, &base.slice(&[1, 0, 2], &[2, 5, 3], &[1, 2, 1]));
        // A row broadcast ([4, 1] -> [4, 9]), a column broadcast ([6] -> [3, 6]) and a
        // middle one ([4, 1, 6] -> [4, 2, 6]).
        let rows = Layout::contiguous(Shape::from(&[4, 1][..]));
        check(&data, &rows.broadcast_to(&Shape::from(&[4, 9][..])));
        let cols = Layout::contiguous(Shape::from(&[6][..]));
        check(&data, &cols.broadcast_to(&Shape::from(&[3, 6][..])));
        let mid = Layout::contiguous(Shape::from(&[4, 1, 6][..]));
        check(&data, &mid.broadcast_to(&Shape::from(&[4, 2, 6][..])));
        // A one-element view and an offset one.
        check(&data, &Layout::contiguous(Shape::from(&[1, 1][..])));
        let mut off = Layout::contiguous(Shape::from(&[3, 2][..])).permute(&[1, 0]);
        off.offset = 7;
        check(&data, &off);
    }
}
