//! When to use threads: only for buffers large enough that splitting pays for itself.

use rayon::prelude::*;

use crate::core::storage::Buf;

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

/// `f` over a slice into a new buffer (written once, never zero-filled first).
pub fn map_slice<T: Sync, U: Send>(src: &[T], f: impl Fn(&T) -> U + Sync + Send) -> Buf<U> {
    if src.len() >= PAR_THRESHOLD {
        let mut v = Vec::with_capacity(src.len());
        src.par_iter()
            .with_min_len(CHUNK)
            .map(f)
            .collect_into_vec(&mut v);
        Buf::from_vec(v)
    } else {
        src.iter().map(f).collect()
    }
}

/// `f` over two slices of one length into a new buffer.
pub fn zip_slices<A: Sync, B: Sync, U: Send>(
    a: &[A],
    b: &[B],
    f: impl Fn(&A, &B) -> U + Sync + Send,
) -> Buf<U> {
    if a.len() >= PAR_THRESHOLD {
        let mut v = Vec::with_capacity(a.len());
        a.par_iter()
            .with_min_len(CHUNK)
            .zip(b.par_iter())
            .map(|(x, y)| f(x, y))
            .collect_into_vec(&mut v);
        Buf::from_vec(v)
    } else {
        a.iter().zip(b).map(|(x, y)| f(x, y)).collect()
    }
}
