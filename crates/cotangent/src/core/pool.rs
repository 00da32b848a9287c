//! A small per-thread cache of large element buffers. Eager code allocates a fresh output for
//! every op; for large tensors the allocator would hand the memory back to the system and fault
//! it in again on the next op (a third of an eager Hessian-vector product's time went to page
//! faults). Buffers of at least 64 KiB are kept here when a storage drops and reused by the
//! next kernel that needs one of the same capacity. At most 32 buffers and 128 MiB per thread
//! are kept.

use std::cell::RefCell;
use std::thread::LocalKey;

use super::dtype::Element;

const MIN_BYTES: usize = 64 * 1024;
const MAX_BYTES: usize = 128 << 20;
const MAX_ENTRIES: usize = 32;

/// Cached buffers of one element type.
#[derive(Default)]
pub struct Pool<T> {
    bufs: Vec<Vec<T>>,
    bytes: usize,
}

/// The per-thread pool of an element type.
pub trait Pooled: Sized + 'static {
    /// This thread's pool for `Self`.
    fn pool() -> &'static LocalKey<RefCell<Pool<Self>>>;
}

macro_rules! pooled {
    ($t:ty, $name:ident) => {
        thread_local! {
            static $name: RefCell<Pool<$t>> = RefCell::new(Pool { bufs: Vec::new(), bytes: 0 });
        }
        impl Pooled for $t {
            fn pool() -> &'static LocalKey<RefCell<Pool<Self>>> {
                &$name
            }
        }
    };
}

pooled!(f32, POOL_F32);
pooled!(f64, POOL_F64);
pooled!(half::f16, POOL_F16);
pooled!(half::bf16, POOL_BF16);
pooled!(i64, POOL_I64);
pooled!(bool, POOL_BOOL);

fn worth_pooling<T>(capacity: usize) -> bool {
    capacity * std::mem::size_of::<T>() >= MIN_BYTES
}

/// An empty vector with room for `n` elements, reused from the pool when one fits exactly.
pub(crate) fn take<T: Element>(n: usize) -> Vec<T> {
    if worth_pooling::<T>(n) {
        let reused = T::pool()
            .try_with(|p| {
                let mut p = p.borrow_mut();
                let i = p.bufs.iter().position(|b| b.capacity() == n)?;
                let buf = p.bufs.swap_remove(i);
                p.bytes -= n * std::mem::size_of::<T>();
                Some(buf)
            })
            .ok()
            .flatten();
        if let Some(mut buf) = reused {
            buf.clear();
            return buf;
        }
    }
    Vec::with_capacity(n)
}

/// Hand a buffer back for reuse (dropped if small, or if the pool is full).
pub(crate) fn give<T: Element>(buf: Vec<T>) {
    let bytes = buf.capacity() * std::mem::size_of::<T>();
    if !worth_pooling::<T>(buf.capacity()) || bytes > MAX_BYTES {
        return;
    }
    let _ = T::pool().try_with(|p| {
        let mut p = p.borrow_mut();
        if p.bufs.len() >= MAX_ENTRIES || p.bytes + bytes > MAX_BYTES {
            // Make room by dropping the oldest entry.
            if p.bufs.is_empty() {
                return;
            }
            let old = p.bufs.remove(0);
            p.bytes -= old.capacity() * std::mem::size_of::<T>();
            if p.bytes + bytes > MAX_BYTES {
                return;
            }
        }
        p.bytes += bytes;
        p.bufs.push(buf);
    });
}

/// A vector of `n` copies of `x`, from a pooled buffer when possible.
pub(crate) fn filled<T: Element>(n: usize, x: T) -> Vec<T> {
    let mut v = take(n);
    v.resize(n, x);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_buffers_are_reused_and_small_ones_are_not() {
        let n = 1 << 15; // 128 KiB of f32
        let v = filled(n, 1.0f32);
        let ptr = v.as_ptr();
        give(v);
        let again: Vec<f32> = take(n);
        assert_eq!(again.as_ptr(), ptr, "the same allocation comes back");
        assert!(again.is_empty() && again.capacity() >= n);
        give(vec![0.0f32; 4]);
        assert_eq!(f32::pool().with(|p| p.borrow().bufs.len()), 0);
    }

    #[test]
    fn the_pool_is_bounded() {
        for _ in 0..100 {
            give(Vec::<f64>::with_capacity(1 << 20));
        }
        f64::pool().with(|p| {
            let p = p.borrow();
            assert!(p.bufs.len() <= MAX_ENTRIES && p.bytes <= MAX_BYTES);
        });
    }
}
