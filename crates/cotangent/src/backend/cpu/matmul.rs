//! Batched matrix multiplication through the `gemm` crate (which picks AVX-512/AVX2 kernels at
//! run time). Any strides are accepted, so transposed views multiply without a copy.

use gemm::Parallelism;

use crate::core::layout::for_each_offsets;
use crate::core::pool;
use crate::core::shape::Shape;
use crate::core::{Element, Value};

/// Work (m·n·k) below which a product stays on one thread.
const PAR_WORK: usize = 1 << 21;

/// `a @ b` for `a: [..., m, k]`, `b: [..., k, n]` with equal batch dims, into `[..., m, n]`.
pub fn matmul<T: Element>(a: &Value, b: &Value) -> Value {
    let (la, lb) = (&a.layout, &b.layout);
    let r = la.shape.rank();
    let (m, k, n) = (la.shape[r - 2], la.shape[r - 1], lb.shape[r - 1]);
    let batch = &la.shape[..r - 2];
    let mut out_dims = crate::core::shape::Dims::from_slice(batch);
    out_dims.extend([m, n]);
    let out_shape = Shape(out_dims);
    let numel = out_shape.numel();
    if numel == 0 || k == 0 {
        return Value::from_vec(pool::filled(numel, T::default()), out_shape);
    }
    // Not zeroed first: `gemm` writes every element (it is told not to read them), and the
    // length is set once it has.
    let mut out: Vec<T> = pool::take(numel);
    let dst_all = out.spare_capacity_mut()[..numel].as_mut_ptr().cast::<T>();
    let sa = T::slice(&a.storage).expect("matmul: dtype checked by caller");
    let sb = T::slice(&b.storage).expect("matmul: dtype checked by caller");
    let par = if m * n * k >= PAR_WORK && rayon::current_num_threads() > 1 {
        Parallelism::Rayon(0)
    } else {
        Parallelism::None
    };
    let (ars, acs) = (la.strides[r - 2] as isize, la.strides[r - 1] as isize);
    let (mut brs, mut bcs) = (lb.strides[r - 2] as isize, lb.strides[r - 1] as isize);
    // `gemm` multiplies by a column-major right operand (a transposed view: the backward pass
    // of `x @ W` multiplies by `Wᵀ`) at about 60% of its row-major rate on this machine when
    // the columns lie a multiple of 2 KiB apart (a power-of-two width: the columns it reads
    // side by side then fall into the same few cache sets). Such an operand (one matrix) is
    // copied row-major first, which costs k·n moves against m·n·k multiply-adds (so only when
    // there are enough rows to pay for it, and only for a product on one thread: the copy is
    // serial, and with gemm on two threads it cost more than it saved in the transformer step).
    // Other column strides multiply at gemm's row-major rate or close to it without the copy
    // (measured: `[128, k] @ [512, k]ᵀ` f32 for k = 640, 784, 1000 ran 16–22% faster without
    // it, k = 512 and 1024 35–60% faster with it).
    let serial = matches!(par, Parallelism::None);
    let aliasing = (bcs as usize * std::mem::size_of::<T>()) % 2048 == 0;
    let packed: Option<Vec<T>> =
        (serial && batch.is_empty() && brs == 1 && aliasing && k > 1 && n > 1 && m >= 16).then(
            || {
                let mut p = pool::filled(k * n, T::default());
                transpose_into(sb, lb.offset, bcs as usize, k, n, &mut p);
                p
            },
        );
    let (sb, b_offset) = match &packed {
        Some(p) => {
            (brs, bcs) = (n as isize, 1);
            (&p[..], 0)
        }
        None => (sb, lb.offset),
    };
    let mut batch_index = 0usize;
    for_each_offsets(
        batch,
        [&la.strides[..r - 2], &lb.strides[..r - 2]],
        [la.offset, b_offset],
        |[oa, ob]| {
            assert!((batch_index + 1) * m * n <= numel, "matmul: batch count");
            // SAFETY: batch `batch_index` < numel / (m·n) (checked just above) owns elements
            // `batch_index·m·n..(batch_index + 1)·m·n` of the `numel` reserved above.
            let dst = unsafe { dst_all.add(batch_index * m * n) };
            batch_index += 1;
            // The last element each operand touches, to check the views stay inside their
            // buffers before handing raw pointers to gemm.
            let last_a = oa + (m - 1) * ars as usize + (k - 1) * acs as usize;
            let last_b = ob + (k - 1) * brs as usize + (n - 1) * bcs as usize;
            assert!(
                last_a < sa.len() && last_b < sb.len(),
                "matmul: view out of bounds"
            );
            // SAFETY: `dst` is an exclusive m×n row-major block of the reserved capacity (not
            // yet initialized: `read_dst` is false, so gemm only writes it); the lhs and rhs
            // views start at `oa`/`ob` and, with the given non-negative strides, stay within
            // `sa`/`sb` (checked just above). `gemm` reads lhs/rhs and writes dst only inside
            // those extents.
            unsafe {
                gemm::gemm(
                    m,
                    n,
                    k,
                    dst,
                    1,
                    n as isize,
                    false,
                    sa.as_ptr().add(oa),
                    acs,
                    ars,
                    sb.as_ptr().add(ob),
                    bcs,
                    brs,
                    T::default(),
                    one::<T>(),
                    false,
                    false,
                    false,
                    par,
                );
            }
        },
    );
    assert_eq!(batch_index * m * n, numel, "matmul: every batch written");
    // SAFETY: every batch's block was written by gemm above (m, n, k > 0, `read_dst` false:
    // it stores all m·n elements), and the blocks tile `0..numel`, within the capacity.
    unsafe { out.set_len(numel) };
    if let Some(p) = packed {
        pool::give(p);
    }
    Value::from_vec(out, out_shape)
}

/// `out[i·n + j] = src[off + i + j·cs]` for `i < k`, `j < n`: the column-major `k × n` view
/// copied row-major, in tiles so that both sides stay in cache.
fn transpose_into<T: Copy>(src: &[T], off: usize, cs: usize, k: usize, n: usize, out: &mut [T]) {
    const TILE: usize = 16;
    for i0 in (0..k).step_by(TILE) {
        let i1 = (i0 + TILE).min(k);
        for j0 in (0..n).step_by(TILE) {
            let j1 = (j0 + TILE).min(n);
            for j in j0..j1 {
                let col = &src[off + j * cs + i0..off + j * cs + i1];
                for (di, &x) in col.iter().enumerate() {
                    out[(i0 + di) * n + j] = x;
                }
            }
        }
    }
}

fn one<T: Element>() -> T {
    T::from_f64(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::layout::Layout;

    /// A product with a transposed right operand equals the naive one in exact small-integer
    /// arithmetic: copied row-major first (column strides of 256 and 512 f64, 2 and 4 KiB),
    /// for sizes that are not multiples of the copy's tile, and read in place (other strides),
    /// with a view that starts inside its buffer.
    #[test]
    fn transposed_right_operands_multiply_exactly() {
        for (m, k, n) in [
            (16, 256, 33),
            (17, 512, 3),
            (16, 17, 33),
            (40, 5, 3),
            (20, 64, 1),
            (3, 7, 9),
        ] {
            let a: Vec<f64> = (0..m * k).map(|i| (i % 7) as f64 - 3.0).collect();
            // b is the transpose of an [n, k] buffer, seen from offset 2.
            let buf: Vec<f64> = (0..n * k + 2).map(|i| (i % 5) as f64 - 2.0).collect();
            let av = Value::from_vec(a.clone(), Shape::from(&[m, k][..]));
            let mut layout = Layout::contiguous(Shape::from(&[n, k][..])).permute(&[1, 0]);
            layout.offset = 2;
            let bv =
                Value::from_vec(buf.clone(), Shape::from(&[n * k + 2][..])).with_layout(layout);
            let c = matmul::<f64>(&av, &bv).to_vec::<f64>();
            for i in 0..m {
                for j in 0..n {
                    let want: f64 = (0..k).map(|p| a[i * k + p] * buf[2 + j * k + p]).sum();
                    assert_eq!(c[i * n + j], want, "({m}, {k}, {n}) at ({i}, {j})");
                }
            }
        }
    }

    /// The output buffer is not zeroed before `gemm` writes it: a recycled buffer full of NaN
    /// (handed back to the pool just before) leaves no trace, on each of gemm's paths: its main
    /// kernel, per batch, matrix-vector (m = 1 or n = 1), tiny depth (k ≤ 2), the small-product
    /// path for a transposed right operand (m·n ≤ 256), and a second block of depth (k > 512).
    #[test]
    fn recycled_output_buffers_are_overwritten_not_read() {
        let cases = [
            (1, 4, 3, 5, false),
            (1, 64, 70, 48, false),
            (3, 9, 17, 20, false),
            (1, 1, 64, 48, false),
            (1, 48, 64, 1, false),
            (1, 5, 2, 7, false),
            (1, 8, 30, 9, true),
            (1, 20, 600, 20, false),
        ];
        for (batch, m, k, n, transposed) in cases {
            let a: Vec<f64> = (0..batch * m * k).map(|i| (i % 7) as f64 - 3.0).collect();
            let b: Vec<f64> = (0..batch * k * n).map(|i| (i % 5) as f64 - 2.0).collect();
            let av = Value::from_vec(a.clone(), Shape::from(&[batch, m, k][..]));
            // With `transposed`, b's elements are stored column by column ([n, k] in memory).
            let bt: Vec<f64> = (0..batch * n * k)
                .map(|i| {
                    let (q, r) = (i / (n * k), i % (n * k));
                    b[q * k * n + (r % k) * n + r / k]
                })
                .collect();
            let bv = if transposed {
                let l = Layout::contiguous(Shape::from(&[batch, n, k][..])).permute(&[0, 2, 1]);
                Value::from_vec(bt, Shape::from(&[batch, n, k][..])).with_layout(l)
            } else {
                Value::from_vec(b.clone(), Shape::from(&[batch, k, n][..]))
            };
            let numel = batch * m * n;
            // Inside a program every size is pooled: the NaN buffer is the one matmul takes.
            let c = pool::in_program(&mut pool::Reserve::default(), || {
                let mut nans: Vec<f64> = pool::take(numel);
                nans.resize(numel, f64::NAN);
                let at = nans.as_ptr();
                pool::give(nans);
                let c = matmul::<f64>(&av, &bv);
                assert_eq!(
                    c.contiguous_slice::<f64>().unwrap().as_ptr(),
                    at,
                    "the recycled buffer is reused"
                );
                c.to_vec::<f64>()
            });
            for q in 0..batch {
                for i in 0..m {
                    for j in 0..n {
                        let want: f64 = (0..k)
                            .map(|p| a[(q * m + i) * k + p] * b[(q * k + p) * n + j])
                            .sum();
                        let got = c[(q * m + i) * n + j];
                        assert_eq!(
                            got, want,
                            "({batch}, {m}, {k}, {n}, {transposed}) at ({q}, {i}, {j})"
                        );
                    }
                }
            }
        }
    }
}
