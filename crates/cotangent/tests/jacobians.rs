//! Forward mode, Jacobians and second order: the modes agree with each other and with finite
//! differences, `jacobian` picks the cheaper mode (counted, not timed), Hessians match
//! hand-derived matrices, and nested modes compose.

use cotangent::testing::check_grads;
use cotangent::*;

fn max_abs_diff(a: &Tensor, b: &Tensor) -> f64 {
    assert_eq!(a.dims(), b.dims());
    a.to_f64_vec()
        .iter()
        .zip(b.to_f64_vec())
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

/// Central finite-difference Jacobian, shape out ++ in.
fn numeric_jacobian(f: &dyn Fn(&Tensor) -> Tensor, x: &Tensor) -> Tensor {
    let eps = 1e-6;
    let y = f(x);
    let base = x.to_vec::<f64>();
    let mut cols = Vec::new();
    for j in 0..x.numel() {
        let shifted = |s: f64| {
            let mut v = base.clone();
            v[j] += s;
            f(&Tensor::from_vec(v, x.dims())).flatten()
        };
        cols.push((shifted(eps) - shifted(-eps)) / (2.0 * eps));
    }
    let mut dims = y.dims().to_vec();
    dims.extend_from_slice(x.dims());
    Tensor::stack(&cols, 1).reshape(&dims)
}

fn check_all_modes(f: impl Fn(&Tensor) -> Tensor, x: &Tensor) {
    let jf = jacfwd(&f)(x);
    let jr = jacrev(&f)(x);
    let j = jacobian(&f)(x);
    let jn = numeric_jacobian(&f, x);
    let mut dims = f(x).dims().to_vec();
    dims.extend_from_slice(x.dims());
    assert_eq!(jf.dims(), &dims[..]);
    assert!(max_abs_diff(&jf, &jr) < 1e-12, "jacfwd vs jacrev");
    assert!(max_abs_diff(&j, &jr) < 1e-12, "jacobian vs jacrev");
    assert!(
        max_abs_diff(&jf, &jn) < 1e-6,
        "jacfwd vs finite differences"
    );
}

#[test]
fn one_input_many_outputs() {
    let f = |x: &Tensor| {
        let grid = Tensor::linspace(0.0, 1.0, 1000, DType::F64);
        (x * &grid).sin() * x
    };
    check_all_modes(f, &Tensor::from_vec(vec![0.7], &[1]));
}

#[test]
fn many_inputs_one_output() {
    let f = |x: &Tensor| (x.sin() * x).sum().reshape(&[1]);
    check_all_modes(f, &Tensor::linspace(-1.0, 1.0, 1000, DType::F64));
}

#[test]
fn square_and_multidimensional() {
    let a = Tensor::randn(&[30, 30], 5, DType::F64) * 0.2;
    let f = move |x: &Tensor| a.matmul(x).tanh() + x.square();
    check_all_modes(f, &Tensor::randn(&[30], 6, DType::F64));
    let g = |x: &Tensor| x.matmul(&x.t()).exp().sum_axes(&[0], true);
    check_all_modes(g, &(Tensor::randn(&[3, 4], 7, DType::F64) * 0.3));
    let h = |x: &Tensor| x.reshape(&[2, 3]).softmax(-1).unsqueeze(0);
    check_all_modes(h, &Tensor::randn(&[6], 8, DType::F64));
}

#[test]
fn jacobian_runs_one_pass_in_the_cheap_direction() {
    let wide = |x: &Tensor| (x.sin() * x).sum().reshape(&[1]);
    reset_pass_counts();
    let (_, mode) =
        try_jacobian_in(wide, &Tensor::linspace(-1.0, 1.0, 1000, DType::F64), None).unwrap();
    assert_eq!(mode, Mode::Reverse);
    assert_eq!(
        pass_counts(),
        PassCounts {
            forward: 0,
            reverse: 1
        }
    );

    let tall = |x: &Tensor| (x * &Tensor::linspace(0.0, 1.0, 1000, DType::F64)).sin();
    reset_pass_counts();
    let (_, mode) = try_jacobian_in(tall, &Tensor::from_vec(vec![0.3], &[1]), None).unwrap();
    assert_eq!(mode, Mode::Forward);
    assert_eq!(
        pass_counts(),
        PassCounts {
            forward: 1,
            reverse: 0
        }
    );
}

fn rosenbrock(x: &Tensor) -> Tensor {
    let n = x.numel();
    let (head, tail) = (x.narrow(0, 0, n - 1), x.narrow(0, 1, n - 1));
    ((&tail - &head.square()).square() * 100.0 + (1.0 - head).square()).sum()
}

#[test]
fn hessian_of_rosenbrock() {
    let xv = [1.2, 0.8, -0.5];
    let h = hessian(rosenbrock)(&Tensor::from_vec(xv.to_vec(), &[3])).to_vec::<f64>();
    // Hand-derived: tridiagonal.
    let mut expected = [[0.0; 3]; 3];
    for i in 0..3 {
        if i < 2 {
            expected[i][i] += 1200.0 * xv[i] * xv[i] - 400.0 * xv[i + 1] + 2.0;
            expected[i][i + 1] = -400.0 * xv[i];
            expected[i + 1][i] = -400.0 * xv[i];
        }
        if i > 0 {
            expected[i][i] += 200.0;
        }
    }
    for i in 0..3 {
        for j in 0..3 {
            assert!((h[i * 3 + j] - expected[i][j]).abs() < 1e-10, "H[{i}][{j}]");
        }
    }
}

#[test]
fn hvp_matches_hessian_times_v() {
    let f = |x: &Tensor| (x.tanh().square() * x.sin()).sum() + rosenbrock(x);
    let x = Tensor::randn(&[50], 9, DType::F64) * 0.5;
    let v = Tensor::randn(&[50], 10, DType::F64);
    let hv = hvp(f, &x, &v);
    let h = hessian(f)(&x);
    assert!(max_abs_diff(&hv, &h.matmul(&v)) < 1e-10);
}

#[test]
fn nested_modes_agree() {
    let fs: [fn(&Tensor) -> Tensor; 3] = [
        |x| (x.sin() * x.exp()).sum().reshape(&[1]) * x,
        |x| x.matmul(&x.t().unsqueeze(-1)).tanh() * x.square(),
        |x| x.softmax(0).log() + x.sigmoid(),
    ];
    let x = Tensor::from_vec(vec![0.3, -0.7, 1.1], &[3]);
    for (i, f) in fs.iter().enumerate() {
        let ff = jacfwd(jacfwd(f))(&x);
        let fr = jacfwd(jacrev(f))(&x);
        let rf = jacrev(jacfwd(f))(&x);
        let rr = jacrev(jacrev(f))(&x);
        assert_eq!(ff.dims(), &[3, 3, 3]);
        for (name, j) in [
            ("jacfwd(jacrev)", &fr),
            ("jacrev(jacfwd)", &rf),
            ("jacrev(jacrev)", &rr),
        ] {
            assert!(max_abs_diff(&ff, j) < 1e-12, "function {i}: {name}");
        }
    }
}

#[test]
fn jvp_of_grad_and_grad_of_jvp() {
    let f = |x: &Tensor| (x.sin() * x).sum();
    let x = Tensor::from_vec(vec![0.4, 1.3], &[2]);
    let v = Tensor::from_vec(vec![1.0, -2.0], &[2]);
    let g = grad(f);
    let jog = jvp(|xs: &[Tensor]| g(&xs[0]), &[x.clone()], &[v.clone()]).1;
    let gov = grad(|x: &Tensor| jvp(|xs: &[Tensor]| f(&xs[0]), &[x.clone()], &[v.clone()]).1)(&x);
    assert!(max_abs_diff(&jog, &gov) < 1e-14, "the Hessian is symmetric");
    // d²/dx² (x sin x) = 2 cos x − x sin x
    let expected: Vec<f64> = [0.4f64, 1.3]
        .iter()
        .zip([1.0, -2.0])
        .map(|(x, v)| v * (2.0 * x.cos() - x * x.sin()))
        .collect();
    assert!(max_abs_diff(&jog, &Tensor::from_vec(expected, &[2])) < 1e-14);
}

#[test]
fn linearize_applies_to_many_tangents_without_rerunning() {
    let (y, lin) = linearize(
        |xs: &[Tensor]| xs[0].exp() * &xs[1],
        &[Tensor::scalar(0.0), Tensor::scalar(3.0)],
    );
    assert_eq!(y.item::<f64>(), 3.0);
    reset_pass_counts();
    assert_eq!(
        lin.call(&[Tensor::scalar(1.0), Tensor::scalar(0.0)])
            .item::<f64>(),
        3.0
    );
    assert_eq!(
        lin.call(&[Tensor::scalar(0.0), Tensor::scalar(1.0)])
            .item::<f64>(),
        1.0
    );
    assert_eq!(
        pass_counts(),
        PassCounts {
            forward: 2,
            reverse: 0
        }
    );
    assert!(lin.try_call(&[Tensor::scalar(1.0)]).is_err());
}

#[test]
fn third_order_by_nesting_and_forward_over_forward() {
    let d3 = |x: f64| {
        let f = |x: &Tensor| x.sin() * x;
        let once = move |x: &Tensor| jvp(|a: &[Tensor]| f(&a[0]), &[x.clone()], &[x.ones_like()]).1;
        let twice =
            move |x: &Tensor| jvp(|a: &[Tensor]| once(&a[0]), &[x.clone()], &[x.ones_like()]).1;
        jvp(
            |a: &[Tensor]| twice(&a[0]),
            &[Tensor::scalar(x)],
            &[Tensor::scalar(1.0)],
        )
        .1
        .item::<f64>()
    };
    // d³/dx³ (x sin x) = −3 sin x − x cos x
    let x = 0.9f64;
    assert!((d3(x) - (-3.0 * x.sin() - x * x.cos())).abs() < 1e-13);
    check_grads(|xs| (xs[0].sin() * &xs[0]).sum(), &[Tensor::scalar(x)], 3).unwrap();
}
