//! When to use threads: only for buffers large enough that splitting pays for itself.

use rayon::prelude::*;

use crate::core::pool;
use crate::core::storage::Buf;
use crate::core::Element;

/// Elements below which kernels stay on the calling thread.
pub const PAR_THRESHOLD: usize = 1 << 16;

const CHUNK: usize = 1 << 14;

/// Run `body(start, chunk)` over `out` in chunks, on the rayon pool when `out` is large.
pub fn chunked_mut<T: Send>(out: &mut [T], body: impl Fn(usize, &mut [T]) + Sync + Send) {
    if out.len() >= PAR_THRESHOLD {
        out.par_chunks_mut(CHUNK)
            .enumerate()
            .for_each(|(i, c)| body(i * CHUNK, c));
    } else {
        body(0, out);
    }
}

/// Below this many elements an output is collected straight into an inline-capable buffer.
const SMALL: usize = 64;

/// `f` over a slice into a new buffer (written once, never zero-filled first).
pub fn map_slice<T: Sync, U: Element>(src: &[T], f: impl Fn(&T) -> U + Sync + Send) -> Buf<U> {
    let n = src.len();
    if n <= SMALL {
        return src.iter().map(f).collect();
    }
    let mut v = pool::take(n);
    if n >= PAR_THRESHOLD {
        src.par_iter()
            .with_min_len(CHUNK)
            .map(f)
            .collect_into_vec(&mut v);
    } else {
        v.extend(src.iter().map(f));
    }
    Buf::from_vec(v)
}

/// `f` over two slices of one length into a new buffer.
pub fn zip_slices<A: Sync, B: Sync, U: Element>(
    a: &[A],
    b: &[B],
    f: impl Fn(&A, &B) -> U + Sync + Send,
) -> Buf<U> {
    let n = a.len();
    if n <= SMALL {
        return a.iter().zip(b).map(|(x, y)| f(x, y)).collect();
    }
    let mut v = pool::take(n);
    if n >= PAR_THRESHOLD {
        let pairs = a.par_iter().with_min_len(CHUNK).zip(b.par_iter());
        pairs.map(|(x, y)| f(x, y)).collect_into_vec(&mut v);
    } else {
        v.extend(a.iter().zip(b).map(|(x, y)| f(x, y)));
    }
    Buf::from_vec(v)
}
