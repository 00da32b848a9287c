//! Control flow (`cond`, `while_loop`, `scan`, `fori_loop`): eager behaviour, tracing into one
//! primitive, forward and reverse derivatives of the traced primitives against eager code and
//! finite differences, batching under `vmap`, nesting, and errors.

use cotangent::ir::{try_trace_n, Graph};
use cotangent::jit::Jit;
use cotangent::prim::Aval;
use cotangent::testing::check_grads;
use cotangent::{
    cond, fori_loop, grad_n, jvp, scan, try_cond, try_scan, try_value_and_grad_n, try_while_loop,
    vmap, vmap_n, while_loop, DType, ErrorKind, Tensor,
};

const TOL: f64 = 1e-10;

fn close(a: &Tensor, b: &Tensor, tol: f64, what: &str) {
    assert_eq!(a.dims(), b.dims(), "{what}: shapes");
    for (i, (x, y)) in a.to_vec::<f64>().iter().zip(b.to_vec::<f64>()).enumerate() {
        assert!(
            (x - y).abs() <= tol * (1.0 + y.abs()),
            "{what}[{i}]: {x} vs {y}"
        );
    }
}

fn avals(xs: &[Tensor]) -> Vec<Aval> {
    xs.iter().map(Aval::of).collect()
}

fn count(g: &Graph, name: &str) -> usize {
    g.eqns().iter().filter(|e| e.prim.name() == name).count()
}

/// Evaluate a traced one-output graph (for differentiating through it).
fn eval1(g: &Graph, xs: &[Tensor]) -> Tensor {
    g.eval(xs).unwrap().remove(0)
}

// ---------------------------------------------------------------- scan: an RNN over 1000 steps

const STEPS: usize = 1000;

fn rnn_inputs(steps: usize) -> Vec<Tensor> {
    vec![
        Tensor::randn(&[8, 8], 1, DType::F64) * 0.3,
        Tensor::randn(&[8, 4], 2, DType::F64) * 0.5,
        Tensor::randn(&[8], 3, DType::F64) * 0.1,
        Tensor::randn(&[8], 4, DType::F64),
        Tensor::randn(&[steps, 4], 5, DType::F64),
    ]
}

fn cell(w: &Tensor, u: &Tensor, b: &Tensor, h: &Tensor, x: &Tensor) -> Tensor {
    (w.matmul(h) + u.matmul(x) + b).tanh()
}

/// A scalar of the final state and all states (weights make every entry matter).
fn rnn_loss(h: &Tensor, hs: &Tensor) -> Tensor {
    let steps = hs.dims()[0];
    let wt = Tensor::linspace(-1.0, 1.0, steps * 8, DType::F64).reshape(&[steps, 8]);
    (hs * &wt).sum() * 0.01 + h.square().sum()
}

fn rnn_unrolled(a: &[Tensor]) -> Tensor {
    let (w, u, b, xs) = (&a[0], &a[1], &a[2], &a[4]);
    let mut h = a[3].clone();
    let mut hs = Vec::new();
    for t in 0..xs.dims()[0] {
        h = cell(w, u, b, &h, &xs.narrow(0, t, 1).squeeze(0));
        hs.push(h.clone());
    }
    rnn_loss(&h, &Tensor::stack(&hs, 0))
}

fn rnn_scan(a: &[Tensor]) -> Tensor {
    let (w, u, b) = (a[0].clone(), a[1].clone(), a[2].clone());
    let (h, hs) = scan(
        |c, x| {
            let h = cell(&w, &u, &b, &c[0], &x[0]);
            (vec![h.clone()], vec![h])
        },
        &[a[3].clone()],
        &[a[4].clone()],
    );
    rnn_loss(&h[0], &hs[0])
}

#[test]
fn scan_rnn_matches_the_unrolled_loop_eager_and_traced() {
    let xs = rnn_inputs(STEPS);
    let want = rnn_unrolled(&xs);
    let want_g = grad_n(rnn_unrolled)(&xs);
    // Eager scan: a Rust loop.
    close(&rnn_scan(&xs), &want, TOL, "eager value");
    let g = grad_n(rnn_scan)(&xs);
    for (i, (a, b)) in g.iter().zip(&want_g).take(4).enumerate() {
        close(a, b, TOL, &format!("eager grad {i}"));
    }
    // Traced: one scan equation, whatever the number of steps.
    let graph = try_trace_n(|a| vec![rnn_scan(a)], &avals(&xs)).unwrap();
    assert_eq!(count(&graph, "scan"), 1, "{graph}");
    assert!(graph.eqns().len() < 30, "{graph}");
    close(&eval1(&graph, &xs), &want, TOL, "traced value");
    // Reverse mode through the scan primitive (a reverse scan over the stored carries).
    let g = grad_n(|a| eval1(&graph, a))(&xs);
    for (i, name) in ["W", "U", "b", "h0", "xs"].iter().enumerate() {
        close(&g[i], &want_g[i], TOL, &format!("traced grad {name}"));
    }
}

#[test]
fn scan_jvp_and_second_order_against_finite_differences() {
    let xs = rnn_inputs(6);
    let graph = try_trace_n(|a| vec![rnn_scan(a)], &avals(&xs)).unwrap();
    let f = |a: &[Tensor]| eval1(&graph, a);
    // JVP of the primitive against the eager loop's.
    let tans: Vec<Tensor> = xs
        .iter()
        .enumerate()
        .map(|(i, x)| Tensor::randn(x.dims(), 10 + i as u64, DType::F64))
        .collect();
    let (y, t) = jvp(f, &xs, &tans);
    let (y0, t0) = jvp(rnn_unrolled, &xs, &tans);
    close(&y, &y0, TOL, "jvp primal");
    close(&t, &t0, TOL, "jvp tangent");
    check_grads(f, &xs, 2).unwrap();
}

// ---------------------------------------------------------------- cond

fn piecewise(a: &[Tensor]) -> Vec<Tensor> {
    let x = &a[0];
    let pos = x.sum().gt(&Tensor::scalar(0.0));
    cond(
        &pos,
        |o| vec![o[0].sin() * &o[1], o[1].clone()],
        |o| vec![o[0].square() + &o[1], o[1].exp()],
        &[x.clone(), a[1].clone()],
    )
}

#[test]
fn cond_traced_records_one_equation_and_picks_the_branch() {
    let args = [Tensor::from_vec(vec![0.5, -0.2], &[2]), Tensor::scalar(1.5)];
    let g = try_trace_n(piecewise, &avals(&args)).unwrap();
    assert_eq!(count(&g, "cond"), 1, "{g}");
    for x in [vec![0.5, -0.2], vec![-0.5, 0.2], vec![-1.0, -3.0]] {
        let args = [Tensor::from_vec(x.clone(), &[2]), Tensor::scalar(1.5)];
        let got = g.eval(&args).unwrap();
        let want = piecewise(&args);
        for (a, b) in got.iter().zip(&want) {
            close(a, b, 0.0, &format!("cond at {x:?}"));
        }
    }
}

#[test]
fn cond_derivatives_of_the_traced_primitive() {
    let avs = [Aval::new(&[2], DType::F64), Aval::new(&[], DType::F64)];
    let g = try_trace_n(piecewise, &avs).unwrap();
    let loss = |a: &[Tensor]| {
        let o = g.eval(a).unwrap();
        o[0].sum() + &o[1]
    };
    let eager = |a: &[Tensor]| {
        let o = piecewise(a);
        o[0].sum() + &o[1]
    };
    for x in [vec![0.5, -0.2], vec![-0.5, 0.2]] {
        let args = [Tensor::from_vec(x.clone(), &[2]), Tensor::scalar(1.5)];
        let got = grad_n(loss)(&args);
        let want = grad_n(eager)(&args);
        for (a, b) in got.iter().zip(&want) {
            close(a, b, TOL, &format!("grad at {x:?}"));
        }
        let tans = [Tensor::from_vec(vec![0.3, -1.0], &[2]), Tensor::scalar(0.7)];
        close(
            &jvp(loss, &args, &tans).1,
            &jvp(eager, &args, &tans).1,
            TOL,
            "jvp",
        );
        check_grads(loss, &args, 2).unwrap();
    }
}

#[test]
fn grad_traced_through_cond_with_a_traced_predicate() {
    // The gradient is taken inside the trace: the cond's VJP is itself a traced cond.
    let avs = [Aval::new(&[2], DType::F64), Aval::new(&[], DType::F64)];
    let loss = |a: &[Tensor]| {
        let o = piecewise(a);
        o[0].sum() + &o[1]
    };
    let g = try_trace_n(|a| grad_n(loss)(a), &avs).unwrap();
    // Only the VJP's cond is left: the gradient does not need the forward outputs.
    assert_eq!(count(&g, "cond"), 1, "{g}");
    for x in [vec![0.5, -0.2], vec![-0.5, 0.2]] {
        let args = [Tensor::from_vec(x.clone(), &[2]), Tensor::scalar(1.5)];
        let got = g.eval(&args).unwrap();
        let want = grad_n(loss)(&args);
        for (a, b) in got.iter().zip(&want) {
            close(a, b, TOL, &format!("traced grad at {x:?}"));
        }
    }
}

#[test]
fn cond_under_vmap_takes_each_examples_branch() {
    let xs = Tensor::randn(&[7, 3], 9, DType::F64);
    let f = |x: &Tensor| {
        let pos = x.sum().gt(&Tensor::scalar(0.0));
        cond(
            &pos,
            |o| vec![o[0].sin() * 2.0],
            |o| vec![o[0].square()],
            &[x.clone()],
        )
        .remove(0)
    };
    let got = vmap(f, 0, 0)(&xs);
    let rows: Vec<Tensor> = (0..7).map(|i| f(&xs.narrow(0, i, 1).squeeze(0))).collect();
    let signs: Vec<bool> = (0..7)
        .map(|i| xs.narrow(0, i, 1).sum().item::<f64>() > 0.0)
        .collect();
    assert!(signs.contains(&true) && signs.contains(&false), "{signs:?}");
    close(&got, &Tensor::stack(&rows, 0), 0.0, "vmap cond");
}

#[test]
fn cond_under_vmap_with_a_shared_predicate() {
    let xs = Tensor::randn(&[5, 3], 4, DType::F64);
    let w = Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3]);
    let f = |a: &[Tensor]| {
        let w = w.clone();
        cond(
            &a[0],
            move |o| vec![&o[0] * &w],
            |o| vec![o[0].cos()],
            &[a[1].clone()],
        )
    };
    for p in [true, false] {
        let pred = Tensor::scalar(p);
        let got = vmap_n(f, vec![None, Some(0)], vec![0])(&[pred.clone(), xs.clone()]);
        let rows: Vec<Tensor> = (0..5)
            .map(|i| f(&[pred.clone(), xs.narrow(0, i, 1).squeeze(0)]).remove(0))
            .collect();
        close(&got[0], &Tensor::stack(&rows, 0), 0.0, "shared predicate");
    }
}

// ---------------------------------------------------------------- while_loop

/// Double until past 100: the trip count depends on the value.
fn doubling(a: &[Tensor]) -> Vec<Tensor> {
    while_loop(
        |c| c[0].lt(&Tensor::scalar(100.0)),
        |c| vec![&c[0] * 2.0 + c[0].sin() * 0.1, &c[1] + 1.0],
        &[a[0].clone(), Tensor::scalar(0.0)],
    )
}

#[test]
fn while_loop_traced_value_and_jvp_match_eager() {
    let g = try_trace_n(doubling, &[Aval::new(&[], DType::F64)]).unwrap();
    assert_eq!(count(&g, "while_loop"), 1, "{g}");
    for x in [1.3, 7.0, 60.0, 150.0] {
        let args = [Tensor::scalar(x)];
        let got = g.eval(&args).unwrap();
        let want = doubling(&args);
        close(&got[0], &want[0], 0.0, "value");
        close(&got[1], &want[1], 0.0, "steps");
        let (_, t) = jvp(
            |a| g.eval(a).unwrap().remove(0),
            &args,
            &[Tensor::scalar(1.0)],
        );
        let (_, t0) = jvp(|a| doubling(a).remove(0), &args, &[Tensor::scalar(1.0)]);
        close(&t, &t0, TOL, "jvp");
    }
    // Against finite differences (forward mode only, so a central difference by hand).
    let x = 1.3;
    let f = |x: f64| g.eval(&[Tensor::scalar(x)]).unwrap()[0].item::<f64>();
    let fd = (f(x + 1e-6) - f(x - 1e-6)) / 2e-6;
    let (_, t) = jvp(
        |a| g.eval(a).unwrap().remove(0),
        &[Tensor::scalar(x)],
        &[Tensor::scalar(1.0)],
    );
    assert!(
        (t.item::<f64>() - fd).abs() < 1e-6 * fd.abs(),
        "{} vs {fd}",
        t.item::<f64>()
    );
}

#[test]
fn while_loop_reverse_mode_is_a_clear_error() {
    let g = try_trace_n(doubling, &[Aval::new(&[], DType::F64)]).unwrap();
    let err =
        try_value_and_grad_n(|a| g.eval(a).unwrap().remove(0), &[Tensor::scalar(1.0)]).unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotDifferentiable);
    assert_eq!(err.op, "while_loop");
    let msg = err.to_string();
    assert!(msg.contains("fori_loop") && msg.contains("scan"), "{msg}");
}

#[test]
fn while_loop_under_vmap_runs_each_example_to_its_own_end() {
    let xs = Tensor::from_vec(vec![1.0, 3.0, 99.0, 150.0, 0.01], &[5]);
    let got = vmap_n(doubling, vec![Some(0)], vec![0])(&[xs.clone()]);
    for i in 0..5 {
        let want = doubling(&[xs.narrow(0, i, 1).squeeze(0)]);
        close(&got[0].narrow(0, i, 1).squeeze(0), &want[0], 0.0, "value");
        close(&got[1].narrow(0, i, 1).squeeze(0), &want[1], 0.0, "steps");
    }
}

// ---------------------------------------------------------------- fori_loop

/// A damped oscillator stepped 50 times with the step index in the update.
fn oscillator(a: &[Tensor]) -> Tensor {
    let k = a[1].clone();
    let c = fori_loop(
        0,
        50,
        |i, c| {
            let t = i.cast(DType::F64) * 0.001;
            let v = &c[1] - (&c[0] * &k + &t) * 0.05;
            vec![&c[0] + &v * 0.05, v]
        },
        &[a[0].clone(), Tensor::scalar(0.0)],
    );
    &c[0] * &c[1] + c[0].square()
}

#[test]
fn fori_loop_static_trip_count_is_a_scan_with_reverse_mode() {
    let args = [Tensor::scalar(0.7), Tensor::scalar(2.0)];
    let g = try_trace_n(|a| vec![oscillator(a)], &avals(&args)).unwrap();
    assert_eq!(count(&g, "scan"), 1, "{g}");
    close(&eval1(&g, &args), &oscillator(&args), TOL, "value");
    let got = grad_n(|a| eval1(&g, a))(&args);
    let want = grad_n(oscillator)(&args);
    for (a, b) in got.iter().zip(&want) {
        close(a, b, TOL, "grad");
    }
    check_grads(|a| eval1(&g, a), &args, 2).unwrap();
}

#[test]
fn fori_loop_with_a_traced_bound_is_a_while_loop() {
    let f = |a: &[Tensor]| {
        fori_loop(
            0,
            &a[1],
            |i, c| vec![&c[0] * 1.5 + i.cast(DType::F64)],
            &[a[0].clone()],
        )
    };
    let g = try_trace_n(f, &[Aval::new(&[], DType::F64), Aval::new(&[], DType::I64)]).unwrap();
    assert_eq!(count(&g, "while_loop"), 1, "{g}");
    for n in [0i64, 1, 4] {
        let args = [Tensor::scalar(2.0), Tensor::scalar(n)];
        close(&g.eval(&args).unwrap()[0], &f(&args)[0], 0.0, "value");
        let (_, t) = jvp(
            |a| {
                g.eval(&[a[0].clone(), Tensor::scalar(n)])
                    .unwrap()
                    .remove(0)
            },
            &args[..1],
            &[Tensor::scalar(1.0)],
        );
        assert_eq!(t.item::<f64>(), 1.5f64.powi(n as i32));
    }
}

// ---------------------------------------------------------------- nesting

/// A scan whose step branches on the data.
fn leaky(a: &[Tensor]) -> Tensor {
    let s = a[1].clone();
    let (c, ys) = scan(
        |c, x| {
            let pos = x[0].gt(&Tensor::scalar(0.0));
            let s = s.clone();
            let h = cond(
                &pos,
                |o| vec![&o[0] + &o[1] * &s],
                |o| vec![&o[0] * 0.5 + o[1].sin()],
                &[c[0].clone(), x[0].clone()],
            );
            (h.clone(), h)
        },
        &[Tensor::scalar(0.1)],
        &[a[0].clone()],
    );
    &c[0] + ys[0].square().sum()
}

#[test]
fn cond_inside_scan_value_and_gradients() {
    let args = [Tensor::randn(&[12], 21, DType::F64), Tensor::scalar(0.8)];
    let g = try_trace_n(|a| vec![leaky(a)], &avals(&args)).unwrap();
    assert_eq!(count(&g, "scan"), 1, "{g}");
    assert_eq!(count(&g, "cond"), 0, "the cond lives in the scan body: {g}");
    close(&eval1(&g, &args), &leaky(&args), TOL, "value");
    let got = grad_n(|a| eval1(&g, a))(&args);
    let want = grad_n(leaky)(&args);
    for (a, b) in got.iter().zip(&want) {
        close(a, b, TOL, "grad");
    }
    check_grads(|a| eval1(&g, a), &args, 1).unwrap();
}

#[test]
fn scan_under_vmap_matches_a_loop_over_examples() {
    let base = rnn_inputs(20);
    let h0s = Tensor::randn(&[3, 8], 33, DType::F64);
    let f = |a: &[Tensor]| {
        let mut args = base.clone();
        args[3] = a[0].clone();
        vec![rnn_scan(&args)]
    };
    let got = vmap_n(f, vec![Some(0)], vec![0])(&[h0s.clone()]);
    let rows: Vec<Tensor> = (0..3)
        .map(|i| f(&[h0s.narrow(0, i, 1).squeeze(0)]).remove(0))
        .collect();
    close(&got[0], &Tensor::stack(&rows, 0), TOL, "vmap scan");
    // Batched sequences too: each example its own inputs.
    let xss = Tensor::randn(&[3, 20, 4], 34, DType::F64);
    let g = |a: &[Tensor]| {
        let mut args = base.clone();
        args[4] = a[0].clone();
        vec![rnn_scan(&args)]
    };
    let got = vmap_n(g, vec![Some(0)], vec![0])(&[xss.clone()]);
    let rows: Vec<Tensor> = (0..3)
        .map(|i| g(&[xss.narrow(0, i, 1).squeeze(0)]).remove(0))
        .collect();
    close(&got[0], &Tensor::stack(&rows, 0), TOL, "vmap scan over xs");
}

// ---------------------------------------------------------------- eager sanity and errors

#[test]
fn eager_rust_control_flow_still_works() {
    let f = |x: &Tensor| {
        let mut y = x.clone();
        for _ in 0..2 {
            y = if y.item::<f64>() > 1.0 {
                y.sqrt()
            } else {
                &y * 3.0
            };
        }
        y
    };
    let x = Tensor::scalar(0.5);
    // 0.5 → 1.5 (tripled) → sqrt(1.5): y = sqrt(3x), dy/dx = 1.5 / sqrt(3x).
    assert!((f(&x).item::<f64>() - 1.5f64.sqrt()).abs() < 1e-15);
    let d = cotangent::grad(f)(&x).item::<f64>();
    assert!((d - 1.5 / 1.5f64.sqrt()).abs() < 1e-12, "{d}");
}

#[test]
fn bad_control_flow_is_a_clear_error() {
    let x = Tensor::scalar(1.0);
    let traced = |f: &dyn Fn(&Tensor) -> cotangent::Result<Vec<Tensor>>| {
        let mut out = None;
        let _ = try_trace_n(
            |a| {
                out = Some(f(&a[0]));
                vec![a[0].clone()]
            },
            &[Aval::new(&[], DType::F64)],
        );
        out.unwrap().unwrap_err()
    };
    let e = traced(&|x| {
        try_cond(
            &x.gt(&Tensor::scalar(0.0)),
            |o| vec![o[0].clone()],
            |o| vec![o[0].reshape(&[1])],
            &[x.clone()],
        )
    });
    assert_eq!((e.kind.clone(), e.op), (ErrorKind::Shape, "cond"));
    assert!(
        e.to_string().contains("f64[1]") && e.location.is_some(),
        "{e}"
    );
    let e = traced(&|x| {
        try_while_loop(
            |c| c[0].lt(&Tensor::scalar(3.0)),
            |c| vec![c[0].cast(DType::F32)],
            &[x.clone()],
        )
    });
    assert_eq!(e.op, "while_loop");
    assert!(e.to_string().contains("f32[]"), "{e}");
    let e = try_cond(
        &Tensor::zeros(&[2], DType::Bool),
        |o| o.to_vec(),
        |o| o.to_vec(),
        &[x.clone()],
    )
    .unwrap_err();
    assert!(e.to_string().contains("scalar"), "{e}");
    let e = try_scan(
        |c, _| (c.to_vec(), vec![]),
        &[x],
        &[
            Tensor::zeros(&[3], DType::F64),
            Tensor::zeros(&[4], DType::F64),
        ],
    )
    .unwrap_err();
    assert!(e.to_string().contains("length 3"), "{e}");
}

#[test]
fn derivatives_of_control_flow_compose_with_vmap() {
    // Per-example gradients through a data-dependent branch: vmap of the cond's VJP.
    let xs = Tensor::randn(&[6, 2], 41, DType::F64);
    let f = |a: &[Tensor]| {
        let o = piecewise(&[a[0].clone(), Tensor::scalar(1.5)]);
        o[0].sum() + &o[1]
    };
    let per = vmap(|x: &Tensor| grad_n(f)(&[x.clone()]).remove(0), 0, 0)(&xs);
    let rows: Vec<Tensor> = (0..6)
        .map(|i| grad_n(f)(&[xs.narrow(0, i, 1).squeeze(0)]).remove(0))
        .collect();
    close(&per, &Tensor::stack(&rows, 0), TOL, "per-example grads");
    // Per-example forward derivatives through a loop with per-example trip counts.
    let x0 = Tensor::from_vec(vec![1.0, 3.0, 99.0, 0.5], &[4]);
    let d = |x: &Tensor| {
        jvp(
            |a| doubling(a).remove(0),
            &[x.clone()],
            &[Tensor::scalar(1.0)],
        )
        .1
    };
    let per = vmap(d, 0, 0)(&x0);
    let rows: Vec<Tensor> = (0..4).map(|i| d(&x0.narrow(0, i, 1).squeeze(0))).collect();
    close(&per, &Tensor::stack(&rows, 0), TOL, "per-example jvps");
}

/// A jitted scan long enough for its body to be compiled (and so run step by step on bare
/// values) gives eager's results for carries that swap, per-step outputs that are a carry, a
/// closed-over invariant, a transposed view, a comparison and an integer cast; its gradient (a
/// reverse scan) gives eager's; a while loop that runs no step returns its initial carries.
#[test]
fn compiled_loop_bodies_match_eager_outputs_of_every_kind() {
    let steps = 12;
    let inv = Tensor::randn(&[3, 2], 5, DType::F64);
    let f = move |a: &[Tensor]| {
        let (c, ys) = scan(
            |c, x| {
                let m = (&c[0] * &x[0]).sin() + &c[1];
                let new = vec![c[1].clone(), m.clone()];
                let ys = vec![
                    c[0].clone(),
                    inv.clone(),
                    m.t(),
                    m.gt(&Tensor::scalar(0.0)),
                    (&m * 10.0).cast(DType::I64),
                ];
                (new, ys)
            },
            &[a[0].clone(), a[1].clone()],
            &[a[2].clone()],
        );
        c.into_iter().chain(ys).collect::<Vec<_>>()
    };
    let args = vec![
        Tensor::randn(&[3, 2], 1, DType::F64),
        Tensor::randn(&[3, 2], 2, DType::F64),
        Tensor::randn(&[steps, 3, 2], 3, DType::F64),
    ];
    let j = Jit::new(f.clone());
    for _ in 0..2 {
        let (got, want) = (j.call(&args), f(&args));
        assert_eq!(got.len(), want.len());
        for (k, (a, b)) in got.iter().zip(&want).enumerate() {
            assert_eq!(a.dims(), b.dims(), "output {k}");
            assert_eq!(a.dtype(), b.dtype(), "output {k}");
            for (x, y) in a.to_f64_vec().iter().zip(b.to_f64_vec()) {
                assert!(
                    (x - y).abs() <= 1e-12 * (1.0 + y.abs()),
                    "output {k}: {x} vs {y}"
                );
            }
        }
    }
    // The gradient through the loop: the forward scan, then the reverse scan of its VJP.
    let loss = move |a: &[Tensor]| {
        let o = f(a);
        (o[0].sum() + o[1].square().sum() + o[4].sum()).reshape(&[1])
    };
    let g = |a: &[Tensor]| try_value_and_grad_n(|p| loss(p).sum(), a).unwrap().1;
    let jg = Jit::new(g);
    for (a, b) in jg.call(&args).iter().zip(g(&args)) {
        close(a, &b, 1e-12, "gradient");
    }
    // No step: the initial carries, untouched.
    let w = Jit::new(|a: &[Tensor]| {
        while_loop(
            |c| c[1].lt(&Tensor::scalar(0i64)),
            |c| vec![c[0].sin(), &c[1] + &Tensor::scalar(1i64)],
            &[a[0].clone(), a[1].clone()],
        )
    });
    let init = [Tensor::randn(&[4], 6, DType::F64), Tensor::scalar(3i64)];
    let out = w.call(&init);
    assert_eq!(out[0].to_vec::<f64>(), init[0].to_vec::<f64>());
    assert_eq!(out[1].item::<i64>(), 3);
}
