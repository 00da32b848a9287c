//! Fallible allocation. Rust aborts the process when the allocator refuses a buffer, so before
//! a kernel or a constructor allocates a large one, the allocator is asked first
//! (`try_reserve_exact`, released at once: a large block is only address space until touched)
//! and a refusal comes back as an [`ErrorKind::OutOfMemory`] error naming the operation and the
//! byte count, at the caller's line. `bind` asks for every primitive's output (and for the
//! copies its kernel makes of non-contiguous inputs); constructors ask for theirs.

use super::error::{Error, ErrorKind, Result};

/// Requests below this many bytes are not probed (the probe would cost more than it saves,
/// and an allocator that refuses 16 MiB is out of memory whatever we do).
const PROBE_BYTES: usize = 16 << 20;

/// `Ok` when the allocator can hand out `bytes` now; an out-of-memory error for `op` otherwise
/// (also when the byte count itself overflows, given as `None`).
pub(crate) fn ensure(op: &'static str, bytes: Option<usize>) -> Result<()> {
    let Some(bytes) = bytes else {
        return Err(oom(op, "more than usize::MAX bytes".to_string()));
    };
    if bytes < PROBE_BYTES {
        return Ok(());
    }
    let mut probe: Vec<u8> = Vec::new();
    probe.try_reserve_exact(bytes).map_err(|_| {
        oom(
            op,
            format!(
                "{bytes} bytes ({:.1} GiB)",
                bytes as f64 / (1u64 << 30) as f64
            ),
        )
    })
}

fn oom(op: &'static str, what: String) -> Error {
    Error::new(
        ErrorKind::OutOfMemory,
        op,
        format!("out of memory: the allocator refused {what} for the result"),
    )
}

/// Bytes of `numel` elements of `elem_size` bytes, `None` on overflow.
pub(crate) fn bytes_of(numel: usize, elem_size: usize) -> Option<usize> {
    numel.checked_mul(elem_size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_and_satisfiable_requests_pass_and_impossible_ones_are_errors() {
        assert!(ensure("x", Some(1024)).is_ok());
        assert!(ensure("x", Some(32 << 20)).is_ok());
        let e = ensure("zeros", Some(1 << 62)).unwrap_err();
        assert_eq!(e.kind, ErrorKind::OutOfMemory);
        assert!(e.to_string().contains("4611686018427387904 bytes"), "{e}");
        assert!(ensure("zeros", None).is_err());
    }
}
