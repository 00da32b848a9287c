//! Sparse Jacobians: detected patterns never miss a nonzero of the dense Jacobian, colorings
//! are valid, and compressed differentiation equals the dense Jacobian, on a 1-D
//! finite-difference PDE residual (tridiagonal, n = 100,000), an arrow-head residual like
//! bundle adjustment's, and a plan reused at several points.

use cotangent::sparse::{color::is_valid, color_columns, jacobian_sparsity, sparse_jacobian};
use cotangent::sparse::{Pattern, SparseJacobian};
use cotangent::*;

/// The dense Jacobian of `f` at `x`, `[outputs, inputs]`.
fn dense(f: impl Fn(&Tensor) -> Tensor, x: &Tensor) -> (usize, usize, Vec<f64>) {
    let m = f(x).numel();
    let n = x.numel();
    let j = jacobian(|x: &Tensor| f(x).reshape(&[m]))(x).reshape(&[m, n]);
    (m, n, j.to_vec::<f64>())
}

/// Every nonzero of the dense Jacobian is in the pattern; returns the pattern's extra entries.
fn covers(p: &Pattern, m: usize, n: usize, d: &[f64]) -> usize {
    assert_eq!((p.rows, p.cols), (m, n));
    for i in 0..m {
        for j in 0..n {
            assert!(
                d[i * n + j] == 0.0 || p.contains(i, j),
                "pattern misses ({i}, {j}) = {}",
                d[i * n + j]
            );
        }
    }
    p.nnz() - d.iter().filter(|v| **v != 0.0).count()
}

type Fun = fn(&Tensor) -> Tensor;

fn residual(x: &Tensor) -> Tensor {
    // −u'' + sin(u) on a uniform grid with zero boundary values.
    let n = x.numel();
    let h2 = 1.0 / ((n + 1) * (n + 1)) as f64;
    let padded = x.pad(&[(1, 1)], 0.0);
    let lap = padded.narrow(0, 0, n) - x * 2.0 + padded.narrow(0, 2, n);
    -lap / h2 + x.sin()
}

fn arrow(x: &Tensor) -> Tensor {
    // Each residual depends on its own parameter and on one shared parameter (the last).
    let n = x.numel();
    let shared = x.narrow(0, n - 1, 1);
    (x.narrow(0, 0, n - 1) * &shared).sin() + x.narrow(0, 0, n - 1).square()
}

#[test]
fn pde_residual_is_tridiagonal_and_three_colors_compute_it() {
    let small = Tensor::linspace(0.1, 0.9, 40, DType::F64);
    let p = jacobian_sparsity(residual, &small).unwrap();
    let (m, n, d) = dense(residual, &small);
    assert_eq!(covers(&p, m, n, &d), 0, "the pattern is exact");
    let coloring = color_columns(&p);
    assert_eq!(coloring.count, 3);
    assert!(is_valid(&p, &coloring));
    let j = sparse_jacobian(residual, &small).unwrap();
    assert_eq!(j.to_dense().to_vec::<f64>(), d);

    // n = 100,000: three forward passes; checked against the formula.
    let n = 100_000;
    let x = Tensor::linspace(0.0, 1.0, n, DType::F64);
    let j = sparse_jacobian(residual, &x).unwrap();
    assert_eq!(j.values.len(), 3 * n - 2);
    let h2 = 1.0 / ((n + 1) * (n + 1)) as f64;
    let xs = x.to_vec::<f64>();
    for (i, &xi) in xs.iter().enumerate().step_by(997) {
        for k in j.indptr[i]..j.indptr[i + 1] {
            let want = if j.indices[k] == i {
                2.0 / h2 + xi.cos()
            } else {
                -1.0 / h2
            };
            assert!((j.values[k] - want).abs() <= 1e-9 * want.abs(), "row {i}");
        }
    }
}

#[test]
fn arrow_head_residual_takes_two_colors() {
    let x = Tensor::linspace(0.2, 1.4, 30, DType::F64);
    let p = jacobian_sparsity(arrow, &x).unwrap();
    let (m, n, d) = dense(arrow, &x);
    assert_eq!(covers(&p, m, n, &d), 0);
    let plan = SparseJacobian::new(arrow, &x).unwrap();
    assert_eq!(plan.coloring.count, 2);
    let got = plan.eval(arrow, &x).unwrap().to_dense().to_vec::<f64>();
    for (a, b) in got.iter().zip(&d) {
        assert!((a - b).abs() < 1e-14);
    }
    // The plan is reused at another point.
    let y = &x * 0.5 - 1.0;
    let (_, _, d2) = dense(arrow, &y);
    let got = plan.eval(arrow, &y).unwrap().to_dense().to_vec::<f64>();
    for (a, b) in got.iter().zip(&d2) {
        assert!((a - b).abs() < 1e-14);
    }
    // And refuses inputs of another shape.
    let err = plan
        .eval(arrow, &Tensor::zeros(&[7], DType::F64))
        .unwrap_err();
    assert!(
        err.to_string().contains("the plan is for f64[30] inputs"),
        "{err}"
    );
}

#[test]
fn few_outputs_pick_reverse_mode() {
    // Two outputs reading everything: two reverse passes instead of one per input.
    let f = |x: &Tensor| Tensor::stack(&[x.sin().sum(), (x * x).sum()], 0);
    let x = Tensor::linspace(0.0, 1.0, 50, DType::F64);
    let plan = SparseJacobian::new(f, &x).unwrap();
    assert_eq!((plan.mode, plan.coloring.count), (Mode::Reverse, 2));
    let (_, _, d) = dense(f, &x);
    let got = plan.eval(f, &x).unwrap().to_dense().to_vec::<f64>();
    for (a, b) in got.iter().zip(&d) {
        assert!((a - b).abs() < 1e-13);
    }
}

#[test]
fn movement_reductions_and_products_keep_exact_patterns() {
    // The pattern is global: a max may pick any element of its row, so at one point the dense
    // Jacobian has fewer nonzeros (8 of its 12 possible ones are zero here).
    let cases: Vec<(&str, Fun)> = vec![
        ("permute", |x| x.reshape(&[3, 4]).t().sin()),
        ("slice step", |x| x.slice_axis(0, 1, 11, 3).exp()),
        ("broadcast", |x| {
            x.reshape(&[3, 4]).sum_axes(&[1], true) * x.reshape(&[3, 4])
        }),
        ("reduce max", |x| x.reshape(&[3, 4]).max_axes(&[0], false)),
        ("matmul", |x| x.reshape(&[3, 4]).matmul(&x.reshape(&[4, 3]))),
        ("concat", |x| {
            Tensor::concat(&[x.narrow(0, 6, 6), x.narrow(0, 0, 3)], 0)
        }),
        ("pad", |x| x.pad(&[(2, 1)], 1.0).cos()),
        ("gather by constant", |x| {
            x.index_select(0, &Tensor::from_vec(vec![3i64, -1, 3], &[3]))
        }),
        ("compare cuts", |x| {
            where_(&x.gt(&x.sin()), &x.square(), &x.exp())
        }),
        ("softmax", |x| x.reshape(&[3, 4]).softmax(1)),
    ];
    let x = Tensor::linspace(0.3, 1.7, 12, DType::F64);
    for (name, f) in cases {
        let p = jacobian_sparsity(f, &x).unwrap();
        let (m, n, d) = dense(f, &x);
        let extra = covers(&p, m, n, &d);
        let expected = if name == "reduce max" { 8 } else { 0 };
        assert_eq!(extra, expected, "{name}: {extra} extra entries");
        assert!(p.conservative.is_empty(), "{name}: {:?}", p.conservative);
        let j = sparse_jacobian(f, &x).unwrap().to_dense().to_vec::<f64>();
        for (a, b) in j.iter().zip(&d) {
            assert!((a - b).abs() < 1e-13, "{name}");
        }
    }
}

#[test]
fn a_primitive_without_a_dependency_description_is_dense_and_named() {
    let f = |x: &Tensor| {
        let (c, _) = scan(
            |c: &[Tensor], t: &[Tensor]| (vec![&c[0] + &t[0]], vec![]),
            &[Tensor::zeros(&[], DType::F64)],
            &[x.clone()],
        );
        c[0].reshape(&[1]) * x.narrow(0, 0, 1)
    };
    let x = Tensor::linspace(0.1, 0.5, 5, DType::F64);
    let p = jacobian_sparsity(f, &x).unwrap();
    assert!(p.conservative.contains(&"scan"), "{:?}", p.conservative);
    let (m, n, d) = dense(f, &x);
    covers(&p, m, n, &d);
}

fn chain(x: &Tensor) -> Tensor {
    // A Rosenbrock chain: term i couples x_i and x_{i+1}, so the Hessian is tridiagonal.
    let n = x.numel();
    let a = x.narrow(0, 0, n - 1);
    let b = x.narrow(0, 1, n - 1);
    ((&b - a.square()).square() * 10.0 + (a - 1.0).square()).sum()
}

#[test]
fn banded_objective_has_a_sparse_hessian_equal_to_the_dense_one() {
    use cotangent::sparse::{hessian_sparsity, sparse_hessian};
    let x = Tensor::linspace(-0.5, 1.5, 40, DType::F64);
    let p = hessian_sparsity(chain, &x).unwrap();
    let d = hessian(chain)(&x).to_vec::<f64>();
    assert_eq!(covers(&p, 40, 40, &d), 0);
    assert_eq!(color_columns(&p).count, 3);
    let h = sparse_hessian(chain, &x)
        .unwrap()
        .to_dense()
        .to_vec::<f64>();
    for (a, b) in h.iter().zip(&d) {
        assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0));
    }
    // n = 100,000 in three Hessian-vector products; the diagonal checked against the formula
    // d²/dx_i² = 10·(12 x_i² − 4 x_{i+1}) + 2 (for i < n − 1) + 10·2 (for i > 0).
    let n = 100_000;
    let x = Tensor::linspace(-0.5, 1.5, n, DType::F64);
    let h = sparse_hessian(chain, &x).unwrap();
    assert_eq!(h.values.len(), 3 * n - 2);
    let xs = x.to_vec::<f64>();
    for i in (1..n - 1).step_by(1009) {
        let k = (h.indptr[i]..h.indptr[i + 1])
            .find(|&k| h.indices[k] == i)
            .unwrap();
        let want = 10.0 * (12.0 * xs[i] * xs[i] - 4.0 * xs[i + 1]) + 2.0 + 20.0;
        assert!(
            (h.values[k] - want).abs() <= 1e-9 * want.abs().max(1.0),
            "row {i}"
        );
    }
}

/// x0 scales every other coordinate's square: an arrow-head Hessian (row and column 0 full).
fn arrow_energy(x: &Tensor) -> Tensor {
    let n = x.dims()[0];
    (x.narrow(0, 0, 1) * x.narrow(0, 1, n - 1).square()).sum() + x.square().sum()
}

#[test]
fn star_coloring_recovers_an_arrow_head_hessian_in_two_products() {
    use cotangent::sparse::{color_star, hessian_sparsity, is_star, SparseHessian};
    let x = Tensor::linspace(-0.7, 2.0, 30, DType::F64);
    let p = hessian_sparsity(arrow_energy, &x).unwrap();
    let d = hessian(arrow_energy)(&x).to_vec::<f64>();
    assert_eq!(covers(&p, 30, 30, &d), 0);
    // Every column shares row 0, so a column coloring needs one color per column.
    assert_eq!(color_columns(&p).count, 30);
    let star = color_star(&p);
    assert_eq!(star.count, 2);
    assert!(is_star(&p, &star));
    let plan = SparseHessian::new(arrow_energy, &x).unwrap();
    assert!(plan.star);
    let h = plan
        .eval(arrow_energy, &x)
        .unwrap()
        .to_dense()
        .to_vec::<f64>();
    for (a, b) in h.iter().zip(&d) {
        assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{a} vs {b}");
    }
    // The plan is reused at another point, and refuses another shape.
    let y = Tensor::linspace(3.0, -2.0, 30, DType::F64);
    let hy = plan
        .eval(arrow_energy, &y)
        .unwrap()
        .to_dense()
        .to_vec::<f64>();
    let dy = hessian(arrow_energy)(&y).to_vec::<f64>();
    assert!(hy
        .iter()
        .zip(&dy)
        .all(|(a, b)| (a - b).abs() <= 1e-12 * b.abs().max(1.0)));
    assert!(plan
        .eval(arrow_energy, &Tensor::ones(&[31], DType::F64))
        .is_err());
}

/// A 2-D pair potential with a cutoff: the neighbour pairs are found at the reference
/// configuration (in Rust) and gathered with constant indices, so the pattern is exactly the
/// coordinates of interacting pairs.
fn pair_energy(pairs: &(Vec<i64>, Vec<i64>)) -> impl Fn(&Tensor) -> Tensor + '_ {
    move |x: &Tensor| {
        let pos = x.reshape(&[x.numel() / 2, 2]);
        let a = pos.index_select(0, &Tensor::from_vec(pairs.0.clone(), &[pairs.0.len()]));
        let b = pos.index_select(0, &Tensor::from_vec(pairs.1.clone(), &[pairs.1.len()]));
        let r2 = (&a - &b).square().sum_axes(&[1], false);
        // A soft repulsion plus attraction, 1/r² − 1/r.
        (r2.powf(-1.0) - r2.powf(-0.5)).sum()
    }
}

#[test]
fn pair_potentials_with_a_cutoff_have_sparse_hessians_equal_to_the_dense_ones() {
    use cotangent::sparse::{color_star, hessian_sparsity, is_star, sparse_hessian};
    // 36 particles on a jittered 6×6 grid; pairs within 1.6 spacings interact.
    let mut pts = Vec::new();
    for i in 0..6 {
        for j in 0..6 {
            let k = (i * 6 + j) as f64;
            pts.push(i as f64 + 0.1 * (k * 1.7).sin());
            pts.push(j as f64 + 0.1 * (k * 2.3).cos());
        }
    }
    let n = pts.len() / 2;
    let (mut ia, mut ib) = (Vec::new(), Vec::new());
    for a in 0..n {
        for b in a + 1..n {
            let (dx, dy) = (pts[2 * a] - pts[2 * b], pts[2 * a + 1] - pts[2 * b + 1]);
            if dx * dx + dy * dy < 1.6 * 1.6 {
                ia.push(a as i64);
                ib.push(b as i64);
            }
        }
    }
    let pairs = (ia, ib);
    let f = pair_energy(&pairs);
    let x = Tensor::from_vec(pts, &[2 * n]);
    let p = hessian_sparsity(&f, &x).unwrap();
    let d = hessian(&f)(&x).to_vec::<f64>();
    assert_eq!(covers(&p, 2 * n, 2 * n, &d), 0);
    assert!(
        p.nnz() < 2 * n * 2 * n / 3,
        "sparse: {} of {}",
        p.nnz(),
        4 * n * n
    );
    let star = color_star(&p);
    assert!(is_star(&p, &star));
    assert!(star.count <= color_columns(&p).count);
    let h = sparse_hessian(&f, &x).unwrap().to_dense().to_vec::<f64>();
    for (a, b) in h.iter().zip(&d) {
        assert!((a - b).abs() <= 1e-10 * b.abs().max(1.0), "{a} vs {b}");
    }
}

#[test]
fn star_colorings_of_random_symmetric_patterns_are_valid() {
    use cotangent::sparse::{color_star, is_star};
    // Random symmetric patterns from a fixed linear congruential sequence.
    let mut state = 12345u64;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as usize
    };
    for trial in 0..200 {
        let n = 2 + trial % 25;
        let mut rows: Vec<Vec<usize>> = (0..n).map(|i| vec![i]).collect();
        for _ in 0..(next() % (2 * n)) {
            let (i, j) = (next() % n, next() % n);
            if i != j {
                rows[i].push(j);
                rows[j].push(i);
            }
        }
        let mut indptr = vec![0];
        let mut indices = Vec::new();
        for r in &mut rows {
            r.sort_unstable();
            r.dedup();
            indices.extend_from_slice(r);
            indptr.push(indices.len());
        }
        let p = Pattern {
            rows: n,
            cols: n,
            indptr,
            indices,
            conservative: vec![],
        };
        let c = color_star(&p);
        assert!(is_star(&p, &c), "trial {trial}: {p:?} {c:?}");
        // And a two-colored path on four vertices never appears.
        for a in 0..n {
            for &b in p.row(a).iter().filter(|&&b| b != a) {
                for &cc in p.row(b).iter().filter(|&&cc| cc != b && cc != a) {
                    for &dd in p
                        .row(cc)
                        .iter()
                        .filter(|&&dd| dd != cc && dd != b && dd != a)
                    {
                        let k = &c.colors;
                        assert!(
                            !(k[a] == k[cc] && k[b] == k[dd]),
                            "trial {trial}: path {a}-{b}-{cc}-{dd} is two-colored"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn plans_run_under_jit_and_grad() {
    use cotangent::sparse::SparseHessian;
    let x = Tensor::linspace(-0.5, 1.5, 50, DType::F64);
    let plan = SparseJacobian::new(residual, &x).unwrap();
    let eager = plan.eval(residual, &x).unwrap().values;
    let jitted = jit(|x: &Tensor| plan.values(residual, x).unwrap());
    assert_eq!(jitted(&x).to_vec::<f64>(), eager);
    let y = &x * 0.5;
    assert_eq!(
        jitted(&y).to_vec::<f64>(),
        plan.eval(residual, &y).unwrap().values
    );
    let hp = SparseHessian::new(arrow_energy, &x).unwrap();
    let hj = jit(|x: &Tensor| hp.values(arrow_energy, x).unwrap())(&x).to_vec::<f64>();
    let he = hp.eval(arrow_energy, &x).unwrap().values;
    assert!(hj
        .iter()
        .zip(&he)
        .all(|(a, b)| (a - b).abs() <= 1e-13 * b.abs().max(1.0)));
    // The entries differentiate: d/dx of the sum of the Jacobian's entries.
    let g = grad(|x: &Tensor| plan.values(residual, x).unwrap().sum())(&x);
    assert_eq!(g.dims(), &[50]);
}

/// The local pattern at `x`: inside the global one, and still covering the dense Jacobian at
/// `x`. Returns (global nnz, local nnz).
fn local_checked(f: impl Fn(&Tensor) -> Tensor + Copy, x: &Tensor) -> (usize, usize) {
    use cotangent::sparse::jacobian_sparsity_local;
    let global = jacobian_sparsity(f, x).unwrap();
    let local = jacobian_sparsity_local(f, x).unwrap();
    let (m, n, d) = dense(f, x);
    covers(&local, m, n, &d);
    for i in 0..local.rows {
        for &j in local.row(i) {
            assert!(
                global.contains(i, j),
                "local ({i}, {j}) is not in the global pattern"
            );
        }
    }
    (global.nnz(), local.nnz())
}

#[test]
fn local_patterns_drop_the_branches_not_taken() {
    // A ReLU layer: the rows of inactive units are empty at this point.
    let w = Tensor::randn(&[6, 5], 1, DType::F64);
    let b = Tensor::from_vec(vec![-9.0, 9.0, -9.0, 9.0, 0.0, -9.0], &[6]);
    let layer = |x: &Tensor| (w.matmul(x) + &b).relu();
    let x = Tensor::randn(&[5], 2, DType::F64) * 0.1;
    let (global, local) = local_checked(layer, &x);
    assert_eq!(global, 30);
    let live = (w.matmul(&x) + &b)
        .gt(&Tensor::scalar(0.0))
        .cast(DType::F64)
        .sum()
        .item::<f64>();
    assert_eq!(local, 5 * live as usize, "five columns per active unit");
    assert!(local < global);

    // A max over rows: one element per row (distinct values), a tie keeps both.
    let rowmax = |x: &Tensor| x.reshape(&[3, 4]).max_axes(&[1], false);
    let x = Tensor::from_vec(
        vec![
            1.0, 7.0, 3.0, 2.0, 5.0, 5.0, 0.0, 1.0, -1.0, -2.0, -3.0, -0.5,
        ],
        &[12],
    );
    let (global, local) = local_checked(rowmax, &x);
    assert_eq!((global, local), (12, 4));
    let p = cotangent::sparse::jacobian_sparsity_local(rowmax, &x).unwrap();
    assert_eq!(
        (p.row(0), p.row(1), p.row(2)),
        (&[1][..], &[4, 5][..], &[11][..])
    );

    // select: each output reads the branch its condition picks.
    let branch = |x: &Tensor| {
        let n = x.numel() / 2;
        let (a, c) = (x.narrow(0, 0, n), x.narrow(0, n, n));
        where_(&a.gt(&Tensor::scalar(0.0)), &a.sin(), &(&c * &a))
    };
    let x = Tensor::from_vec(vec![1.0, -1.0, 2.0, -2.0, 0.5, 0.5, 0.5, 0.5], &[8]);
    let (global, local) = local_checked(branch, &x);
    assert_eq!((global, local), (8, 6));

    // clamp (max then min): elements outside the bounds have no dependence at all.
    let clamp = |x: &Tensor| x.clamp(-1.0, 1.0) * 3.0;
    let x = Tensor::from_vec(vec![-2.0, -0.5, 0.5, 2.0], &[4]);
    assert_eq!(local_checked(clamp, &x), (4, 2));
}

#[test]
fn local_plans_compute_the_jacobian_with_fewer_colors() {
    // Each output is the larger of two neighbours: the global pattern is bidiagonal (2 colors);
    // at an alternating point each output reads one input, and one color does.
    let f = |x: &Tensor| {
        let n = x.numel();
        x.narrow(0, 0, n - 1)
            .maximum(&x.narrow(0, 1, n - 1))
            .square()
    };
    let x = Tensor::from_vec(
        (0..1000)
            .map(|i| {
                if i % 2 == 0 {
                    2.0 + i as f64 * 1e-3
                } else {
                    -1.0
                }
            })
            .collect(),
        &[1000],
    );
    let global = SparseJacobian::new(f, &x).unwrap();
    let local = SparseJacobian::new_local(f, &x).unwrap();
    assert_eq!((global.coloring.count, local.coloring.count), (2, 1));
    let dense_j = jacobian(f)(&x);
    assert_eq!(
        local.eval(f, &x).unwrap().to_dense().to_vec::<f64>(),
        dense_j.to_vec::<f64>()
    );
    assert_eq!(
        global.eval(f, &x).unwrap().to_dense().to_vec::<f64>(),
        dense_j.to_vec::<f64>()
    );
}

#[test]
fn a_local_pattern_needs_a_concrete_point() {
    use cotangent::sparse::jacobian_sparsity_local;
    let e = jacobian_sparsity_local(|x: &Tensor| x.relu(), &Tensor::from_vec(vec![1i64], &[1]))
        .unwrap_err();
    assert!(e.to_string().contains("jacobian_sparsity_local"), "{e}");
    let traced = Jit::new(|x: &[Tensor]| {
        let e = jacobian_sparsity_local(|x: &Tensor| x.relu(), &x[0]).unwrap_err();
        assert!(e.to_string().contains("concrete input"), "{e}");
        vec![x[0].clone()]
    });
    traced.call(&[Tensor::ones(&[2], DType::F64)]);
}
