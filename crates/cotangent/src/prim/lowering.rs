//! Helpers for writing elementwise rules: block loops over one, two or three operands, and
//! the AVX2 trampoline. The description types themselves ([`Lowering`], [`Elementwise`], …)
//! live in [`crate::core::lowering`] and are re-exported here.

pub use crate::core::lowering::*;

/// Run `f`, a loop over `n` elements, compiled for AVX2 when the CPU has it and `n` is large
/// enough to pay for the check (8 f32 lanes instead of SSE2's 4; the results are identical, as
/// Rust never contracts `a * b + c`).
#[inline(always)]
pub(crate) fn vectorized<R>(n: usize, f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    if n >= 32 && std::is_x86_feature_detected!("avx2") {
        #[target_feature(enable = "avx2")]
        fn go<R>(f: impl FnOnce() -> R) -> R {
            f()
        }
        // SAFETY: `go` only requires the CPU to support AVX2, checked just above.
        return unsafe { go(f) };
    }
    f()
}

/// `out[i] = k(a[i])`.
#[inline(always)]
pub(crate) fn block1<T: Copy>(out: &mut [T], ins: &[&[T]], k: impl Fn(T) -> T) {
    for (o, &x) in out.iter_mut().zip(ins[0]) {
        *o = k(x);
    }
}

/// `out[i] = k(a[i], b[i])`.
#[inline(always)]
pub(crate) fn block2<T: Copy>(out: &mut [T], ins: &[&[T]], k: impl Fn(T, T) -> T) {
    for ((o, &x), &y) in out.iter_mut().zip(ins[0]).zip(ins[1]) {
        *o = k(x, y);
    }
}

/// `out[i] = k(a[i], b[i], c[i])`.
#[inline(always)]
pub(crate) fn block3<T: Copy>(out: &mut [T], ins: &[&[T]], k: impl Fn(T, T, T) -> T) {
    for (((o, &x), &y), &z) in out.iter_mut().zip(ins[0]).zip(ins[1]).zip(ins[2]) {
        *o = k(x, y, z);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectorized_runs_the_closure() {
        let mut out = [0.0f32; 5];
        vectorized(5, || {
            block2(&mut out, &[&[1.0; 5], &[2.0; 5]], |x, y| x + y)
        });
        assert_eq!(out, [3.0; 5]);
    }
}
