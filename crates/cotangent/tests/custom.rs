//! Custom rules are really used, stay differentiable, and checkpointing recomputes instead of
//! storing while giving identical gradients.

use std::sync::Mutex;

use cotangent::testing::check_grads;
use cotangent::*;

/// Every test holds this: `checkpoint_gives_identical_gradients_and_stores_less` counts the
/// process's live recorded nodes, which a test running beside it would change.
static SERIAL: Mutex<()> = Mutex::new(());

#[test]
fn custom_vjp_rule_is_used_by_the_backward_pass() {
    let _s = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // Forward: identity. Backward: clip to [-1, 1] (wrong on purpose, to see it used).
    let clip = custom_vjp(
        |xs: &[Tensor]| xs[0].clone(),
        |_, _, g: &Tensor| {
            vec![g
                .maximum(&Tensor::scalar(-1.0))
                .minimum(&Tensor::scalar(1.0))]
        },
    );
    let f = |x: &Tensor| (clip(&[x.clone()]) * 5.0).sum();
    let g = grad(f)(&Tensor::from_vec(vec![1.0, 2.0], &[2]));
    assert_eq!(
        g.to_vec::<f64>(),
        vec![1.0, 1.0],
        "the true gradient would be 5"
    );
    // Forward mode ignores the reverse rule and differentiates the function.
    let (_, t) = jvp(
        |xs: &[Tensor]| clip(&[xs[0].clone()]) * 5.0,
        &[Tensor::scalar(1.0)],
        &[Tensor::scalar(1.0)],
    );
    assert_eq!(t.item::<f64>(), 5.0);
}

#[test]
fn straight_through_estimator() {
    let _s = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let ste_round = custom_vjp(
        |xs: &[Tensor]| xs[0].round(),
        |_, _, g: &Tensor| vec![g.clone()],
    );
    let g = grad(|x: &Tensor| ste_round(&[x.clone()]).square().sum())(&Tensor::from_vec(
        vec![0.4, 1.6],
        &[2],
    ));
    assert_eq!(
        g.to_vec::<f64>(),
        vec![0.0, 4.0],
        "2·round(x) passed straight through"
    );
}

#[test]
fn hessian_through_custom_jvp() {
    let _s = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // Stable softplus with its derivative given as sigmoid: Hessian must be σ'(x) = σ(1 − σ).
    let softplus = custom_jvp(
        |xs: &[Tensor]| xs[0].softplus(),
        |p: &[Tensor], t: &[Tensor]| &t[0] * &p[0].sigmoid(),
    );
    let f = move |x: &Tensor| softplus(&[x.clone()]).sum();
    let x = Tensor::from_vec(vec![-2.0, 0.0, 30.0], &[3]);
    let h = hessian(&f)(&x).to_vec::<f64>();
    for (i, xi) in [-2.0f64, 0.0, 30.0].iter().enumerate() {
        let s = 1.0 / (1.0 + (-xi).exp());
        assert!((h[i * 3 + i] - s * (1.0 - s)).abs() < 1e-14, "H[{i}][{i}]");
    }
    let g = grad(&f)(&x).to_vec::<f64>();
    assert!((g[2] - 1.0).abs() < 1e-12);
    check_grads(
        |xs| f(&xs[0]),
        &[Tensor::from_vec(vec![-1.3, 0.4], &[2])],
        2,
    )
    .unwrap();
}

#[test]
fn custom_vjp_rule_is_differentiable() {
    let _s = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // log1p(exp(x)) with the rule g·sigmoid(x): second derivatives flow through the rule.
    let sp = custom_vjp(
        |xs: &[Tensor]| xs[0].exp().log1p(),
        |p: &[Tensor], _: &Tensor, g: &Tensor| vec![g * &p[0].sigmoid()],
    );
    let f = move |x: &Tensor| sp(&[x.clone()]).sum();
    let d2 = grad(grad(&f))(&Tensor::scalar(0.5)).item::<f64>();
    let s = 1.0 / (1.0 + (-0.5f64).exp());
    assert!((d2 - s * (1.0 - s)).abs() < 1e-14);
}

/// A block of tanh layers; the weights are arguments (after the activation), as checkpoint needs.
fn block(xs: &[Tensor]) -> Tensor {
    xs[1..]
        .iter()
        .fold(xs[0].clone(), |h, w| h.matmul(w).tanh())
}

fn deep_mlp(x: &Tensor, ws: &[Tensor], every: usize) -> Tensor {
    let mut h = x.clone();
    for chunk in ws.chunks(every.max(1)) {
        let mut args = vec![h];
        args.extend(chunk.iter().cloned());
        h = if every == 0 {
            block(&args)
        } else {
            checkpoint(block)(&args)
        };
    }
    h.square().mean()
}

#[test]
fn a_checkpoint_differentiates_the_tracked_tensors_it_closes_over() {
    let _s = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // f(x, w) = sin(x·w) with w captured by the block, not passed to it.
    let (x0, w0) = (0.7f64, 2.0f64);
    let want = [w0 * (x0 * w0).cos(), x0 * (x0 * w0).cos()];
    let f = |xs: &[Tensor]| {
        let w = xs[1].clone();
        let block = checkpoint(move |a: &[Tensor]| (&a[0] * &w).sin());
        block(&[xs[0].clone()])
    };
    let args = [Tensor::scalar(x0), Tensor::scalar(w0)];
    let g = grad_n(f)(&args);
    for (got, want) in g.iter().zip(want) {
        assert!((got.item::<f64>() - want).abs() < 1e-15, "{got} vs {want}");
    }
    // The same through the tape, compiled, in forward mode and per example.
    let w = Tensor::scalar(w0).requires_grad();
    let w2 = w.clone();
    let block = checkpoint(move |a: &[Tensor]| (&a[0] * &w2).sin());
    let grads = block(&[Tensor::scalar(x0)]).backward();
    assert!((grads.wrt(&w).item::<f64>() - want[1]).abs() < 1e-15);
    let compiled = jit_n(move |xs: &[Tensor]| grad_n(f)(xs))(&args);
    let tangent = jvp(f, &args, &[Tensor::scalar(0.0), Tensor::scalar(1.0)]).1;
    assert!((compiled[1].item::<f64>() - want[1]).abs() < 1e-15);
    assert!((tangent.item::<f64>() - want[1]).abs() < 1e-15);
    let ws = Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3]);
    let per_row = vmap(
        move |w: &Tensor| grad_n(f)(&[Tensor::scalar(x0), w.clone()]).remove(1),
        0,
        0,
    )(&ws);
    for (got, w) in per_row.to_vec::<f64>().iter().zip([1.0, 2.0, 3.0]) {
        assert!((got - x0 * (x0 * w).cos()).abs() < 1e-15, "{got}");
    }
}

#[test]
fn a_custom_rule_closing_over_a_tracked_tensor_is_an_error_not_a_silent_zero() {
    let _s = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let w = Tensor::scalar(2.0).requires_grad();
    let x = Tensor::scalar(1.0).requires_grad();
    let (w1, w2) = (w.clone(), w.clone());
    let by_vjp = custom_vjp(
        move |xs: &[Tensor]| &xs[0] * &w1,
        |_, _, g: &Tensor| vec![g.clone()],
    );
    let by_jvp = custom_jvp(
        move |xs: &[Tensor]| &xs[0] * &w2,
        |_, t: &[Tensor]| t[0].clone(),
    );
    for bad in [&by_vjp as &dyn Fn(&[Tensor]) -> Tensor, &by_jvp] {
        let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| bad(&[x.clone()])))
            .expect_err("must refuse");
        let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
        // Names the op that used it and its line.
        assert!(
            msg.contains("does not take as an argument")
                && msg.contains("`mul`, crates/cotangent/tests/custom.rs"),
            "{msg}"
        );
    }
    // Untracked captured constants are fine.
    let c = Tensor::scalar(3.0);
    let ok = custom_vjp(
        move |xs: &[Tensor]| &xs[0] * &c,
        |_, _, g: &Tensor| vec![g * 3.0],
    );
    assert_eq!(
        grad(|x: &Tensor| ok(&[x.clone()]))(&Tensor::scalar(1.0)).item::<f64>(),
        3.0
    );
}

#[test]
fn checkpoint_gives_identical_gradients_and_stores_less() {
    let _s = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let ws: Vec<Tensor> = (0..32)
        .map(|i| Tensor::randn(&[16, 16], i, DType::F64) * 0.25)
        .collect();
    let x = Tensor::randn(&[4, 16], 100, DType::F64);
    let mut results = Vec::new();
    for every in [0usize, 1, 4] {
        let wt: Vec<Tensor> = ws.iter().map(Tensor::requires_grad).collect();
        let base = recorded_nodes();
        let loss = deep_mlp(&x, &wt, every);
        let stored = recorded_nodes() - base;
        let grads = loss.backward();
        let g: Vec<f64> = wt
            .iter()
            .flat_map(|w| grads.wrt(w).to_vec::<f64>())
            .collect();
        results.push((every, stored, loss.item::<f64>(), g));
    }
    let (_, plain_nodes, plain_loss, plain_g) = &results[0];
    for (every, nodes, loss, g) in &results[1..] {
        assert_eq!(loss, plain_loss);
        let diff = g
            .iter()
            .zip(plain_g)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(
            diff < 1e-15,
            "checkpoint every {every}: gradient differs by {diff}"
        );
        assert!(
            nodes < plain_nodes,
            "every {every}: {nodes} nodes stored vs {plain_nodes}"
        );
    }
    assert!(
        results[1].1 <= 40 && results[2].1 <= 16,
        "{:?}",
        results.iter().map(|r| r.1).collect::<Vec<_>>()
    );
}

#[test]
fn rules_that_return_the_wrong_shape_or_count_are_errors_naming_the_op() {
    let _s = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let x = Tensor::from_vec(vec![0.5, 1.5, 2.5], &[3]);
    // A custom JVP whose tangent has the wrong shape.
    let bad_jvp = custom_jvp(|xs: &[Tensor]| xs[0].sin(), |_, ts: &[Tensor]| ts[0].sum());
    let err = try_jvp(|xs| bad_jvp(xs), std::slice::from_ref(&x), &[x.ones_like()]).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("custom_jvp") && msg.contains("its jvp rule returned a tangent of f64[]"),
        "{msg}"
    );
    // A custom VJP giving one cotangent for two inputs.
    let too_few = custom_vjp(
        |xs: &[Tensor]| &xs[0] * &xs[1],
        |xs: &[Tensor], _, g: &Tensor| vec![g * &xs[1]],
    );
    let err = try_value_and_grad_n(|xs| too_few(xs).sum(), &[x.clone(), x.clone()]).unwrap_err();
    // Named, at the line that made the custom function.
    assert!(
        err.to_string()
            .contains("returned 1 cotangents for 2 inputs")
            && err.to_string().contains("tests/custom.rs"),
        "{err}"
    );
    // A custom VJP giving a cotangent of the wrong shape.
    let wrong_shape = custom_vjp(
        |xs: &[Tensor]| xs[0].exp(),
        |_, _, g: &Tensor| vec![g.sum()],
    );
    let err =
        try_value_and_grad_n(|xs| wrong_shape(xs).sum(), std::slice::from_ref(&x)).unwrap_err();
    assert!(
        err.to_string()
            .contains("its vjp rule returned a cotangent of f64[] for an input of f64[3]"),
        "{err}"
    );
}

#[test]
fn a_user_primitive_whose_vjp_forgets_an_input_is_an_error() {
    let _s = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    use cotangent::prim::{Aval, AvalRef, Primitive};
    #[derive(Debug)]
    struct Mul2;
    impl Primitive for Mul2 {
        fn name(&self) -> &'static str {
            "my_mul"
        }
        fn abstract_eval(&self, i: &[AvalRef<'_>]) -> Result<Aval> {
            Ok(Aval {
                shape: i[0].shape.clone(),
                dtype: i[0].dtype,
            })
        }
        fn eval(&self, i: &[&Value]) -> Result<Value> {
            let (a, b) = (i[0].to_vec::<f64>(), i[1].to_vec::<f64>());
            Ok(Value::from_vec(
                a.iter().zip(&b).map(|(a, b)| a * b).collect(),
                i[0].shape().clone(),
            ))
        }
        fn jvp(&self, p: &[Tensor], t: &[Option<Tensor>], _: &Tensor) -> Result<Option<Tensor>> {
            Ok(t[0].as_ref().map(|t| t * &p[1]))
        }
        fn vjp(&self, p: &[Tensor], _: &Tensor, g: &Tensor) -> Result<Vec<Option<Tensor>>> {
            Ok(vec![Some(g * &p[1])]) // forgets the second input
        }
    }
    let xs = [Tensor::scalar(2.0), Tensor::scalar(3.0)];
    let err = try_value_and_grad_n(|x| apply_primitive(Mul2, x).unwrap(), &xs).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("my_mul") && msg.contains("returned 1 cotangents for 2 inputs"),
        "{msg}"
    );
}

#[test]
fn detach_inside_a_custom_function_works_under_jit_and_vmap() {
    let _s = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // softmax detaches its shifted max: computed inside the function, so not a captured value.
    let x = Tensor::from_vec(vec![0.1, 0.2, 0.3], &[3]);
    let want = [0.30060961, 0.33222499, 0.3671654]; // JAX, float64
    let block = checkpoint(|a: &[Tensor]| a[0].softmax(0));
    let jitted = jit_n(|xs: &[Tensor]| vec![block(&[xs[0].clone()])])(std::slice::from_ref(&x));
    let mapped = vmap(|r: &Tensor| block(&[r.clone()]), 0, 0)(&x.reshape(&[1, 3]));
    for got in [jitted[0].to_vec::<f64>(), mapped.to_vec::<f64>()] {
        for (a, b) in got.iter().zip(want) {
            assert!((a - b).abs() < 1e-8, "{got:?}");
        }
    }
    // And its gradient, compiled, equals the eager one.
    let loss =
        |x: &Tensor| (block(&[x.clone()]) * Tensor::from_vec(vec![1.0, -2.0, 0.5], &[3])).sum();
    let eager = grad(loss)(&x);
    let compiled = jit(grad(loss))(&x);
    for (a, b) in compiled.to_vec::<f64>().iter().zip(eager.to_vec::<f64>()) {
        assert!((a - b).abs() < 1e-14);
    }
    // custom_jvp and custom_vjp bodies too.
    let lse = custom_jvp(
        |a: &[Tensor]| a[0].logsumexp(&[0], false),
        |p: &[Tensor], t: &[Tensor]| (p[0].softmax(0) * &t[0]).sum(),
    );
    let v = jit(move |x: &Tensor| lse(&[x.clone()]))(&x).item::<f64>();
    let want_lse = (0.1f64.exp() + 0.2f64.exp() + 0.3f64.exp()).ln();
    assert!((v - want_lse).abs() < 1e-14);
}

#[test]
fn a_user_primitive_whose_kernel_breaks_its_shape_rule_is_an_error() {
    let _s = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    use cotangent::prim::{Aval, AvalRef, Primitive};
    #[derive(Debug)]
    struct Liar;
    impl Primitive for Liar {
        fn name(&self) -> &'static str {
            "liar"
        }
        fn abstract_eval(&self, i: &[AvalRef<'_>]) -> Result<Aval> {
            Ok(Aval {
                shape: i[0].shape.clone(),
                dtype: i[0].dtype,
            })
        }
        fn eval(&self, _: &[&Value]) -> Result<Value> {
            Ok(Value::from_vec(
                vec![1.0f64, 2.0, 3.0],
                Shape::from(&[3][..]),
            ))
        }
        fn jvp(&self, _: &[Tensor], _: &[Option<Tensor>], _: &Tensor) -> Result<Option<Tensor>> {
            Ok(None)
        }
        fn vjp(&self, _: &[Tensor], _: &Tensor, _: &Tensor) -> Result<Vec<Option<Tensor>>> {
            Ok(vec![None])
        }
    }
    let x = Tensor::from_vec(vec![1.0f64, 2.0], &[2]);
    let err = apply_primitive(Liar, std::slice::from_ref(&x)).unwrap_err();
    let want = "liar: its kernel returned f64[3] but its shape rule promised f64[2]";
    assert!(err.to_string().contains(want), "{err}");
    assert!(err.to_string().contains("tests/custom.rs"), "{err}");
    // Compiled too: the traced graph trusts the shape rule, the run checks the kernel.
    let j =
        cotangent::jit::Jit::new(|xs: &[Tensor]| vec![apply_primitive(Liar, xs).unwrap() * 2.0]);
    let err = j.try_call(std::slice::from_ref(&x)).unwrap_err();
    assert!(err.to_string().contains(want), "{err}");
}

#[test]
fn function_primitives_carry_the_traced_graph_not_the_closure() {
    let _s = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    // The user's function runs once per call (to trace it); derivatives, batching and
    // recomputation work on the graph it left, not by calling it again.
    let calls = Arc::new(AtomicUsize::new(0));
    let (c1, c2) = (calls.clone(), calls.clone());
    let block = checkpoint(move |a: &[Tensor]| {
        c1.fetch_add(1, Ordering::SeqCst);
        a[0].sin().exp()
    });
    let lse = custom_vjp(
        move |a: &[Tensor]| {
            c2.fetch_add(1, Ordering::SeqCst);
            a[0].exp().sum().log()
        },
        |p: &[Tensor], _, g: &Tensor| vec![p[0].softmax(0) * g],
    );
    let x = Tensor::from_vec(vec![0.1, -0.4, 0.9], &[3]);
    let f = |x: &Tensor| lse(&[block(&[x.clone()])]);
    let h = hessian(f)(&x);
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "one trace of each function"
    );
    // The same function without the wrappers (softmax is the true derivative of lse).
    let plain = |x: &Tensor| x.sin().exp().exp().sum().log();
    assert_close_all(&h, &hessian(plain)(&x), 1e-12);
    calls.store(0, Ordering::SeqCst);
    let xs = Tensor::stack(&[x.clone(), -&x], 0);
    let gs = vmap(grad(f), 0, 0)(&xs);
    assert_eq!(calls.load(Ordering::SeqCst), 2, "vmap batches the graphs");
    assert_close_all(&gs.narrow(0, 0, 1).squeeze(0), &grad(f)(&x), 1e-14);
}

fn assert_close_all(a: &Tensor, b: &Tensor, tol: f64) {
    assert_eq!(a.dims(), b.dims());
    for (x, y) in a.to_vec::<f64>().iter().zip(b.to_vec::<f64>()) {
        assert!((x - y).abs() < tol, "{a} vs {b}");
    }
}

#[test]
fn an_eager_custom_function_may_read_values() {
    let _s = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // Eagerly the function runs on values (as PyTorch's checkpoint does): a branch on a value
    // works under grad, through checkpoint and custom_vjp alike.
    let branchy = |xs: &[Tensor]| {
        if xs[0].sum().item::<f64>() > 0.0 {
            xs[0].sin()
        } else {
            xs[0].cos()
        }
    };
    let block = checkpoint(branchy);
    let by_rule = custom_vjp(branchy, |p: &[Tensor], _, g: &Tensor| vec![g * &p[0].cos()]);
    for (x, want) in [(0.5f64, 0.5f64.cos()), (-0.5, 0.5f64.sin())] {
        let g = grad(|x: &Tensor| block(&[x.clone()]))(&Tensor::scalar(x));
        assert!((g.item::<f64>() - want).abs() < 1e-15, "{x}: {g}");
    }
    let g = grad(|x: &Tensor| by_rule(&[x.clone()]))(&Tensor::scalar(0.5));
    assert!((g.item::<f64>() - 0.5f64.cos()).abs() < 1e-15);
    // Under jit the function is traced, and reading a value is the usual tracing error.
    let jitted = jit(move |x: &Tensor| block(&[x.clone()]));
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        jitted(&Tensor::scalar(0.5))
    }))
    .expect_err("a traced function cannot read values");
    let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains("trac"), "{msg}");
}
