//! A small per-thread cache of large element buffers. Eager code allocates a fresh output for
//! every op; for large tensors the allocator would hand the memory back to the system and fault
//! it in again on the next op (a third of an eager Hessian-vector product's time went to page
//! faults). Buffers of at least 64 KiB are kept here when a storage drops and reused by the
//! next kernel that needs one of the same capacity. At most 32 buffers and 128 MiB per thread
//! are kept.
//!
//! A compiled program runs inside [`in_program`] with a [`Reserve`] of its own in place of the
//! thread's pool: every buffer its steps free (of any size) is kept there, with the shell of the
//! reference count that held it, and handed to the step that asks for the same capacity next,
//! in this run or the next. So a program's second run asks the allocator for none of what its
//! first run freed on its thread: matmul and reduction outputs, scratch rows, packed operands
//! (what rayon workers free goes to their own pools; a buffer beyond the bounds is dropped).

use std::cell::{Cell, RefCell};
use std::sync::Arc;
use std::thread::LocalKey;

use super::dtype::{DType, Element};
use super::storage::{Storage, Value};

const MIN_BYTES: usize = 64 * 1024;
const MAX_BYTES: usize = 128 << 20;
const MAX_ENTRIES: usize = 32;
/// The bounds of a program's reserve, for each element type: every buffer it frees, up to
/// these.
const PROGRAM_MAX_BYTES: usize = 512 << 20;
const PROGRAM_MAX_ENTRIES: usize = 1024;

thread_local! {
    /// Whether a program runs on this thread now (a program inside it shares its reserve).
    static IN_PROGRAM: Cell<bool> = const { Cell::new(false) };
    /// Reference-count shells whose storage was freed inside a program, for its next values.
    static SHELLS: RefCell<Vec<Arc<Storage>>> = const { RefCell::new(Vec::new()) };
}

fn in_program_now() -> bool {
    IN_PROGRAM.try_with(Cell::get).unwrap_or(false)
}

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
    capacity > 0 && (in_program_now() || capacity * std::mem::size_of::<T>() >= MIN_BYTES)
}

/// The bounds on what the current pool keeps: (bytes, entries).
fn bounds() -> (usize, usize) {
    if in_program_now() {
        (PROGRAM_MAX_BYTES, PROGRAM_MAX_ENTRIES)
    } else {
        (MAX_BYTES, MAX_ENTRIES)
    }
}

/// An empty vector with room for `n` elements, reused from the pool when one fits exactly.
pub(crate) fn take<T: Element>(n: usize) -> Vec<T> {
    if worth_pooling::<T>(n) {
        let reused = T::pool()
            .try_with(|p| {
                let mut p = p.borrow_mut();
                let i = p.bufs.iter().rposition(|b| b.capacity() == n)?;
                let buf = p.bufs.remove(i);
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
    let (max_bytes, max_entries) = bounds();
    if !worth_pooling::<T>(buf.capacity()) || bytes > max_bytes {
        return;
    }
    let _ = T::pool().try_with(|p| {
        let mut p = p.borrow_mut();
        if p.bufs.len() >= max_entries || p.bytes + bytes > max_bytes {
            // Make room by dropping the oldest entry.
            if p.bufs.is_empty() {
                return;
            }
            let old = p.bufs.remove(0);
            p.bytes -= old.capacity() * std::mem::size_of::<T>();
            if p.bytes + bytes > max_bytes {
                return;
            }
        }
        p.bytes += bytes;
        p.bufs.push(buf);
    });
}

/// An empty element buffer with room for `n`: inline for at most two elements, else pooled.
pub(crate) fn take_buf<T: Element>(n: usize) -> super::storage::Buf<T> {
    if n <= 2 {
        super::storage::Buf::with_capacity(n)
    } else {
        super::storage::Buf::from_vec(take(n))
    }
}

/// A buffer of `n` copies of `x`: inline for at most two elements (no allocation), else a
/// pooled vector.
pub(crate) fn filled_buf<T: Element>(n: usize, x: T) -> super::storage::Buf<T> {
    if n <= 2 {
        super::storage::Buf::from_elem(x, n)
    } else {
        super::storage::Buf::from_vec(filled(n, x))
    }
}

/// A vector of `n` copies of `x`, from a pooled buffer when possible.
pub(crate) fn filled<T: Element>(n: usize, x: T) -> Vec<T> {
    let mut v = take(n);
    v.resize(n, x);
    v
}

/// The reference count for a new value holding `s`: a shell freed earlier in this program when
/// there is one (see [`recycle`]), else a new allocation.
pub(crate) fn shell(s: Storage) -> Arc<Storage> {
    if in_program_now() {
        if let Some(mut a) = SHELLS.try_with(|v| v.borrow_mut().pop()).ok().flatten() {
            if let Some(slot) = Arc::get_mut(&mut a) {
                *slot = s;
                return a;
            }
        }
    }
    Arc::new(s)
}

/// Drop `v` inside a program: when nobody else holds its storage, the buffer goes to the
/// program's pool and the emptied reference count to its shells, for the values that follow.
pub(crate) fn recycle(mut v: Value) {
    if !in_program_now() {
        return;
    }
    if let Some(s) = Arc::get_mut(&mut v.storage) {
        // Dropping the old storage hands its buffer to the pool.
        *s = Storage::Abstract(DType::F32);
        let _ = SHELLS.try_with(|sh| {
            let mut sh = sh.borrow_mut();
            if sh.len() < PROGRAM_MAX_ENTRIES {
                sh.push(v.storage);
            }
        });
    }
}

/// A compiled program's own buffers and shells, kept between its runs (see [`in_program`]).
#[derive(Default)]
pub(crate) struct Reserve {
    f32: Pool<f32>,
    f64: Pool<f64>,
    f16: Pool<half::f16>,
    bf16: Pool<half::bf16>,
    i64: Pool<i64>,
    bool: Pool<bool>,
    shells: Vec<Arc<Storage>>,
}

impl std::fmt::Debug for Reserve {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let bytes = self.f32.bytes
            + self.f64.bytes
            + self.f16.bytes
            + self.bf16.bytes
            + self.i64.bytes
            + self.bool.bytes;
        write!(f, "Reserve({bytes} bytes, {} shells)", self.shells.len())
    }
}

impl Reserve {
    /// Exchange this reserve with the thread's pools and shells.
    fn swap(&mut self) {
        fn one<T: Pooled>(mine: &mut Pool<T>) {
            let _ = T::pool().try_with(|p| std::mem::swap(&mut *p.borrow_mut(), mine));
        }
        one(&mut self.f32);
        one(&mut self.f64);
        one(&mut self.f16);
        one(&mut self.bf16);
        one(&mut self.i64);
        one(&mut self.bool);
        let _ = SHELLS.try_with(|s| std::mem::swap(&mut *s.borrow_mut(), &mut self.shells));
    }
}

/// Run `f` (one run of a compiled program) with `reserve` as this thread's pool: buffers and
/// shells freed inside are kept in it for the next run. The thread's own pool is put back
/// afterwards, also when `f` panics.
pub(crate) fn in_program<R>(reserve: &mut Reserve, f: impl FnOnce() -> R) -> R {
    if in_program_now() {
        // A program inside a program (a compiled loop body) shares the outer one's reserve, so
        // the values it frees and the ones the outer steps free stay in one place.
        return f();
    }
    struct Restore<'a>(&'a mut Reserve);
    impl Drop for Restore<'_> {
        fn drop(&mut self) {
            self.0.swap();
            let _ = IN_PROGRAM.try_with(|d| d.set(false));
        }
    }
    reserve.swap();
    let _ = IN_PROGRAM.try_with(|d| d.set(true));
    let _restore = Restore(reserve);
    f()
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
