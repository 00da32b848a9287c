//! Vectorizable `exp`, `sin`, `cos` and `tanh` in f32 and f64, and `erfc` in f32, the fast
//! paths of those primitives (eager kernels and fused loops run them alike; f64 `erfc` stays
//! libm's, called per element). Each kernel is straight-line
//! arithmetic, selects and bit casts, so the compiler turns a block loop into SIMD code; the
//! block entry points run that loop compiled for the widest vector unit the CPU has. The
//! kernels and their measured accuracy are in [`single`] (f32) and [`double`] (f64).

/// The [`Fast`] impl of a float type, from its module's `exp`, `tanh`, `erfc`, `sin_cos(x, shift)`
/// and `TRIG_LIMIT` (shift `$shift` is 1 for the cosine).
macro_rules! fast_impl {
    ($t:ty, $shift:ty) => {
        impl super::Fast for $t {
            #[inline(always)]
            fn exp(x: $t) -> $t {
                exp(x)
            }
            #[inline(always)]
            fn tanh(x: $t) -> $t {
                tanh(x)
            }
            #[inline(always)]
            fn erfc(x: $t) -> $t {
                erfc(x)
            }
            #[inline(always)]
            fn sin_cos(x: $t, cos: bool) -> $t {
                sin_cos(x, <$shift>::from(cos))
            }
            #[inline(always)]
            fn needs_std(x: $t) -> bool {
                x.is_nan() || x.abs() > TRIG_LIMIT
            }
            fn std_sin_cos(x: $t, cos: bool) -> $t {
                if cos {
                    x.cos()
                } else {
                    x.sin()
                }
            }
        }
    };
}

mod double;
mod single;

/// Which kernel a block runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    Exp,
    Tanh,
    Erfc,
    Sin,
    Cos,
}

/// A float type with fast scalar kernels, written so that a loop over them vectorizes.
pub(crate) trait Fast: Copy {
    /// `e^x`.
    fn exp(x: Self) -> Self;
    /// `tanh(x)`.
    fn tanh(x: Self) -> Self;
    /// `erfc(x)`.
    fn erfc(x: Self) -> Self;
    /// `sin(x)`, or `cos(x)` with `cos`, by the fast reduction.
    fn sin_cos(x: Self, cos: bool) -> Self;
    /// Whether the fast reduction cannot serve `x` (NaN, or too large an argument).
    fn needs_std(x: Self) -> bool;
    /// `sin(x)` or `cos(x)` from the standard library.
    fn std_sin_cos(x: Self, cos: bool) -> Self;
}

/// `op` over `a` into `d`, compiled for whatever target features the caller enables.
#[inline(always)]
fn apply<T: Fast>(op: Op, d: &mut [T], a: &[T]) {
    match op {
        Op::Exp => d.iter_mut().zip(a).for_each(|(o, &x)| *o = T::exp(x)),
        Op::Tanh => d.iter_mut().zip(a).for_each(|(o, &x)| *o = T::tanh(x)),
        // A `for` loop: `for_each` here was left out of line (compiled without the caller's
        // target features, so scalar).
        Op::Erfc => {
            for (o, &x) in d.iter_mut().zip(a) {
                *o = T::erfc(x);
            }
        }
        Op::Sin | Op::Cos => {
            let cos = op == Op::Cos;
            d.iter_mut()
                .zip(a)
                .for_each(|(o, &x)| *o = T::sin_cos(x, cos));
            // The check over the whole block comes first so that the vectorizer, which would
            // otherwise call the library for every lane and blend, leaves the common case alone.
            // (A fold rather than `any`, whose early exit would keep the check scalar.)
            if a.iter().fold(false, |any, &x| any | T::needs_std(x)) {
                for (o, &x) in d.iter_mut().zip(a) {
                    if T::needs_std(x) {
                        *o = std_out_of_line(x, cos);
                    }
                }
            }
        }
    }
}

/// [`Fast::std_sin_cos`], out of line so that it is called only for the elements that need it.
#[cold]
#[inline(never)]
fn std_out_of_line<T: Fast>(x: T, cos: bool) -> T {
    T::std_sin_cos(x, cos)
}

/// `exp` over a block.
pub(crate) fn exp_block<T: Fast>(d: &mut [T], a: &[T]) {
    run(Op::Exp, d, a)
}

/// `tanh` over a block.
pub(crate) fn tanh_block<T: Fast>(d: &mut [T], a: &[T]) {
    run(Op::Tanh, d, a)
}

/// `erfc` over a block.
pub(crate) fn erfc_block<T: Fast>(d: &mut [T], a: &[T]) {
    run(Op::Erfc, d, a)
}

/// `sin` over a block.
pub(crate) fn sin_block<T: Fast>(d: &mut [T], a: &[T]) {
    run(Op::Sin, d, a)
}

/// `cos` over a block.
pub(crate) fn cos_block<T: Fast>(d: &mut [T], a: &[T]) {
    run(Op::Cos, d, a)
}

/// Apply `op` to a block. On x86-64 CPUs with AVX-512 the loop runs compiled for it (16 f32 or
/// 8 f64 lanes), else with AVX2 and FMA (8 or 4), else with the baseline SSE2. The results are
/// bit-identical whichever runs, as Rust never contracts `a * b + c` into an FMA on its own.
fn run<T: Fast>(op: Op, d: &mut [T], a: &[T]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx512f") {
            // SAFETY: `run_avx512` only requires the CPU to support AVX-512F, checked just
            // above; it has no other preconditions.
            return unsafe { run_avx512(op, d, a) };
        }
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: `run_avx2` only requires the CPU to support AVX2 and FMA, checked just
            // above; it has no other preconditions.
            return unsafe { run_avx2(op, d, a) };
        }
    }
    apply(op, d, a)
}

/// [`apply`] compiled for AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn run_avx512<T: Fast>(op: Op, d: &mut [T], a: &[T]) {
    apply(op, d, a)
}

/// [`apply`] compiled for AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn run_avx2<T: Fast>(op: Op, d: &mut [T], a: &[T]) {
    apply(op, d, a)
}
