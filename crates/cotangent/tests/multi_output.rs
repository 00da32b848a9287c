//! Primitives with several outputs: control flow keeps each carry's own dtype (an i64 carry
//! above 2^53 stays exact, where converting it to f64 would round it), and a user-defined
//! `MultiPrimitive` works under every transformation (grad at first and second order, jvp,
//! vmap with and without a batching rule, jit and its compositions).

use cotangent::ir::{try_trace_n, Graph};
use cotangent::jit::Jit;
use cotangent::prim::{Aval, AvalRef, MultiPrimitive};
use cotangent::{
    apply_multi_primitive, cond, fori_loop, grad, jvp, scan, vmap, while_loop, DType, Result,
    Tensor, Value,
};

/// 2^53 + 1: the first integer an f64 cannot hold.
const BIG: i64 = (1 << 53) + 1;

fn int(v: i64) -> Tensor {
    Tensor::from_vec(vec![v], &[])
}

fn count(g: &Graph, name: &str) -> usize {
    g.eqns().iter().filter(|e| e.prim.name() == name).count()
}

/// A loop over (an i64 counter, an f64 value): the counter steps by one from 2^53 + 1.
fn loops(x: &Tensor) -> Vec<Tensor> {
    let step = |c: &[Tensor]| vec![&c[0] + &int(1), &c[1] * 1.5];
    let f = fori_loop(0, 3, |_, c| step(c), &[int(BIG), x.clone()]);
    let w = while_loop(|c| c[0].lt(&int(BIG + 3)), step, &[int(BIG), x.clone()]);
    let xs = Tensor::from_vec(vec![1i64, 2, 3], &[3]);
    let (s, ys) = scan(
        |c, t| (vec![&c[0] + &t[0], &c[1] * 1.5], vec![c[0].clone()]),
        &[int(BIG), x.clone()],
        &[xs],
    );
    let pred = x.gt(&Tensor::scalar(0.0));
    let k = cond(
        &pred,
        |a| vec![&a[0] + &int(2), a[1].clone()],
        |a| vec![a[0].clone(), a[1].clone()],
        &[int(BIG), x.clone()],
    );
    vec![
        f[0].clone(),
        w[0].clone(),
        s[0].clone(),
        ys[0].clone(),
        k[0].clone(),
        &(&f[1] + &s[1]) + &k[1],
        w[1].clone(),
    ]
}

fn check_exact(outs: &[Tensor], what: &str) {
    assert_eq!(outs[0].dtype(), DType::I64, "{what}");
    assert_eq!(outs[0].item::<i64>(), BIG + 3, "{what}: fori_loop");
    assert_eq!(outs[1].item::<i64>(), BIG + 3, "{what}: while_loop");
    assert_eq!(outs[2].item::<i64>(), BIG + 6, "{what}: scan carry");
    assert_eq!(
        outs[3].to_vec::<i64>(),
        vec![BIG, BIG + 1, BIG + 3],
        "{what}: scan ys"
    );
    assert_eq!(outs[4].item::<i64>(), BIG + 2, "{what}: cond");
}

#[test]
fn an_i64_carry_above_2_pow_53_stays_exact() {
    let x = Tensor::scalar(2.0);
    // Eager (Rust loops), traced (one primitive each), jitted, and under vmap.
    check_exact(&loops(&x), "eager");
    let g = try_trace_n(|a| loops(&a[0]), &[Aval::of(&x)]).unwrap();
    for name in ["scan", "while_loop", "cond"] {
        assert!(count(&g, name) >= 1, "{name} traced as one primitive:\n{g}");
    }
    check_exact(&g.eval(std::slice::from_ref(&x)).unwrap(), "traced");
    let j = Jit::new(|a: &[Tensor]| loops(&a[0]));
    check_exact(&j.call(std::slice::from_ref(&x)), "jit");
    check_exact(&j.call(std::slice::from_ref(&x)), "jit, second call");
    let xs = Tensor::from_vec(vec![2.0, 3.0], &[2]);
    let mapped = vmap(|x: &Tensor| loops(x)[2].clone(), 0, 0)(&xs);
    assert_eq!(mapped.to_vec::<i64>(), vec![BIG + 6, BIG + 6], "vmap");
    // The float carry still differentiates next to the integer one: d/dx of 1.5^3 x (fori)
    // + 1.5^3 x (scan) + x (cond). A traced while_loop has forward mode only.
    let want = 2.0 * 1.5f64.powi(3) + 1.0;
    let d = grad(|x: &Tensor| loops(x)[5].clone())(&x).item::<f64>();
    assert!((d - want).abs() < 1e-12, "{d} vs {want}");
    let dj = grad(|x: &Tensor| j.call(std::slice::from_ref(x))[5].clone())(&x).item::<f64>();
    assert!((dj - want).abs() < 1e-12, "grad(jit): {dj} vs {want}");
    let (_, t) = jvp(
        |a| loops(&a[0])[5].clone(),
        std::slice::from_ref(&x),
        &[Tensor::scalar(1.0)],
    );
    assert!((t.item::<f64>() - want).abs() < 1e-12);
    let (_, t) = jvp(
        |a| j.call(std::slice::from_ref(&a[0]))[6].clone(),
        std::slice::from_ref(&x),
        &[Tensor::scalar(1.0)],
    );
    assert!(
        (t.item::<f64>() - 1.5f64.powi(3)).abs() < 1e-12,
        "jvp(jit) of the while_loop"
    );
}

/// `(sin x, cos x, the sign bits as i64)` from one kernel: two float outputs and an integer
/// one. `batched` says whether it has a batching rule (else vmap applies it per example).
#[derive(Debug)]
struct SinCos {
    batched: bool,
}

impl MultiPrimitive for SinCos {
    fn name(&self) -> &'static str {
        "sincos"
    }
    fn abstract_eval(&self, i: &[AvalRef<'_>]) -> Result<Vec<Aval>> {
        let int = Aval {
            shape: i[0].shape.clone(),
            dtype: DType::I64,
        };
        Ok(vec![i[0].to_aval(), i[0].to_aval(), int])
    }
    fn eval(&self, i: &[&Value]) -> Result<Vec<Value>> {
        let x = i[0].to_vec::<f64>();
        let s = i[0].shape().clone();
        Ok(vec![
            Value::from_vec(x.iter().map(|v| v.sin()).collect(), s.clone()),
            Value::from_vec(x.iter().map(|v| v.cos()).collect(), s.clone()),
            Value::from_vec(x.iter().map(|v| i64::from(*v < 0.0)).collect(), s),
        ])
    }
    fn jvp(
        &self,
        p: &[Tensor],
        t: &[Option<Tensor>],
        outs: &[Tensor],
    ) -> Result<Vec<Option<Tensor>>> {
        Ok(match &t[0] {
            Some(t) => vec![Some(t * &outs[1]), Some(-(t * &outs[0])), None],
            None => {
                let _ = p;
                vec![None, None, None]
            }
        })
    }
    fn vjp(&self, _: &[Tensor], outs: &[Tensor], g: &[Tensor]) -> Result<Vec<Option<Tensor>>> {
        assert_eq!(
            g[2].dtype(),
            DType::I64,
            "an integer output's cotangent is an i64 zero"
        );
        Ok(vec![Some(&g[0] * &outs[1] - &g[1] * &outs[0])])
    }
    fn batch(
        &self,
        args: &[Tensor],
        dims: &[Option<usize>],
        _: usize,
    ) -> Result<Option<Vec<(Tensor, Option<usize>)>>> {
        if !self.batched {
            return Ok(None);
        }
        let outs = apply_multi_primitive(SinCos { batched: true }, args)?;
        Ok(Some(outs.into_iter().map(|o| (o, dims[0])).collect()))
    }
}

/// sin(x)·cos(x)² + (number of negative elements), summed: uses every output.
fn f(x: &Tensor, batched: bool) -> Tensor {
    let o = apply_multi_primitive(SinCos { batched }, &[x.clone()]).unwrap();
    (&o[0] * &o[1].square()).sum() + o[2].cast(DType::F64).sum()
}

fn g_exact(x: f64) -> f64 {
    // d/dx sin x cos² x = cos³ x − 2 sin² x cos x
    x.cos().powi(3) - 2.0 * x.sin().powi(2) * x.cos()
}

fn h_exact(x: f64) -> f64 {
    // d/dx of g_exact
    -3.0 * x.cos().powi(2) * x.sin() - 4.0 * x.sin() * x.cos().powi(2) + 2.0 * x.sin().powi(3)
}

#[test]
fn a_user_multi_output_primitive_under_every_transformation() {
    let x = Tensor::from_vec(vec![0.3, -1.1, 2.0], &[3]);
    let xv = x.to_vec::<f64>();
    let want_g: Vec<f64> = xv.iter().map(|&v| g_exact(v)).collect();
    let want_h: Vec<f64> = xv.iter().map(|&v| h_exact(v)).collect();
    let near = |got: &Tensor, want: &[f64], what: &str| {
        for (a, b) in got.to_vec::<f64>().iter().zip(want) {
            assert!((a - b).abs() < 1e-12, "{what}: {a} vs {b}");
        }
    };
    let value: f64 = xv.iter().map(|v| v.sin() * v.cos().powi(2)).sum::<f64>() + 1.0;
    assert!((f(&x, true).item::<f64>() - value).abs() < 1e-14);
    near(&grad(|x| f(x, true))(&x), &want_g, "grad");
    // Second order: the Hessian is diagonal; its diagonal by grad of the summed gradient.
    near(
        &grad(|x| grad(|x| f(x, true))(x).sum())(&x),
        &want_h,
        "grad of grad",
    );
    // Forward mode, and forward over reverse.
    let ones = Tensor::ones(&[3], DType::F64);
    let (_, t) = jvp(
        |a| f(&a[0], true),
        std::slice::from_ref(&x),
        std::slice::from_ref(&ones),
    );
    assert!((t.item::<f64>() - want_g.iter().sum::<f64>()).abs() < 1e-12);
    let (_, t2) = jvp(
        |a| grad(|x| f(x, true))(&a[0]).sum(),
        std::slice::from_ref(&x),
        std::slice::from_ref(&ones),
    );
    assert!((t2.item::<f64>() - want_h.iter().sum::<f64>()).abs() < 1e-12);
    // vmap over rows, with the batching rule and with the per-example fallback.
    let rows = Tensor::from_vec(vec![0.3, -1.1, 2.0, 0.5, 0.7, -0.2], &[2, 3]);
    for batched in [true, false] {
        let y = vmap(|r: &Tensor| f(r, batched), 0, 0)(&rows);
        for (i, yi) in y.to_vec::<f64>().iter().enumerate() {
            let want = f(&rows.narrow(0, i, 1).squeeze(0), true).item::<f64>();
            assert!((yi - want).abs() < 1e-14, "vmap (rule: {batched})");
        }
        let gr = vmap(grad(|r: &Tensor| f(r, batched)), 0, 0)(&rows);
        let want: Vec<f64> = rows.to_vec::<f64>().iter().map(|&v| g_exact(v)).collect();
        near(&gr, &want, "vmap(grad)");
    }
    // jit: the tuple runs as one step of the compiled program; jit(grad) and grad(jit).
    let j = Jit::new(|a: &[Tensor]| vec![f(&a[0], true)]);
    assert!((j.call(std::slice::from_ref(&x))[0].item::<f64>() - value).abs() < 1e-14);
    let g = j
        .compiled(std::slice::from_ref(&x))
        .unwrap()
        .graph()
        .clone();
    assert_eq!(count(&g, "sincos"), 1, "{g}");
    let jg = Jit::new(|a: &[Tensor]| vec![grad(|x| f(x, true))(&a[0])]);
    near(&jg.call(std::slice::from_ref(&x))[0], &want_g, "jit(grad)");
    near(
        &grad(|x: &Tensor| j.call(std::slice::from_ref(x)).remove(0))(&x),
        &want_g,
        "grad(jit)",
    );
}

#[test]
fn a_multi_output_kernel_that_breaks_its_promise_is_an_error() {
    #[derive(Debug)]
    struct Liar;
    impl MultiPrimitive for Liar {
        fn name(&self) -> &'static str {
            "liar"
        }
        fn abstract_eval(&self, i: &[AvalRef<'_>]) -> Result<Vec<Aval>> {
            Ok(vec![i[0].to_aval(), i[0].to_aval()])
        }
        fn eval(&self, i: &[&Value]) -> Result<Vec<Value>> {
            Ok(vec![i[0].clone()])
        }
        fn jvp(
            &self,
            _: &[Tensor],
            _: &[Option<Tensor>],
            _: &[Tensor],
        ) -> Result<Vec<Option<Tensor>>> {
            Ok(vec![None, None])
        }
        fn vjp(&self, _: &[Tensor], _: &[Tensor], _: &[Tensor]) -> Result<Vec<Option<Tensor>>> {
            Ok(vec![None])
        }
    }
    let e = apply_multi_primitive(Liar, &[Tensor::scalar(1.0)]).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("liar") && msg.contains("1 outputs") && msg.contains("promised 2"),
        "{msg}"
    );
    assert!(
        msg.contains("multi_output.rs"),
        "names the caller's line: {msg}"
    );
    // Compiled, the kernel runs in the program: the same error, not an index out of bounds.
    let compiled = Jit::new(|x: &[Tensor]| {
        let outs = apply_multi_primitive(Liar, &[x[0].clone()]).expect("traced: the shape rule");
        vec![&outs[0] + &outs[1]]
    });
    let e = compiled.try_call(&[Tensor::scalar(1.0)]).unwrap_err();
    assert!(
        e.to_string().contains("liar") && e.to_string().contains("promised 2"),
        "{e}"
    );
}

#[test]
fn a_batching_rule_with_too_few_outputs_is_an_error() {
    #[derive(Debug)]
    struct Short;
    impl MultiPrimitive for Short {
        fn name(&self) -> &'static str {
            "short"
        }
        fn abstract_eval(&self, i: &[AvalRef<'_>]) -> Result<Vec<Aval>> {
            Ok(vec![i[0].to_aval(), i[0].to_aval()])
        }
        fn eval(&self, i: &[&Value]) -> Result<Vec<Value>> {
            Ok(vec![i[0].clone(), i[0].clone()])
        }
        fn jvp(
            &self,
            _: &[Tensor],
            t: &[Option<Tensor>],
            _: &[Tensor],
        ) -> Result<Vec<Option<Tensor>>> {
            Ok(vec![t[0].clone(), t[0].clone()])
        }
        fn vjp(&self, _: &[Tensor], _: &[Tensor], g: &[Tensor]) -> Result<Vec<Option<Tensor>>> {
            Ok(vec![Some(&g[0] + &g[1])])
        }
        #[allow(clippy::type_complexity)]
        fn batch(
            &self,
            args: &[Tensor],
            dims: &[Option<usize>],
            _: usize,
        ) -> Result<Option<Vec<(Tensor, Option<usize>)>>> {
            Ok(Some(vec![(args[0].clone(), dims[0])]))
        }
    }
    let f = |x: &Tensor| {
        let outs = apply_multi_primitive(Short, std::slice::from_ref(x)).unwrap();
        &outs[0] * &outs[1]
    };
    assert_eq!(f(&Tensor::scalar(3.0)).item::<f64>(), 9.0);
    let xs = Tensor::from_vec(vec![1.0, 2.0], &[2]);
    let e = cotangent::try_vmap_call(|a| vec![f(&a[0])], &[xs], &[Some(0)], &[0]).unwrap_err();
    assert!(
        e.to_string().contains("short") && e.to_string().contains("gave 1 outputs"),
        "{e}"
    );
}
