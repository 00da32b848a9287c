//! `grad(jit(f))`: a jitted function called on inputs that reverse mode tracks runs as one
//! recorded `jit` node whose forward and backward programs are compiled (the function's
//! reverse mode split once by partial evaluation), and the forward pass is not computed again
//! for the gradient. Higher orders, forward mode and `backward()` stay exact.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use cotangent::jit::Jit;
use cotangent::prim::{Aval, AvalRef, Primitive};
use cotangent::*;

/// `recorded_nodes` counts the whole process's live nodes: the tests here run one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn close(a: &Tensor, b: &Tensor, tol: f64) {
    let (a, b) = (a.to_f64_vec(), b.to_f64_vec());
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert!((x - y).abs() <= tol * (1.0 + y.abs()), "{a:?} vs {b:?}");
    }
}

fn teaching(x: &[Tensor]) -> Vec<Tensor> {
    vec![((&x[0] + &x[1]).square() + (&x[0] * &x[1]).sin()).log()]
}

/// A tanh layer and a loss: `sum(tanh(x W + b)²)`.
fn layer(a: &[Tensor]) -> Vec<Tensor> {
    vec![(a[0].matmul(&a[1]) + &a[2]).tanh().square().sum()]
}

fn layer_inputs() -> Vec<Tensor> {
    vec![
        Tensor::randn(&[8, 5], 1, DType::F64),
        Tensor::randn(&[5, 3], 2, DType::F64) * 0.5,
        Tensor::randn(&[3], 3, DType::F64),
    ]
}

#[test]
fn grad_of_a_jitted_function_matches_eager_and_records_one_node() {
    let _serial = serial();
    let f = Jit::new(teaching);
    let xs = [Tensor::scalar(1.5), Tensor::scalar(0.5)];
    let g = grad_n(|x: &[Tensor]| f.call(x).remove(0))(&xs);
    assert!((g[0].item::<f64>() - 0.9325462).abs() < 1e-7);
    assert!((g[1].item::<f64>() - 1.0888353).abs() < 1e-7);
    let eager = grad_n(|x: &[Tensor]| teaching(x).remove(0))(&xs);
    for (a, b) in g.iter().zip(&eager) {
        close(a, b, 1e-14);
    }
    // The layer: the whole gradient through one recorded node, not one per equation.
    let j = Jit::new(layer);
    let xs = layer_inputs();
    let (y, g) = try_value_and_grad_n(|a| j.call(a).remove(0), &xs).unwrap();
    let (ye, ge) = try_value_and_grad_n(|a| layer(a).remove(0), &xs).unwrap();
    close(&y, &ye, 1e-14);
    for (a, b) in g.iter().zip(&ge) {
        close(a, b, 1e-13);
    }
    // A chain of 40 equations is one recorded node (and the views that unpack its output),
    // where replaying the graph would record every equation.
    let chain = |a: &[Tensor]| {
        let mut t = a[0].clone();
        for _ in 0..20 {
            t = (t.sin() * 1.1).tanh();
        }
        vec![t.sum()]
    };
    let jc = Jit::new(chain);
    let x = Tensor::randn(&[16], 4, DType::F64).requires_grad();
    let n0 = recorded_nodes();
    let out = jc.call(std::slice::from_ref(&x)).remove(0);
    let recorded = recorded_nodes() - n0;
    let n1 = recorded_nodes();
    let eager = chain(std::slice::from_ref(&x)).remove(0);
    let eager_recorded = recorded_nodes() - n1;
    assert!(
        recorded <= 6 && eager_recorded >= 40,
        "{recorded} vs eager {eager_recorded}"
    );
    close(&out.backward().wrt(&x), &eager.backward().wrt(&x), 1e-13);
}

#[test]
fn the_forward_pass_runs_once_per_gradient() {
    let _serial = serial();
    static EVALS: AtomicUsize = AtomicUsize::new(0);
    static JVPS: AtomicUsize = AtomicUsize::new(0);
    /// `x²`, counting its kernel runs.
    #[derive(Debug)]
    struct CountedSquare;
    impl Primitive for CountedSquare {
        fn name(&self) -> &'static str {
            "counted_square"
        }
        fn abstract_eval(&self, i: &[AvalRef<'_>]) -> Result<Aval> {
            Ok(Aval {
                shape: i[0].shape.clone(),
                dtype: i[0].dtype,
            })
        }
        fn eval(&self, i: &[&Value]) -> Result<Value> {
            EVALS.fetch_add(1, Ordering::SeqCst);
            let a = i[0].to_vec::<f64>();
            Ok(Value::from_vec(
                a.iter().map(|a| a * a).collect(),
                i[0].shape().clone(),
            ))
        }
        fn jvp(&self, p: &[Tensor], t: &[Option<Tensor>], _: &Tensor) -> Result<Option<Tensor>> {
            JVPS.fetch_add(1, Ordering::SeqCst);
            Ok(t[0].as_ref().map(|t| t * &p[0] * 2.0))
        }
        fn vjp(&self, p: &[Tensor], _: &Tensor, g: &Tensor) -> Result<Vec<Option<Tensor>>> {
            Ok(vec![Some(g * &p[0] * 2.0)])
        }
    }
    let f = Jit::new(|x: &[Tensor]| vec![apply_primitive(CountedSquare, x).unwrap().sin().sum()]);
    let x = Tensor::from_vec(vec![0.5, -1.0, 2.0], &[3]);
    let xs = std::slice::from_ref(&x);
    let g = grad_n(|a: &[Tensor]| f.call(a).remove(0))(xs); // compiles and splits
    let want: Vec<f64> = x
        .to_vec::<f64>()
        .iter()
        .map(|v| (v * v).cos() * 2.0 * v)
        .collect();
    close(&g[0], &Tensor::from_vec(want, &[3]), 1e-14);
    let before = EVALS.load(Ordering::SeqCst);
    for _ in 0..3 {
        grad_n(|a: &[Tensor]| f.call(a).remove(0))(xs);
    }
    // One kernel run per gradient: the backward program reads the stored residuals.
    assert_eq!(EVALS.load(Ordering::SeqCst) - before, 3);
    // Forward mode runs a compiled JVP program: the user's JVP rule is traced once, at the
    // first call, not run again (a replayed graph would call it every time).
    let v = Tensor::from_vec(vec![1.0, 0.5, -2.0], &[3]);
    let jv = |f: &dyn Fn(&[Tensor]) -> Tensor| try_jvp(f, xs, std::slice::from_ref(&v)).unwrap().1;
    let first = jv(&|a: &[Tensor]| f.call(a).remove(0));
    let eager = jv(&|a: &[Tensor]| apply_primitive(CountedSquare, a).unwrap().sin().sum());
    close(&first, &eager, 1e-14);
    let rules = JVPS.load(Ordering::SeqCst);
    for _ in 0..3 {
        close(&jv(&|a: &[Tensor]| f.call(a).remove(0)), &eager, 1e-14);
    }
    assert_eq!(JVPS.load(Ordering::SeqCst), rules);
}

#[test]
fn higher_orders_forward_mode_and_backward_stay_exact() {
    let _serial = serial();
    let j = Jit::new(layer);
    let xs = layer_inputs();
    let f = |a: &[Tensor]| j.call(a).remove(0);
    let fe = |a: &[Tensor]| layer(a).remove(0);
    // Second order: a Hessian-vector product through the jitted function.
    let v: Vec<Tensor> = xs.iter().map(|x| x.ones_like() * 0.3).collect();
    let hv = |g: &dyn Fn(&[Tensor]) -> Tensor| {
        try_jvp(
            |a: &[Tensor]| {
                let gs = grad_n(g)(a);
                Tensor::concat(&gs.iter().map(|t| t.reshape(&[-1])).collect::<Vec<_>>(), 0)
            },
            &xs,
            &v,
        )
        .unwrap()
        .1
    };
    close(&hv(&f), &hv(&fe), 1e-12);
    // grad of grad (reverse over reverse).
    let gg = |g: &dyn Fn(&[Tensor]) -> Tensor| {
        grad_n(|a: &[Tensor]| grad_n(g)(a)[1].square().sum())(&xs)
    };
    for (a, b) in gg(&f).iter().zip(&gg(&fe)) {
        close(a, b, 1e-12);
    }
    // Forward mode alone.
    let (y, t) = try_jvp(f, &xs, &v).unwrap();
    let (ye, te) = try_jvp(fe, &xs, &v).unwrap();
    close(&y, &ye, 1e-14);
    close(&t, &te, 1e-12);
    // backward() on a jitted output.
    let leaves: Vec<Tensor> = xs.iter().map(|x| x.requires_grad()).collect();
    let grads = f(&leaves).backward();
    let want = grad_n(fe)(&xs);
    for (l, w) in leaves.iter().zip(&want) {
        close(&grads.wrt(l), w, 1e-13);
    }
    // jit(grad(jit(f))) and jacrev of it.
    let jg = Jit::new(|a: &[Tensor]| grad_n(|b: &[Tensor]| j.call(b).remove(0))(a));
    for (a, b) in jg.call(&xs).iter().zip(&want) {
        close(a, b, 1e-13);
    }
    let jr = jacrev(|x: &Tensor| {
        let mut a = xs.clone();
        a[2] = x.clone();
        f(&a)
    })(&xs[2]);
    let jre = grad_n(fe)(&xs)[2].clone();
    close(&jr, &jre, 1e-13);
}

#[test]
fn jit_of_grad_of_scan_runs_the_forward_scan_once() {
    let _serial = serial();
    // An RNN cell over 12 steps: the compiled gradient has one forward scan (which also stores
    // the carries each step starts from) and one reverse scan.
    let xs = Tensor::randn(&[12, 4], 5, DType::F64);
    let w = Tensor::randn(&[4, 4], 6, DType::F64) * 0.4;
    let loss = |a: &[Tensor]| {
        let (c, ys) = scan(
            |c: &[Tensor], x: &[Tensor]| {
                let h = (c[0].matmul(&a[0]) + &x[0]).tanh();
                (vec![h.clone()], vec![h.square().sum()])
            },
            &[Tensor::zeros(&[4], DType::F64)],
            &[a[1].clone()],
        );
        c[0].sum() + ys[0].sum()
    };
    let args = [w.clone(), xs.clone()];
    // The value and the gradient (with the gradient alone, dead-code elimination would drop
    // an unused forward scan anyway).
    let j = Jit::new(move |a: &[Tensor]| {
        let (l, mut g) = try_value_and_grad_n(loss, a).unwrap();
        g.push(l);
        g
    });
    let c = j.compiled(&args).unwrap();
    let scans = c
        .graph()
        .eqns()
        .iter()
        .filter(|e| e.prim.name() == "scan")
        .count();
    assert_eq!(scans, 2, "{}", c.graph());
    // The same value and gradient as the eager loop (a Rust loop recorded step by step).
    let (l, mut eager) = try_value_and_grad_n(loss, &args).unwrap();
    eager.push(l);
    for (a, b) in j.call(&args).iter().zip(&eager) {
        close(a, b, 1e-12);
    }
    // And at second order (the stored carries are differentiated too).
    let v = [w.ones_like() * 0.1, xs.ones_like() * 0.2];
    let hv = |f: &dyn Fn(&[Tensor]) -> Vec<Tensor>| {
        try_jvp(|a: &[Tensor]| f(a)[0].clone(), &args, &v)
            .unwrap()
            .1
    };
    let traced = |a: &[Tensor]| Jit::new(move |b: &[Tensor]| grad_n(loss)(b)).call(a);
    close(&hv(&traced), &hv(&|a: &[Tensor]| grad_n(loss)(a)), 1e-10);
}
