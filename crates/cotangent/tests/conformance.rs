//! Agreement with JAX in float64 over every transformation route. Each program is a scalar
//! function of a flat vector, written here with cotangent and in
//! `tests/reference/conformance.py` with JAX, whose value, gradient, Hessian and JVP are stored
//! in `tests/reference/conformance_values.rs` (regenerate with the command in the script).
//!
//! For every program the test computes, and compares to a relative 1e-10:
//! - the value eagerly, under `jit`, and under `vmap(jit)` at two points;
//! - the gradient by `grad`, `backward`, `vjp`, `jacrev`, `jacfwd`, `jit(grad)`, `grad(jit)`,
//!   `vmap(grad)` at two points, and `linearize` applied to basis vectors;
//! - the JVP by `jvp`, `linearize` and `jit(jvp)`;
//! - the Hessian by `hessian` (forward over reverse), `jit(hessian)`, `jacrev(grad)`,
//!   `jacfwd(jacfwd)`, and
//!   its off-diagonal blocks by `jacfwd` over one argument of a two-argument `grad_n`.
//!
//! Programs with `reverse: false` (a `while_loop`) take the forward routes only.

#![allow(clippy::excessive_precision)]

use cotangent::*;

/// JAX's numbers for one program.
pub struct Reference {
    name: &'static str,
    n: usize,
    reverse: bool,
    x0: &'static [f64],
    x1: &'static [f64],
    value0: f64,
    value1: f64,
    grad0: &'static [f64],
    grad1: &'static [f64],
    hessian0: &'static [f64],
    jvp0: f64,
}

include!("reference/conformance_values.rs");

fn v(xs: &[f64]) -> Tensor {
    Tensor::from_vec(xs.to_vec(), &[xs.len()])
}

fn w() -> Tensor {
    v(&[0.1, -0.2, 0.3, 0.4, -0.5, 0.6])
}

fn program(name: &str) -> fn(&Tensor) -> Tensor {
    match name {
        "teaching" => |x| {
            let (a, b) = (x.narrow(0, 0, 1).sum(), x.narrow(0, 1, 1).sum());
            ((&a + &b).square() + (&a * &b).sin()).log()
        },
        "mlp" => |x| {
            let wm = x.narrow(0, 0, 4).reshape(&[2, 2]);
            let c = v(&[0.3, -0.2]).reshape(&[2, 1]);
            let h = (wm.matmul(&c).reshape(&[2]) + x.narrow(0, 4, 2)).tanh();
            (&h * &h).sum() + h.sin().sum()
        },
        "layer_norm" => |x| {
            let m = x.mean();
            let d = x - &m;
            let var = (&d * &d).mean();
            (d / (var + 1e-5).sqrt() * w()).sum()
        },
        "attention" => |x| {
            let q = x.reshape(&[3, 2]);
            let s = (q.matmul(&q.t()) / 2f64.sqrt()).softmax(1);
            (s.matmul(&q) * w().reshape(&[3, 2])).sum()
        },
        "residual" => |x| {
            let y = x + (x * 0.5).tanh();
            y.logsumexp(&[0], false) + (&y * &y).sum() * 0.1
        },
        "scan_rnn" => |x| {
            let (h, ys) = scan(
                |c: &[Tensor], xt: &[Tensor]| {
                    let h = (&c[0] * 0.7 + &xt[0]).tanh();
                    (vec![h.clone()], vec![h])
                },
                &[Tensor::zeros(&[2], DType::F64)],
                &[x.reshape(&[3, 2])],
            );
            h[0].sum() + (&ys[0] * &ys[0]).sum()
        },
        "fori" => {
            |x| fori_loop(0, 3, |_, y: &[Tensor]| vec![y[0].sin() * 1.1], &[x.clone()])[0].sum()
        }
        "cond" => |x| {
            cond(
                &x.sum().gt(&Tensor::scalar(0.0)),
                |y| vec![(&y[0] * &y[0]).sum()],
                |y| vec![y[0].exp().sum()],
                &[x.clone()],
            )
            .remove(0)
        },
        "checkpoint" => |x| checkpoint(|y: &[Tensor]| y[0].sin().exp())(&[x.clone()]).sum(),
        "custom_jvp" => |x| {
            let softplus = custom_jvp(
                |y: &[Tensor]| y[0].exp().log1p(),
                |p: &[Tensor], t: &[Tensor]| &t[0] * &p[0].sigmoid(),
            );
            softplus(&[x.clone()]).sum()
        },
        "cross_entropy" => |x| {
            x.reshape(&[2, 3])
                .cross_entropy(&Tensor::from_vec(vec![2i64, 0], &[2]))
        },
        "while_loop" => |x| {
            let y = while_loop(
                |y| y[0].sum().lt(&Tensor::scalar(10.0)),
                |y| vec![&y[0] * 1.5],
                &[x.clone()],
            );
            (&y[0] * &y[0]).sum()
        },
        other => panic!("no program {other}"),
    }
}

/// Failures of one comparison, as lines.
fn compare(what: &str, got: &[f64], want: &[f64], failures: &mut Vec<String>) {
    let ok = got.len() == want.len()
        && got
            .iter()
            .zip(want)
            .all(|(g, w)| (g - w).abs() <= 1e-10 * w.abs().max(1e-3));
    if !ok {
        failures.push(format!("{what}: got {got:?}, JAX {want:?}"));
    }
}

/// Run `f` and record a panic as a failure instead of stopping the test.
fn route(what: &str, failures: &mut Vec<String>, f: impl FnOnce() -> Vec<f64>, want: &[f64]) {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(got) => compare(what, &got, want, failures),
        Err(e) => {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(format!("{what}: panicked: {msg}"));
        }
    }
}

fn check(r: &Reference, failures: &mut Vec<String>) {
    let f = program(r.name);
    let (x0, x1) = (v(r.x0), v(r.x1));
    let t = v(&T[..r.n]);
    let both = Tensor::stack(&[x0.clone(), x1.clone()], 0);
    let name = r.name;
    let at = |route: &str| format!("{name} {route}");
    let mut values = vec![r.value0, r.value1];
    let mut grads = r.grad0.to_vec();
    grads.extend_from_slice(r.grad1);

    // Values.
    route(
        &at("value"),
        failures,
        || vec![f(&x0).item::<f64>()],
        &[r.value0],
    );
    route(
        &at("jit"),
        failures,
        || vec![jit(f)(&x0).item::<f64>()],
        &[r.value0],
    );
    route(
        &at("vmap(jit)"),
        failures,
        || vmap(jit(f), 0, 0)(&both).to_vec::<f64>(),
        &values,
    );
    values.clear();

    // JVP.
    route(
        &at("jvp"),
        failures,
        || {
            vec![jvp(|xs| f(&xs[0]), &[x0.clone()], &[t.clone()])
                .1
                .item::<f64>()]
        },
        &[r.jvp0],
    );
    route(
        &at("linearize"),
        failures,
        || {
            vec![linearize(|xs| f(&xs[0]), &[x0.clone()])
                .1
                .call(&[t.clone()])
                .item::<f64>()]
        },
        &[r.jvp0],
    );
    route(
        &at("jit(jvp)"),
        failures,
        || {
            let g =
                jit(move |x: &Tensor| jvp(|xs| f(&xs[0]), &[x.clone()], &[v(&T[..x.numel()])]).1);
            vec![g(&x0).item::<f64>()]
        },
        &[r.jvp0],
    );

    // Gradients by forward mode.
    route(
        &at("jacfwd"),
        failures,
        || jacfwd(f)(&x0).to_vec::<f64>(),
        r.grad0,
    );
    route(
        &at("linearize basis"),
        failures,
        || {
            let (_, lin) = linearize(|xs| f(&xs[0]), &[x0.clone()]);
            (0..r.n)
                .map(|i| {
                    let mut e = vec![0.0; r.n];
                    e[i] = 1.0;
                    lin.call(&[v(&e)]).item::<f64>()
                })
                .collect()
        },
        r.grad0,
    );
    route(
        &at("jacfwd(jacfwd)"),
        failures,
        || jacfwd(jacfwd(f))(&x0).to_vec::<f64>(),
        r.hessian0,
    );
    if !r.reverse {
        return;
    }

    // Gradients by reverse mode.
    route(
        &at("grad"),
        failures,
        || grad(f)(&x0).to_vec::<f64>(),
        r.grad0,
    );
    route(
        &at("backward"),
        failures,
        || {
            let x = x0.requires_grad();
            f(&x).backward().wrt(&x).to_vec::<f64>()
        },
        r.grad0,
    );
    route(
        &at("vjp"),
        failures,
        || {
            let (_, pb) = vjp(|xs| f(&xs[0]), &[x0.clone()]);
            pb.call(&Tensor::scalar(1.0))[0].to_vec::<f64>()
        },
        r.grad0,
    );
    route(
        &at("jacrev"),
        failures,
        || jacrev(f)(&x0).to_vec::<f64>(),
        r.grad0,
    );
    route(
        &at("jit(grad)"),
        failures,
        || jit(grad(f))(&x0).to_vec::<f64>(),
        r.grad0,
    );
    route(
        &at("grad(jit)"),
        failures,
        || grad(jit(f))(&x0).to_vec::<f64>(),
        r.grad0,
    );
    route(
        &at("vmap(grad)"),
        failures,
        || vmap(grad(f), 0, 0)(&both).to_vec::<f64>(),
        &grads,
    );
    grads.clear();

    // Hessians.
    route(
        &at("hessian"),
        failures,
        || hessian(f)(&x0).to_vec::<f64>(),
        r.hessian0,
    );
    route(
        &at("jit(hessian)"),
        failures,
        || jit(hessian(f))(&x0).to_vec::<f64>(),
        r.hessian0,
    );
    route(
        &at("jacrev(grad)"),
        failures,
        || jacrev(grad(f))(&x0).to_vec::<f64>(),
        r.hessian0,
    );
    // Off-diagonal blocks: x split into a = x[..k] and b = x[k..]; d/da of ∂f/∂b is H[b, a].
    let k = r.n / 2;
    let h = |i: usize, j: usize| r.hessian0[i * r.n + j];
    let block_ba: Vec<f64> = (k..r.n)
        .flat_map(|i| (0..k).map(move |j| h(i, j)))
        .collect();
    let block_ab: Vec<f64> = (0..k)
        .flat_map(|i| (k..r.n).map(move |j| h(i, j)))
        .collect();
    let joined = move |p: &[Tensor]| f(&Tensor::concat(&[p[0].clone(), p[1].clone()], 0));
    let (a, b) = (x0.narrow(0, 0, k), x0.narrow(0, k, r.n - k));
    route(
        &at("jacfwd over a of grad_n[b]"),
        failures,
        || {
            let b = b.clone();
            jacfwd(move |a: &Tensor| grad_n(joined)(&[a.clone(), b.clone()])[1].clone())(&a)
                .to_vec::<f64>()
        },
        &block_ba,
    );
    route(
        &at("jacrev over b of grad_n[a]"),
        failures,
        || {
            let a = a.clone();
            jacrev(move |b: &Tensor| grad_n(joined)(&[a.clone(), b.clone()])[0].clone())(&b)
                .to_vec::<f64>()
        },
        &block_ab,
    );
}

#[test]
fn every_route_agrees_with_jax() {
    let mut failures = Vec::new();
    for r in REFERENCES {
        check(r, &mut failures);
    }
    assert!(
        failures.is_empty(),
        "{} disagreements with JAX:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_table_covers_every_program() {
    let names: Vec<&str> = REFERENCES.iter().map(|r| r.name).collect();
    assert_eq!(names.len(), 12, "{names:?}");
    assert_eq!(&X0[..2], &[0.3, -0.4]);
}
