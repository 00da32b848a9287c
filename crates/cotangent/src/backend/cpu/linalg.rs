//! Dense linear-algebra kernels over batches of square matrices (the last two axes): Cholesky,
//! triangular solves and the symmetric eigendecomposition through `faer`, and a LAPACK-style
//! LU with partial pivoting for solve, `log|det|` and its sign, `det`, and the cofactor matrix
//! (computed as JAX does, so that it stays finite at singular matrices). Every batch element
//! is copied into row-major scratch and factored on one thread (`Par::Seq`): the matrices here
//! are small and many. Numerical failure is never a panic: a Cholesky that meets a
//! non-positive pivot gives a triangle of NaNs, a zero LU pivot the infinities or NaNs of the
//! division, as JAX; an eigendecomposition of a non-finite matrix gives NaNs.

use crate::core::{Real, Shape, Value};

#[cfg(feature = "faer")]
pub use super::linalg_faer::{
    cholesky, eigh, qr, solve, solve_unit_lower, solve_upper, svd, triangular_solve,
};
#[cfg(not(feature = "faer"))]
pub use super::linalg_faer_off::{
    cholesky, eigh, qr, solve_unit_lower, solve_upper, svd, triangular_solve,
};

/// The float types the kernels run on (f32 and f64).
#[cfg(feature = "faer")]
pub trait LinalgFloat:
    Real
    + faer::traits::RealField
    + std::ops::MulAssign
    + std::ops::SubAssign
    + std::ops::AddAssign
    + std::ops::DivAssign
{
}
/// The float types the kernels run on (f32 and f64).
#[cfg(not(feature = "faer"))]
pub trait LinalgFloat:
    Real + std::ops::MulAssign + std::ops::SubAssign + std::ops::AddAssign + std::ops::DivAssign
{
}
impl LinalgFloat for f32 {}
impl LinalgFloat for f64 {}

/// The matrix size `n` and the number of matrices of a `[..., n, m]` value.
pub(crate) fn dims(v: &Value) -> (usize, usize, usize) {
    let d = v.shape().dims();
    let r = d.len();
    let (n, m) = (d[r - 2], d[r - 1]);
    (d[..r - 2].iter().product(), n, m)
}

/// One matrix factored in place as `P A = L U` (unit `L` below the diagonal, `U` on and above)
/// by LAPACK's `getf2`: the first largest `|a|` of a column is its pivot, and a zero pivot
/// (a column that is zero from the diagonal down) is left as it is, neither swapped nor
/// divided by. Returns `perm` (row `i` of `P A` is row `perm[i]` of `A`) and whether `P` is
/// odd.
///
/// Written here rather than taken from `faer`, whose LU divides by a zero pivot: the NaNs
/// that gives for a rank-deficient matrix would turn `det(ones(3, 3))` into NaN, where LAPACK
/// (and so JAX) gives 0 and `slogdet` gives `(0, -inf)`.
fn lu_factor<T: LinalgFloat>(m: &mut [T], n: usize) -> (Vec<usize>, bool) {
    let mut perm: Vec<usize> = (0..n).collect();
    let mut odd = false;
    for j in 0..n {
        let mut p = j;
        for i in j + 1..n {
            if num_traits::Float::abs(m[i * n + j]) > num_traits::Float::abs(m[p * n + j]) {
                p = i;
            }
        }
        if m[p * n + j] == T::zero() {
            continue;
        }
        if p != j {
            for k in 0..n {
                m.swap(j * n + k, p * n + k);
            }
            perm.swap(j, p);
            odd = !odd;
        }
        let (top, rest) = m.split_at_mut((j + 1) * n);
        let pivot_row = &top[j * n..];
        let inv = T::one() / pivot_row[j];
        for row in rest.chunks_exact_mut(n) {
            row[j] *= inv;
            let l = row[j];
            for k in j + 1..n {
                row[k] -= l * pivot_row[k];
            }
        }
    }
    (perm, odd)
}

/// `x ← P x` (row `i` of the result is row `perm[i]` of `x: [n, k]`).
pub(crate) fn permute_rows<T: Copy>(perm: &[usize], x: &mut [T], k: usize) {
    let src = x.to_vec();
    for (i, &p) in perm.iter().enumerate() {
        x[i * k..(i + 1) * k].copy_from_slice(&src[p * k..(p + 1) * k]);
    }
}

/// `x ← U⁻¹ L⁻¹ P x` for `x: [n, k]` given a factored matrix of [`lu_factor`].
fn lu_apply<T: LinalgFloat>(f: &[T], perm: &[usize], x: &mut [T], n: usize, k: usize) {
    permute_rows(perm, x, k);
    solve_unit_lower(f, x, n, k);
    solve_upper(f, x, n, k);
}

/// `x ← A⁻¹ x` for one row-major `a: [n, n]` (overwritten by its factor) and `x: [n, k]`, by
/// the unblocked LU above: what a zero pivot gives is LAPACK's (and so JAX's) infinities.
pub(crate) fn solve_unblocked<T: LinalgFloat>(a: &mut [T], x: &mut [T], n: usize, k: usize) {
    let (perm, _) = lu_factor(a, n);
    lu_apply(a, &perm, x, n, k);
}

/// `A X = B` for each general `A: [n, n]` and `B: [n, k]`, by LU with partial pivoting. A
/// singular `A` gives infinities or NaNs (the division by its zero pivot), as JAX. (With the
/// `faer` feature, solves go through faer's blocked LU instead: `linalg_faer::solve`.)
#[cfg(not(feature = "faer"))]
pub fn solve<T: LinalgFloat>(a: &Value, b: &Value) -> Value {
    let (batch, n, k) = dims(b);
    let mut fa = a.elements::<T>().into_owned();
    let mut x = b.elements::<T>().into_owned();
    if n > 0 && k > 0 {
        for i in 0..batch {
            let f = &mut fa[i * n * n..(i + 1) * n * n];
            solve_unblocked(f, &mut x[i * n * k..(i + 1) * n * k], n, k);
        }
    }
    Value::from_vec(x, b.shape().clone())
}

/// Sign and `log|det|` of each matrix, `[..., 2]`, from the diagonal of its LU factor, as
/// `jnp.linalg.slogdet`: a zero pivot gives sign 0 and `-inf`.
pub fn slogdet<T: LinalgFloat>(a: &Value) -> Value {
    let (batch, n, _) = dims(a);
    let mut fa = a.elements::<T>().into_owned();
    let mut out = Vec::with_capacity(2 * batch);
    for i in 0..batch {
        let f = &mut fa[i * n * n..(i + 1) * n * n];
        let (_, odd) = lu_factor(f, n);
        let mut sign = if odd { -T::one() } else { T::one() };
        let mut log = T::zero();
        for j in 0..n {
            let u = f[j * n + j];
            sign *= Real::sign(u);
            log += num_traits::Float::ln(num_traits::Float::abs(u));
        }
        out.extend([sign, log]);
    }
    let d = a.shape().dims();
    let mut dims = d[..d.len() - 2].to_vec();
    dims.push(2);
    Value::from_vec(out, Shape::from(dims))
}

/// The determinant of each matrix: the product of its LU pivots, with the permutation's sign.
pub fn det<T: LinalgFloat>(a: &Value) -> Value {
    let (batch, n, _) = dims(a);
    let mut fa = a.elements::<T>().into_owned();
    let out: Vec<T> = (0..batch)
        .map(|i| {
            let f = &mut fa[i * n * n..(i + 1) * n * n];
            let (_, odd) = lu_factor(f, n);
            let sign = if odd { -T::one() } else { T::one() };
            (0..n).fold(sign, |p, j| p * f[j * n + j])
        })
        .collect();
    let d = a.shape().dims();
    Value::from_vec(out, Shape::from(&d[..d.len() - 2]))
}

/// The cofactor matrix `C = det(A)·A⁻ᵀ` of each matrix (the gradient of `det`), by JAX's
/// `_cofactor_solve`: with `P A = L U`, the last pivot of `U` is replaced by the inverse of the
/// product of the others, so that a matrix of rank `n - 1` whose zero pivot comes last gets
/// its (rank-one) cofactor matrix; one whose earlier pivots vanish gets zeros, as in JAX.
pub fn cofactor<T: LinalgFloat>(a: &Value) -> Value {
    let (batch, n, _) = dims(a);
    let mut fa = a.elements::<T>().into_owned();
    let mut out = vec![T::zero(); batch * n * n];
    for i in 0..batch {
        let c = &mut out[i * n * n..(i + 1) * n * n];
        if n == 1 {
            c[0] = T::one();
            continue;
        }
        let f = &mut fa[i * n * n..(i + 1) * n * n];
        let (perm, odd) = lu_factor(f, n);
        let sign = if odd { -T::one() } else { T::one() };
        let partial = (0..n - 1).fold(sign, |p, j| p * f[j * n + j]);
        let full = partial * f[n * n - 1];
        f[n * n - 1] = T::one() / partial;
        // X = det · A⁻¹ = adj(A), row by row through the modified factor; C = Xᵀ.
        let mut x = vec![T::zero(); n * n];
        for j in 0..n {
            x[j * n + j] = T::one();
        }
        permute_rows(&perm, &mut x, n);
        solve_unit_lower(f, &mut x, n, n);
        for v in &mut x[..(n - 1) * n] {
            *v *= full;
        }
        solve_upper(f, &mut x, n, n);
        if x.iter().all(|v| v.is_finite()) {
            for r in 0..n {
                for s in 0..n {
                    c[s * n + r] = x[r * n + s];
                }
            }
        }
    }
    Value::from_vec(out, a.shape().clone())
}
