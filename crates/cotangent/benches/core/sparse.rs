//! Sparse Jacobians (issue 16): the Jacobian of a 1-D finite-difference PDE residual
//! `−u'' + sin(u)` (tridiagonal, 3 colors) by a reused `SparseJacobian` plan, against one
//! evaluation of the residual, against dense `jacfwd`, and (in `benches/peers/peers.py`,
//! `sparse_workloads`) against JAX's and PyTorch's dense `jacfwd`. Dense is measured at
//! n = 2,000 only (n = 100,000 would be 80 GB of f64); sparse at both sizes. Values are the
//! sum of all Jacobian entries.

use cotangent::sparse::SparseJacobian;
use cotangent::*;

use super::{report, time, Opts};

/// `−u'' + sin(u)` on a uniform grid with zero boundary values (`h = 1/(n + 1)`).
fn residual(x: &Tensor) -> Tensor {
    let n = x.numel();
    let h2 = 1.0 / ((n + 1) * (n + 1)) as f64;
    let padded = x.pad(&[(1, 1)], 0.0);
    let lap = padded.narrow(0, 0, n) - x * 2.0 + padded.narrow(0, 2, n);
    -lap / h2 + x.sin()
}

/// Every workload of this module.
pub fn run(opts: &Opts) {
    for n in [2_000, 100_000] {
        let name = format!("tridiag_jacobian_n{n}");
        let x = Tensor::linspace(0.0, 1.0, n, DType::F64);
        let mut value = 0.0;
        let plan = SparseJacobian::new(residual, &x).unwrap();
        let s = time(opts, || {
            value = plan.eval(residual, &x).unwrap().values.iter().sum();
        });
        report(&name, "cotangent", s, value);
        let s = time(opts, || {
            let p = SparseJacobian::new(residual, &x).unwrap();
            value = p.eval(residual, &x).unwrap().values.iter().sum();
        });
        report(&name, "cotangent_with_plan", s, value);
        let mut v = 0.0;
        let s = time(opts, || v = residual(&x).sum().item::<f64>());
        report(&name, "cotangent_one_residual", s, value);
        let _ = v;
        if n <= 2_000 {
            let s = time(opts, || {
                value = jacfwd(residual)(&x).sum().item::<f64>();
            });
            report(&name, "cotangent_dense_jacfwd", s, value);
        }
    }
}
