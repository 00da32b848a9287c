//! Implicit differentiation: `custom_root` and `custom_linear_solve` give the derivatives of the
//! closed form (or of the unrolled solver) in both modes, to second order, under `jit` and
//! `vmap`, while the user's solver itself (Newton, bisection, fixed-point iteration, conjugate
//! gradients in plain Rust) is never differentiated.

use cotangent::*;

type Lin<'a> = &'a dyn Fn(&Tensor) -> Tensor;

fn close(got: &[f64], want: &[f64], tol: f64, what: &str) -> f64 {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    let err = got
        .iter()
        .zip(want)
        .map(|(g, w)| (g - w).abs() / w.abs().max(1.0))
        .fold(0.0, f64::max);
    assert!(
        err <= tol,
        "{what}: error {err:e} > {tol:e}\n got  {got:?}\n want {want:?}"
    );
    eprintln!("{what}: max error {err:e}");
    err
}

// ---- Solvers, written as a user would: plain Rust, values read with `item()`. ----

/// Newton's method for x² − a = 0 (the solver knows f' = 2x; it only evaluates f).
fn newton_sqrt(f: Lin, x0: &Tensor) -> Tensor {
    let mut x = x0.item::<f64>();
    for _ in 0..100 {
        let fx = f(&Tensor::scalar(x)).item::<f64>();
        let step = fx / (2.0 * x);
        x -= step;
        if step.abs() <= 1e-17 * x.abs() {
            break;
        }
    }
    Tensor::scalar(x)
}

/// Bisection on [0, max(1, x0)] for an increasing f: comparisons only, no derivative at all.
fn bisect(f: Lin, x0: &Tensor) -> Tensor {
    let (mut lo, mut hi) = (0.0f64, x0.item::<f64>().max(1.0));
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid == lo || mid == hi {
            break;
        }
        if f(&Tensor::scalar(mid)).item::<f64>() > 0.0 {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Tensor::scalar(0.5 * (lo + hi))
}

/// The scalar tangent solve: g is multiplication by g(1).
fn scalar_tangent_solve(g: Lin, y: &Tensor) -> Tensor {
    y / &g(&y.ones_like())
}

/// A dense tangent solve for vectors: the matrix of g column by column, then an LU solve.
fn dense_tangent_solve(g: Lin, y: &Tensor) -> Tensor {
    let n = y.dims()[0];
    let eye = Tensor::eye(n, y.dtype());
    let cols: Vec<Tensor> = (0..n)
        .map(|j| g(&eye.try_narrow(0, j, 1).unwrap().reshape(&[n])))
        .collect();
    Tensor::stack(&cols, 1).solve(y)
}

/// Fixed-point iteration x ← x − f(x) (for f(x) = x − φ(x), this is x ← φ(x)).
fn fixed_point(f: Lin, x0: &Tensor) -> Tensor {
    let mut x = x0.clone();
    for _ in 0..500 {
        let r = f(&x);
        x = &x - &r;
        if r.abs().max().item::<f64>() < 1e-17 {
            break;
        }
    }
    x
}

/// Conjugate gradients for a symmetric positive definite operator, to a relative residual of
/// 1e-15 (or 200 steps).
fn cg(matvec: Lin, b: &Tensor) -> Tensor {
    let mut x = b.zeros_like();
    let mut r = b.clone();
    let mut p = r.clone();
    let mut rr = (&r * &r).sum().item::<f64>();
    let stop = rr.sqrt() * 1e-15;
    for _ in 0..200 {
        if rr.sqrt() <= stop || rr == 0.0 {
            break;
        }
        let ap = matvec(&p);
        let alpha = rr / (&p * &ap).sum().item::<f64>();
        x = &x + &(&p * alpha);
        r = &r - &(&ap * alpha);
        let next = (&r * &r).sum().item::<f64>();
        p = &r + &(&p * (next / rr));
        rr = next;
    }
    x
}

/// Gaussian elimination with partial pivoting on the matrix of `matvec`, in plain f64 loops.
fn gauss(matvec: Lin, b: &Tensor) -> Tensor {
    let n = b.dims()[0];
    let mut a = vec![vec![0.0; n + 1]; n];
    for j in 0..n {
        let mut e = vec![0.0; n];
        e[j] = 1.0;
        let col = matvec(&Tensor::from_vec(e, &[n])).to_vec::<f64>();
        for i in 0..n {
            a[i][j] = col[i];
        }
    }
    for (i, v) in b.to_vec::<f64>().into_iter().enumerate() {
        a[i][n] = v;
    }
    for k in 0..n {
        let p = (k..n)
            .max_by(|&i, &j| a[i][k].abs().total_cmp(&a[j][k].abs()))
            .unwrap();
        a.swap(k, p);
        let pivot = a[k].clone();
        for row in &mut a[k + 1..] {
            let m = row[k] / pivot[k];
            for (v, p) in row[k..].iter_mut().zip(&pivot[k..]) {
                *v -= m * p;
            }
        }
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        let s: f64 = (i + 1..n).map(|j| a[i][j] * x[j]).sum();
        x[i] = (a[i][n] - s) / a[i][i];
    }
    Tensor::from_vec(x, &[n])
}

// ---- (1) sqrt by Newton, cube root by bisection ----

fn sqrt_newton(a: &Tensor) -> Tensor {
    custom_root(
        |x| x.square() - a,
        &Tensor::scalar(1.0),
        newton_sqrt,
        scalar_tangent_solve,
    )
}

#[test]
fn sqrt_by_newton_derivatives_in_both_modes_and_second_order() {
    for a in [0.3f64, 2.0, 9.0] {
        let t = Tensor::scalar(a);
        let s = a.sqrt();
        close(&[sqrt_newton(&t).item()], &[s], 1e-15, "sqrt value");
        close(
            &[grad(sqrt_newton)(&t).item()],
            &[0.5 / s],
            1e-12,
            "d/da sqrt, reverse",
        );
        let (_, dt) = jvp(|x| sqrt_newton(&x[0]), &[t.clone()], &[Tensor::scalar(1.0)]);
        close(&[dt.item()], &[0.5 / s], 1e-12, "d/da sqrt, forward");
        let want2 = -0.25 / a.powf(1.5);
        close(
            &[grad(grad(sqrt_newton))(&t).item()],
            &[want2],
            1e-12,
            "d²/da² sqrt, reverse over reverse",
        );
        let (_, d2) = jvp(
            |x| grad(sqrt_newton)(&x[0]),
            &[t.clone()],
            &[Tensor::scalar(1.0)],
        );
        close(
            &[d2.item()],
            &[want2],
            1e-12,
            "d²/da² sqrt, forward over reverse",
        );
        let (_, d2f) = jvp(
            |x| {
                jvp(
                    |y| sqrt_newton(&y[0]),
                    &[x[0].clone()],
                    &[Tensor::scalar(1.0)],
                )
                .1
            },
            &[t.clone()],
            &[Tensor::scalar(1.0)],
        );
        close(
            &[d2f.item()],
            &[want2],
            1e-12,
            "d²/da² sqrt, forward over forward",
        );
    }
}

#[test]
fn bisection_root_is_differentiated_implicitly() {
    // x³ − a by bisection: only comparisons, yet d/da a^(1/3) = a^(−2/3) / 3.
    let cbrt = |a: &Tensor| custom_root(|x| x.square() * x - a, a, bisect, scalar_tangent_solve);
    let a = Tensor::scalar(5.0);
    close(&[cbrt(&a).item()], &[5f64.cbrt()], 1e-15, "cbrt value");
    close(
        &[grad(cbrt)(&a).item()],
        &[5f64.powf(-2.0 / 3.0) / 3.0],
        1e-12,
        "d/da cbrt by bisection",
    );
}

#[test]
fn the_parameters_can_be_computed_values_and_several() {
    // x² − p·q with p = sin(t), q = t²: the chain runs through the captured tensors.
    let f = |t: &Tensor| {
        let (p, q) = (t.sin(), t.square());
        custom_root(
            |x| x.square() - &(&p * &q),
            &Tensor::scalar(1.0),
            newton_sqrt,
            scalar_tangent_solve,
        )
    };
    let t = 1.2f64;
    let want = {
        let u = t.sin() * t * t;
        (t.cos() * t * t + 2.0 * t * t.sin()) / (2.0 * u.sqrt())
    };
    close(
        &[grad(f)(&Tensor::scalar(t)).item()],
        &[want],
        1e-12,
        "chain through θ(t)",
    );
}

// ---- (2) a vector fixed point x = tanh(W x + b) ----

fn problem() -> (Tensor, Tensor, Tensor) {
    let n = 4;
    let w = Tensor::randn(&[n, n], 7, DType::F64) * 0.25;
    let b = Tensor::randn(&[n], 8, DType::F64);
    let c = Tensor::randn(&[n], 9, DType::F64);
    (w, b, c)
}

fn fixed_point_loss(w: &Tensor, b: &Tensor, c: &Tensor) -> Tensor {
    let x = custom_root(
        |x| x - &(w.matmul(x) + b).tanh(),
        &b.zeros_like(),
        fixed_point,
        dense_tangent_solve,
    );
    (&x * c).sum() + x.square().sum()
}

fn unrolled_loss(w: &Tensor, b: &Tensor, c: &Tensor) -> Tensor {
    let mut x = b.zeros_like();
    for _ in 0..200 {
        x = (w.matmul(&x) + b).tanh();
    }
    (&x * c).sum() + x.square().sum()
}

#[test]
fn fixed_point_gradient_matches_the_unrolled_iteration() {
    let (w, b, c) = problem();
    let (c1, c2) = (c.clone(), c.clone());
    let got =
        grad_n(move |p: &[Tensor]| fixed_point_loss(&p[0], &p[1], &c1))(&[w.clone(), b.clone()]);
    let want =
        grad_n(move |p: &[Tensor]| unrolled_loss(&p[0], &p[1], &c2))(&[w.clone(), b.clone()]);
    close(
        &got[0].to_vec::<f64>(),
        &want[0].to_vec::<f64>(),
        1e-10,
        "dL/dW, fixed point",
    );
    close(
        &got[1].to_vec::<f64>(),
        &want[1].to_vec::<f64>(),
        1e-10,
        "dL/db, fixed point",
    );
    // Forward mode along a random direction.
    let (dw, db) = (
        Tensor::randn(&[4, 4], 10, DType::F64),
        Tensor::randn(&[4], 11, DType::F64),
    );
    let (_, t1) = jvp(
        |p| fixed_point_loss(&p[0], &p[1], &c),
        &[w.clone(), b.clone()],
        &[dw.clone(), db.clone()],
    );
    let (_, t2) = jvp(|p| unrolled_loss(&p[0], &p[1], &c), &[w, b], &[dw, db]);
    close(&[t1.item()], &[t2.item()], 1e-10, "jvp, fixed point");
}

#[test]
fn fixed_point_second_order_matches_the_unrolled_iteration() {
    let (w, b, c) = problem();
    let (c1, c2) = (c.clone(), c);
    let h1 = hessian(move |b: &Tensor| fixed_point_loss(&w, b, &c1))(&b);
    let (w2, _, _) = problem();
    let h2 = hessian(move |b: &Tensor| unrolled_loss(&w2, b, &c2))(&b);
    close(
        &h1.to_vec::<f64>(),
        &h2.to_vec::<f64>(),
        1e-9,
        "d²L/db², fixed point",
    );
}

// ---- (3) custom_linear_solve with conjugate gradients ----

fn spd(theta: &Tensor) -> Tensor {
    let n = theta.dims()[0];
    theta.t().matmul(theta) + Tensor::eye(n, DType::F64) * (n as f64)
}

fn lin_data() -> (Tensor, Tensor, Tensor) {
    let n = 5;
    (
        Tensor::randn(&[n, n], 21, DType::F64),
        Tensor::randn(&[n], 22, DType::F64),
        Tensor::randn(&[n], 23, DType::F64),
    )
}

fn cg_loss(p: &[Tensor], c: &Tensor) -> Tensor {
    let a = spd(&p[0]);
    let x = custom_linear_solve_symmetric(|x| a.matmul(x), &p[1], cg);
    (&x * c).sum() + x.square().sum() * 0.5
}

fn exact_loss(p: &[Tensor], c: &Tensor) -> Tensor {
    let x = linalg::solve(&spd(&p[0]), &p[1]);
    (&x * c).sum() + x.square().sum() * 0.5
}

#[test]
fn conjugate_gradients_differentiate_like_an_exact_solve() {
    let (theta, b, c) = lin_data();
    let ps = [theta, b];
    let (c1, c2) = (c.clone(), c.clone());
    let (v1, g1) = value_and_grad_n(move |p: &[Tensor]| cg_loss(p, &c1))(&ps);
    let (v2, g2) = value_and_grad_n(move |p: &[Tensor]| exact_loss(p, &c2))(&ps);
    close(&[v1.item()], &[v2.item()], 1e-12, "CG value");
    close(
        &g1[0].to_vec::<f64>(),
        &g2[0].to_vec::<f64>(),
        1e-10,
        "dL/dθ, CG",
    );
    close(
        &g1[1].to_vec::<f64>(),
        &g2[1].to_vec::<f64>(),
        1e-10,
        "dL/db, CG",
    );
    let ts = [
        Tensor::randn(&[5, 5], 24, DType::F64),
        Tensor::randn(&[5], 25, DType::F64),
    ];
    let (_, t1) = jvp(|p| cg_loss(p, &c), &ps, &ts);
    let (_, t2) = jvp(|p| exact_loss(p, &c), &ps, &ts);
    close(&[t1.item()], &[t2.item()], 1e-10, "jvp, CG");
    // Second order: the gradient's own gradient, through the tangent linear solves.
    let (c1, c2) = (c.clone(), c);
    let h1 =
        grad_n(move |p: &[Tensor]| grad_n(|q: &[Tensor]| cg_loss(q, &c1))(p)[0].square().sum())(
            &ps,
        );
    let h2 = grad_n(move |p: &[Tensor]| {
        grad_n(|q: &[Tensor]| exact_loss(q, &c2))(p)[0]
            .square()
            .sum()
    })(&ps);
    close(
        &h1[0].to_vec::<f64>(),
        &h2[0].to_vec::<f64>(),
        1e-9,
        "second order θ, CG",
    );
    close(
        &h1[1].to_vec::<f64>(),
        &h2[1].to_vec::<f64>(),
        1e-9,
        "second order b, CG",
    );
}

#[test]
fn a_nonsymmetric_system_uses_the_transpose_solve() {
    let (theta, b, c) = lin_data();
    let general = |t: &Tensor| t + &(Tensor::eye(5, DType::F64) * 5.0);
    let custom = |p: &[Tensor]| {
        let a = general(&p[0]);
        let x = custom_linear_solve(|x| a.matmul(x), &p[1], gauss, gauss);
        (&x * &c).sum() + x.square().sum()
    };
    let exact = |p: &[Tensor]| {
        let x = linalg::solve(&general(&p[0]), &p[1]);
        (&x * &c).sum() + x.square().sum()
    };
    let ps = [theta, b];
    let g1 = grad_n(custom)(&ps);
    let g2 = grad_n(exact)(&ps);
    close(
        &g1[0].to_vec::<f64>(),
        &g2[0].to_vec::<f64>(),
        1e-10,
        "dL/dA, Gauss",
    );
    close(
        &g1[1].to_vec::<f64>(),
        &g2[1].to_vec::<f64>(),
        1e-10,
        "dL/db, Gauss",
    );
}

#[test]
fn a_root_whose_tangent_solve_is_a_custom_linear_solve() {
    // The fixed point again, its tangent systems solved by Gaussian elimination through
    // custom_linear_solve: no dense Jacobian, still exact.
    let (w, b, c) = problem();
    let loss = |p: &[Tensor]| {
        let x = custom_root(
            |x| x - &(p[0].matmul(x) + &p[1]).tanh(),
            &p[1].zeros_like(),
            fixed_point,
            |g, y| custom_linear_solve(g, y, gauss, gauss),
        );
        (&x * &c).sum() + x.square().sum()
    };
    let got = grad_n(loss)(&[w.clone(), b.clone()]);
    let want = grad_n(|p: &[Tensor]| unrolled_loss(&p[0], &p[1], &c))(&[w, b]);
    close(
        &got[0].to_vec::<f64>(),
        &want[0].to_vec::<f64>(),
        1e-10,
        "dL/dW, nested solve",
    );
    close(
        &got[1].to_vec::<f64>(),
        &want[1].to_vec::<f64>(),
        1e-10,
        "dL/db, nested solve",
    );
}

// ---- (4) jit and vmap ----

#[test]
fn jit_runs_the_solver_inside_the_compiled_program() {
    let a = Tensor::scalar(3.0);
    let v = jit(sqrt_newton)(&a).item::<f64>();
    assert_eq!(v, sqrt_newton(&a).item::<f64>());
    let g = jit(grad(sqrt_newton));
    assert_eq!(g(&a).item::<f64>(), grad(sqrt_newton)(&a).item::<f64>());
    // The compiled function is reused for another value: the solver runs again.
    close(
        &[g(&Tensor::scalar(16.0)).item()],
        &[0.125],
        1e-15,
        "jit(grad) reused",
    );
    let gg = jit(grad(grad(sqrt_newton)))(&a).item::<f64>();
    close(&[gg], &[-0.25 / 3f64.powf(1.5)], 1e-12, "jit(grad(grad))");

    let (theta, b, c) = lin_data();
    let ps = [theta, b];
    let c1 = c.clone();
    let jitted = jit_n(move |p: &[Tensor]| grad_n(|q: &[Tensor]| cg_loss(q, &c1))(p))(&ps);
    let eager = grad_n(|q: &[Tensor]| cg_loss(q, &c))(&ps);
    for (j, e) in jitted.iter().zip(&eager) {
        close(
            &j.to_vec::<f64>(),
            &e.to_vec::<f64>(),
            1e-13,
            "jit(grad) of CG",
        );
    }
}

#[test]
fn vmap_solves_each_example() {
    let a = Tensor::from_vec(vec![0.5, 1.0, 4.0, 10.0], &[4]);
    let want: Vec<f64> = a.to_vec::<f64>().iter().map(|v| v.sqrt()).collect();
    let dwant: Vec<f64> = want.iter().map(|s| 0.5 / s).collect();
    reset_vmap_fallbacks();
    close(
        &vmap(sqrt_newton, 0, 0)(&a).to_vec::<f64>(),
        &want,
        1e-15,
        "vmap sqrt",
    );
    close(
        &vmap(grad(sqrt_newton), 0, 0)(&a).to_vec::<f64>(),
        &dwant,
        1e-12,
        "vmap(grad)",
    );
    close(
        &jit(vmap(grad(sqrt_newton), 0, 0))(&a).to_vec::<f64>(),
        &dwant,
        1e-12,
        "jit(vmap(grad))",
    );
    // grad of a vmapped root: the sum of per-example derivatives.
    let g = grad(|a: &Tensor| vmap(sqrt_newton, 0, 0)(a).sum())(&a);
    close(&g.to_vec::<f64>(), &dwant, 1e-12, "grad(vmap)");
    let (_, t) = jvp(
        |x| vmap(sqrt_newton, 0, 0)(&x[0]),
        &[a.clone()],
        &[a.ones_like()],
    );
    close(&t.to_vec::<f64>(), &dwant, 1e-12, "jvp(vmap)");
    let d2: Vec<f64> = a
        .to_vec::<f64>()
        .iter()
        .map(|v| -0.25 / v.powf(1.5))
        .collect();
    close(
        &vmap(grad(grad(sqrt_newton)), 0, 0)(&a).to_vec::<f64>(),
        &d2,
        1e-12,
        "vmap(grad(grad))",
    );
    let g2 = grad(|a: &Tensor| grad(|a: &Tensor| vmap(sqrt_newton, 0, 0)(a).sum())(a).sum())(&a);
    close(&g2.to_vec::<f64>(), &d2, 1e-12, "grad(grad(vmap))");
    // Nested: a [2, 2] batch of batches.
    let m = a.reshape(&[2, 2]);
    let nested = vmap(vmap(grad(sqrt_newton), 0, 0), 0, 0)(&m);
    close(&nested.to_vec::<f64>(), &dwant, 1e-12, "vmap(vmap(grad))");
    let nested = vmap(vmap(sqrt_newton, 0, 0), 1, 1)(&m);
    close(
        &nested.to_vec::<f64>(),
        &want,
        1e-15,
        "vmap(vmap) at axis 1",
    );
    assert_eq!(
        vmap_fallbacks(),
        0,
        "a batching rule, not the per-example fallback"
    );

    // A batch of right-hand sides through CG, the matrix shared.
    let (theta, _, c) = lin_data();
    let bs = Tensor::randn(&[3, 5], 30, DType::F64);
    let (t1, c1) = (theta.clone(), c.clone());
    let per = vmap(
        move |b: &Tensor| cg_loss(&[t1.clone(), b.clone()], &c1),
        0,
        0,
    )(&bs);
    let ex = vmap(
        move |b: &Tensor| exact_loss(&[theta.clone(), b.clone()], &c),
        0,
        0,
    )(&bs);
    close(
        &per.to_vec::<f64>(),
        &ex.to_vec::<f64>(),
        1e-12,
        "vmap of CG",
    );
}

#[test]
fn vmap_of_grad_of_the_fixed_point_matches_a_loop() {
    let (w, _, c) = problem();
    let bs = Tensor::randn(&[3, 4], 40, DType::F64);
    let (w1, c1) = (w.clone(), c.clone());
    let mapped = vmap(
        move |b: &Tensor| grad(|b: &Tensor| fixed_point_loss(&w1, b, &c1))(b),
        0,
        0,
    )(&bs);
    for i in 0..3 {
        let b = bs.try_narrow(0, i, 1).unwrap().reshape(&[4]);
        let one = grad(|b: &Tensor| fixed_point_loss(&w, b, &c))(&b);
        let row = mapped.try_narrow(0, i, 1).unwrap().reshape(&[4]);
        close(
            &row.to_vec::<f64>(),
            &one.to_vec::<f64>(),
            1e-14,
            "vmap(grad) row",
        );
    }
}

// ---- (6) errors ----

#[test]
fn errors_name_the_op_and_the_types() {
    let x0 = Tensor::from_vec(vec![1.0, 2.0], &[2]);
    let e = try_custom_root(|x| x.sum(), &x0, |_, x0| x0.clone(), scalar_tangent_solve)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("custom_root") && e.contains("(f64[])") && e.contains("f64[2]"),
        "{e}"
    );
    assert!(e.contains("implicit.rs"), "at the caller's line: {e}");

    let e = try_custom_root(
        |x| x - 1.0,
        &x0,
        |_, _| Tensor::scalar(1.0),
        scalar_tangent_solve,
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("custom_root") && e.contains("solve returned f64[]"),
        "{e}"
    );

    let e = try_custom_root(
        |x| x.clone(),
        &Tensor::from_vec(vec![1i64, 2], &[2]),
        |_, x0| x0.clone(),
        scalar_tangent_solve,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("custom_root") && e.contains("float"), "{e}");

    let e = try_custom_linear_solve(|x| x.sum(), &x0, cg, cg)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("custom_linear_solve") && e.contains("matvec returns"),
        "{e}"
    );

    // A tangent solve returning the wrong shape is reported when the derivative is taken.
    let bad = |a: &Tensor| {
        custom_root(
            |x| x.square() - a,
            &Tensor::scalar(1.0),
            newton_sqrt,
            |_, _| Tensor::zeros(&[3], DType::F64),
        )
    };
    let e = try_value_and_grad_n(|a: &[Tensor]| bad(&a[0]), &[Tensor::scalar(2.0)])
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(e.contains("tangent_solve returned f64[3]"), "{e}");
}

#[test]
#[should_panic(expected = "custom_root")]
fn the_panicking_form_panics_with_the_message() {
    let _ = custom_root(
        |x| x.sum(),
        &Tensor::from_vec(vec![1.0, 2.0], &[2]),
        |_, x0| x0.clone(),
        scalar_tangent_solve,
    );
}

#[test]
fn vmap_of_grad_of_cg_over_batched_matrices_and_rhs() {
    // Both the matrix parameters and the right-hand sides batched: the extras of the traced
    // matvec carry the batch axis.
    let thetas = Tensor::randn(&[3, 5, 5], 50, DType::F64);
    let bs = Tensor::randn(&[3, 5], 51, DType::F64);
    let c = Tensor::randn(&[5], 52, DType::F64);
    let (c1, c2) = (c.clone(), c);
    let got = vmap_n(
        move |p: &[Tensor]| grad_n(|q: &[Tensor]| cg_loss(q, &c1))(p),
        vec![Some(0), Some(0)],
        vec![0],
    );
    let want = vmap_n(
        move |p: &[Tensor]| grad_n(|q: &[Tensor]| exact_loss(q, &c2))(p),
        vec![Some(0), Some(0)],
        vec![0],
    );
    let ps = [thetas, bs];
    let (g, w) = (got(&ps), want(&ps));
    close(
        &g[0].to_vec::<f64>(),
        &w[0].to_vec::<f64>(),
        1e-10,
        "vmap(grad) dθ, CG",
    );
    close(
        &g[1].to_vec::<f64>(),
        &w[1].to_vec::<f64>(),
        1e-10,
        "vmap(grad) db, CG",
    );
    let j = jit_n(got)(&ps);
    close(
        &j[0].to_vec::<f64>(),
        &w[0].to_vec::<f64>(),
        1e-10,
        "jit(vmap(grad)) dθ, CG",
    );
}

#[test]
fn the_solver_may_use_the_library_s_own_derivatives() {
    // Newton with f' from `jvp` of the residual it is handed: the solver is opaque, but it
    // runs as ordinary code and can differentiate f itself.
    let newton = |f: Lin, x0: &Tensor| {
        let mut x = x0.clone();
        for _ in 0..60 {
            let (fx, dfx) = jvp(|a| f(&a[0]), std::slice::from_ref(&x), &[x.ones_like()]);
            x = &x - &(&fx / &dfx);
        }
        x
    };
    let sqrt = move |a: &Tensor| {
        custom_root(
            |x| x.square() - a,
            &Tensor::scalar(1.0),
            newton,
            scalar_tangent_solve,
        )
    };
    let a = Tensor::scalar(2.0);
    close(
        &[sqrt(&a).item()],
        &[2f64.sqrt()],
        1e-15,
        "Newton via jvp, value",
    );
    close(
        &[grad(sqrt)(&a).item()],
        &[0.5 / 2f64.sqrt()],
        1e-12,
        "Newton via jvp, gradient",
    );
    close(
        &[jit(grad(sqrt))(&a).item()],
        &[0.5 / 2f64.sqrt()],
        1e-12,
        "Newton via jvp, jit(grad)",
    );
}

#[test]
fn nested_derivatives_do_not_confuse_their_variables() {
    // g(x) = x · d/da sqrt(a·x) at a = 1 = x · √x / 2, so g'(x) = ¾ √x. The residual closes over
    // the inner variable a and the outer x.
    let g = |x: &Tensor| {
        let x2 = x.clone();
        let inner = move |a: &Tensor| {
            let ax = a * &x2;
            custom_root(
                |r| r.square() - &ax,
                &Tensor::scalar(1.0),
                newton_sqrt,
                scalar_tangent_solve,
            )
        };
        x * &grad(inner)(&Tensor::scalar(1.0))
    };
    let x = 3.0f64;
    close(
        &[g(&Tensor::scalar(x)).item()],
        &[x * x.sqrt() / 2.0],
        1e-12,
        "g",
    );
    close(
        &[grad(g)(&Tensor::scalar(x)).item()],
        &[0.75 * x.sqrt()],
        1e-12,
        "g'",
    );
}
