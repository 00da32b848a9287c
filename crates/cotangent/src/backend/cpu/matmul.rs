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
    let mut out_dims = batch.to_vec();
    out_dims.extend([m, n]);
    let out_shape = Shape::from(out_dims);
    let mut out = pool::filled(out_shape.numel(), T::default());
    if m == 0 || n == 0 {
        return Value::from_vec(out, out_shape);
    }
    let sa = T::slice(&a.storage).expect("matmul: dtype checked by caller");
    let sb = T::slice(&b.storage).expect("matmul: dtype checked by caller");
    let par = if m * n * k >= PAR_WORK && rayon::current_num_threads() > 1 {
        Parallelism::Rayon(0)
    } else {
        Parallelism::None
    };
    let (ars, acs) = (la.strides[r - 2] as isize, la.strides[r - 1] as isize);
    let (brs, bcs) = (lb.strides[r - 2] as isize, lb.strides[r - 1] as isize);
    let mut batch_index = 0usize;
    for_each_offsets(
        batch,
        [&la.strides[..r - 2], &lb.strides[..r - 2]],
        [la.offset, lb.offset],
        |[oa, ob]| {
            let dst = &mut out[batch_index * m * n..(batch_index + 1) * m * n];
            batch_index += 1;
            if k == 0 {
                return;
            }
            // The last element each operand touches, to check the views stay inside their
            // buffers before handing raw pointers to gemm.
            let last_a = oa + (m - 1) * ars as usize + (k - 1) * acs as usize;
            let last_b = ob + (k - 1) * brs as usize + (n - 1) * bcs as usize;
            assert!(
                last_a < sa.len() && last_b < sb.len(),
                "matmul: view out of bounds"
            );
            // SAFETY: `dst` is an exclusive m×n row-major buffer; the lhs and rhs views start at
            // `oa`/`ob` and, with the given non-negative strides, stay within `sa`/`sb` (checked
            // just above). `gemm` reads lhs/rhs and writes dst only inside those extents.
            unsafe {
                gemm::gemm(
                    m,
                    n,
                    k,
                    dst.as_mut_ptr(),
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
    Value::from_vec(out, out_shape)
}

fn one<T: Element>() -> T {
    T::from_f64(1.0)
}
