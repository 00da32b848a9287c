//! When to use threads: only for buffers large enough that splitting pays for itself.

use rayon::prelude::*;

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
