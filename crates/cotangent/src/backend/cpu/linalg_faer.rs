//! The kernels taken from `faer` (the `faer` feature, on by default): Cholesky factorization,
//! triangular solves, general solves by blocked LU with partial pivoting, the symmetric
//! eigendecomposition, the reduced QR factorization and the thin singular value decomposition
//! over batches of row-major matrices.

use faer::diag::Diag;
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::cholesky::llt::factor as llt;
use faer::linalg::evd::{self_adjoint_evd, self_adjoint_evd_scratch, ComputeEigenvectors};
use faer::linalg::lu::partial_pivoting::{factor as lu, solve as lu_solve};
use faer::linalg::triangular_solve as tri;
use faer::{Mat, MatMut, MatRef, Par};

use super::linalg::{dims, LinalgFloat};
use crate::core::{Result, Shape, Value};

/// The lower Cholesky factor of each matrix (reading its lower triangle); a matrix that is not
/// positive definite gives NaNs on and below the diagonal (zeros above), as
/// `jnp.linalg.cholesky`.
pub fn cholesky<T: LinalgFloat>(a: &Value) -> Result<Value> {
    let (batch, n, _) = dims(a);
    let mut data = a.elements::<T>().into_owned();
    let req = llt::cholesky_in_place_scratch::<T>(n, Par::Seq, Default::default());
    let mut buf = MemBuffer::new(req);
    for b in 0..batch {
        let m = &mut data[b * n * n..(b + 1) * n * n];
        let ok = llt::cholesky_in_place(
            MatMut::from_row_major_slice_mut(m, n, n),
            Default::default(),
            Par::Seq,
            MemStack::new(&mut buf),
            Default::default(),
        )
        .is_ok();
        for i in 0..n {
            for j in 0..n {
                if j > i {
                    m[i * n + j] = T::zero();
                } else if !ok {
                    m[i * n + j] = T::nan();
                }
            }
        }
    }
    Ok(Value::from_vec(data, a.shape().clone()))
}

/// `op(A) X = B` for each triangular `A: [n, n]` (only its `lower` or upper triangle is read)
/// and `B: [n, k]`; `op(A) = Aᵀ` when `transpose`.
pub fn triangular_solve<T: LinalgFloat>(
    a: &Value,
    b: &Value,
    lower: bool,
    transpose: bool,
) -> Result<Value> {
    let (batch, n, k) = dims(b);
    let sa = a.elements::<T>();
    let mut x = b.elements::<T>().into_owned();
    if n > 0 && k > 0 {
        for i in 0..batch {
            let m = MatRef::from_row_major_slice(&sa[i * n * n..(i + 1) * n * n], n, n);
            let rhs = MatMut::from_row_major_slice_mut(&mut x[i * n * k..(i + 1) * n * k], n, k);
            match (lower, transpose) {
                (true, false) => tri::solve_lower_triangular_in_place(m, rhs, Par::Seq),
                (true, true) => tri::solve_upper_triangular_in_place(m.transpose(), rhs, Par::Seq),
                (false, false) => tri::solve_upper_triangular_in_place(m, rhs, Par::Seq),
                (false, true) => tri::solve_lower_triangular_in_place(m.transpose(), rhs, Par::Seq),
            }
        }
    }
    Ok(Value::from_vec(x, b.shape().clone()))
}

/// `A X = B` for each general `A: [n, n]` and `B: [n, k]`, by faer's blocked LU with partial
/// pivoting (much faster than an unblocked one from n ≈ 100 on). The row-major `A` is the
/// column-major `Aᵀ`, which is factored in place; the transposed solve with that factor solves
/// with `A`. A matrix whose factor has a zero pivot is solved again by the unblocked LU
/// (`linalg::solve_unblocked`), so that a singular `A` gives LAPACK's (and JAX's)
/// infinities rather than faer's NaNs.
pub fn solve<T: LinalgFloat>(a: &Value, b: &Value) -> Value {
    let (batch, n, k) = dims(b);
    let mut fa = a.elements::<T>().into_owned();
    let sb = b.elements::<T>();
    let mut x = vec![T::zero(); batch * n * k];
    if n > 0 && k > 0 {
        let req = lu::lu_in_place_scratch::<usize, T>(n, n, Par::Seq, Default::default()).or(
            lu_solve::solve_transpose_in_place_scratch::<usize, T>(n, k, Par::Seq),
        );
        let mut buf = MemBuffer::new(req);
        let (mut fwd, mut bwd) = (vec![0usize; n], vec![0usize; n]);
        for i in 0..batch {
            let f = MatMut::from_column_major_slice_mut(&mut fa[i * n * n..(i + 1) * n * n], n, n);
            let (_, perm) = lu::lu_in_place(
                f,
                &mut fwd,
                &mut bwd,
                Par::Seq,
                MemStack::new(&mut buf),
                Default::default(),
            );
            let f = MatRef::from_column_major_slice(&fa[i * n * n..(i + 1) * n * n], n, n);
            let out = &mut x[i * n * k..(i + 1) * n * k];
            if (0..n).any(|j| f[(j, j)] == T::zero()) {
                let mut m = a.elements::<T>()[i * n * n..(i + 1) * n * n].to_vec();
                out.copy_from_slice(&sb[i * n * k..(i + 1) * n * k]);
                super::linalg::solve_unblocked(&mut m, out, n, k);
                continue;
            }
            let bi = MatRef::from_row_major_slice(&sb[i * n * k..(i + 1) * n * k], n, k);
            let mut rhs: Mat<T> = bi.to_owned();
            lu_solve::solve_transpose_in_place(
                f,
                f,
                perm,
                rhs.as_mut(),
                Par::Seq,
                MemStack::new(&mut buf),
            );
            for r in 0..n {
                for c in 0..k {
                    out[r * k + c] = rhs[(r, c)];
                }
            }
        }
    }
    Value::from_vec(x, b.shape().clone())
}

/// `x ← L⁻¹ x` for `x: [n, k]`, `L` the unit lower triangle of the row-major `f: [n, n]`.
pub fn solve_unit_lower<T: LinalgFloat>(f: &[T], x: &mut [T], n: usize, k: usize) {
    let f = MatRef::from_row_major_slice(f, n, n);
    tri::solve_unit_lower_triangular_in_place(
        f,
        MatMut::from_row_major_slice_mut(x, n, k),
        Par::Seq,
    );
}

/// `x ← U⁻¹ x` for `x: [n, k]`, `U` the upper triangle (with diagonal) of `f: [n, n]`.
pub fn solve_upper<T: LinalgFloat>(f: &[T], x: &mut [T], n: usize, k: usize) {
    let f = MatRef::from_row_major_slice(f, n, n);
    tri::solve_upper_triangular_in_place(f, MatMut::from_row_major_slice_mut(x, n, k), Par::Seq);
}

/// The eigendecomposition of each symmetric matrix (only its lower triangle is read), packed
/// as `[..., n + 1, n]`: row 0 the eigenvalues in ascending order, rows `1..=n` the matrix
/// whose columns are the orthonormal eigenvectors, each signed so that its component of
/// largest magnitude (the first of equal ones) is positive. A matrix with a non-finite entry in
/// its lower triangle, or one whose iteration does not converge, gives NaNs.
pub fn eigh<T: LinalgFloat>(a: &Value) -> Result<Value> {
    let (batch, n, _) = dims(a);
    let src = a.elements::<T>();
    let mut out = vec![T::zero(); batch * (n + 1) * n];
    let d = a.shape().dims();
    let mut shape = d[..d.len() - 2].to_vec();
    shape.extend([n + 1, n]);
    if n == 0 {
        return Ok(Value::from_vec(out, Shape::from(shape)));
    }
    let req =
        self_adjoint_evd_scratch::<T>(n, ComputeEigenvectors::Yes, Par::Seq, Default::default());
    let mut buf = MemBuffer::new(req);
    let mut u = Mat::<T>::zeros(n, n);
    let mut s = Diag::<T>::zeros(n);
    for b in 0..batch {
        let m = &src[b * n * n..(b + 1) * n * n];
        let o = &mut out[b * (n + 1) * n..(b + 1) * (n + 1) * n];
        let finite = (0..n).all(|i| m[i * n..i * n + i + 1].iter().all(|x| x.is_finite()));
        let ok = finite
            && self_adjoint_evd(
                MatRef::from_row_major_slice(m, n, n),
                s.as_mut(),
                Some(u.as_mut()),
                Par::Seq,
                MemStack::new(&mut buf),
                Default::default(),
            )
            .is_ok();
        if !ok {
            o.fill(T::nan());
            continue;
        }
        let w = s.column_vector();
        // faer sorts already; a stable sort keeps that order and makes it certain.
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&i, &j| w[i].partial_cmp(&w[j]).unwrap_or(std::cmp::Ordering::Equal));
        for (c, &k) in order.iter().enumerate() {
            o[c] = w[k];
            let mut big = 0;
            for r in 1..n {
                if num_traits::Float::abs(u[(r, k)]) > num_traits::Float::abs(u[(big, k)]) {
                    big = r;
                }
            }
            let flip = u[(big, k)] < T::zero();
            for r in 0..n {
                let v = u[(r, k)];
                o[(r + 1) * n + c] = if flip { -v } else { v };
            }
        }
    }
    Ok(Value::from_vec(out, Shape::from(shape)))
}

/// The reduced QR factorization of each `[m, n]` matrix (`m ≥ n`), packed as `[..., m + n, n]`:
/// rows `0..m` the orthonormal columns `Q: [m, n]`, rows `m..m + n` the upper-triangular
/// `R: [n, n]`, signed so that `R`'s diagonal is non-negative (a column of `Q` and the row of
/// `R` with it are negated where faer's Householder diagonal is negative). A matrix with a
/// non-finite entry gives NaNs.
pub fn qr<T: LinalgFloat>(a: &Value) -> Result<Value> {
    let (batch, m, n) = dims(a);
    let src = a.elements::<T>();
    let mut out = vec![T::zero(); batch * (m + n) * n];
    let d = a.shape().dims();
    let mut shape = d[..d.len() - 2].to_vec();
    shape.extend([m + n, n]);
    if n == 0 {
        return Ok(Value::from_vec(out, Shape::from(shape)));
    }
    for b in 0..batch {
        let x = &src[b * m * n..(b + 1) * m * n];
        let o = &mut out[b * (m + n) * n..(b + 1) * (m + n) * n];
        if !x.iter().all(|v| v.is_finite()) {
            o.fill(T::nan());
            continue;
        }
        let f = MatRef::from_row_major_slice(x, m, n).qr();
        let q = f.compute_thin_Q();
        let r = f.thin_R();
        for k in 0..n {
            let flip = r[(k, k)] < T::zero();
            let s = |v: T| if flip { -v } else { v };
            for i in 0..m {
                o[i * n + k] = s(q[(i, k)]);
            }
            for j in k..n {
                o[(m + k) * n + j] = s(r[(k, j)]);
            }
        }
    }
    Ok(Value::from_vec(out, Shape::from(shape)))
}

/// The thin singular value decomposition `A = U diag(s) Vᵀ` of each `[m, n]` matrix
/// (`k = min(m, n)`), packed as `[..., m + 1 + n, k]`: rows `0..m` the orthonormal columns
/// `U: [m, k]`, row `m` the singular values `s` in descending order (non-negative), rows
/// `m + 1..` the orthonormal columns `V: [n, k]` (not `Vᵀ`). Each column of `U` is signed so
/// that its component of largest magnitude (the first of equal ones) is positive, and the
/// column of `V` with it is negated with it. A matrix with a non-finite entry, or one whose
/// iteration does not converge, gives NaNs.
pub fn svd<T: LinalgFloat>(a: &Value) -> Result<Value> {
    let (batch, m, n) = dims(a);
    let k = m.min(n);
    let rows = m + 1 + n;
    let src = a.elements::<T>();
    let mut out = vec![T::zero(); batch * rows * k];
    let d = a.shape().dims();
    let mut shape = d[..d.len() - 2].to_vec();
    shape.extend([rows, k]);
    if k == 0 {
        return Ok(Value::from_vec(out, Shape::from(shape)));
    }
    for b in 0..batch {
        let x = &src[b * m * n..(b + 1) * m * n];
        let o = &mut out[b * rows * k..(b + 1) * rows * k];
        let f = if x.iter().all(|v| v.is_finite()) {
            MatRef::from_row_major_slice(x, m, n).thin_svd().ok()
        } else {
            None
        };
        let Some(f) = f else {
            o.fill(T::nan());
            continue;
        };
        let (u, s, v) = (f.U(), f.S().column_vector(), f.V());
        // faer sorts in non-increasing order already; a stable sort makes it certain.
        let mut order: Vec<usize> = (0..k).collect();
        order.sort_by(|&i, &j| s[j].partial_cmp(&s[i]).unwrap_or(std::cmp::Ordering::Equal));
        for (c, &j) in order.iter().enumerate() {
            let mut big = 0;
            for r in 1..m {
                if num_traits::Float::abs(u[(r, j)]) > num_traits::Float::abs(u[(big, j)]) {
                    big = r;
                }
            }
            let flip = u[(big, j)] < T::zero();
            let sg = |t: T| if flip { -t } else { t };
            for r in 0..m {
                o[r * k + c] = sg(u[(r, j)]);
            }
            o[m * k + c] = s[j];
            for r in 0..n {
                o[(m + 1 + r) * k + c] = sg(v[(r, j)]);
            }
        }
    }
    Ok(Value::from_vec(out, Shape::from(shape)))
}
