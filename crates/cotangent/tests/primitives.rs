//! Table-driven tests of every primitive and composite.
//!
//! * `grads_*`: for each row (a name, a function of some f64 inputs, and the domain each input is
//!   drawn from) and each input variant (contiguous, broadcasting shapes, rank-0 operands, and
//!   non-contiguous primal inputs: a transposed view, a step-2 slice and a stride-0 broadcast
//!   view), `check_grads(f, inputs, 2)` compares forward and reverse mode, and all four
//!   second-order combinations, with central finite differences. Non-contiguous variants also
//!   check that the value equals the value at contiguous copies of the same inputs. Every failure
//!   is collected and the test panics at the end listing all of them.
//! * Piecewise-constant ops (sign, floor, round, comparisons, casts to integers) are checked to
//!   have zero derivatives explicitly; ties of `max`/`maximum`/`minimum` split evenly; `select`
//!   sends the gradient to the chosen branch.
//! * `values_*`: values against known answers (Rust `std` functions, literals, hand-written loops)
//!   with a 1e-12 tolerance in f64.
//! * `f32_*`: f32 kernels against the f64 computation.
//! * `harness_*`: the harness itself fails on deliberately wrong rules (custom primitives).

use std::panic::{catch_unwind, AssertUnwindSafe};

use cotangent::prim::{Aval, AvalRef, Primitive};
use cotangent::testing::{check_grads, check_grads_with, CheckOptions};
use cotangent::{apply_primitive, grad_n, jvp, vjp, where_, DType, Result, Storage, Tensor, Value};

// ---------------------------------------------------------------------------------------------
// Input generation
// ---------------------------------------------------------------------------------------------

/// The domain an input is drawn from (chosen per op: inside its domain, away from its kinks).
#[derive(Clone, Copy, Debug)]
enum Dom {
    /// Standard normal.
    Any,
    /// Uniform in [0.5, 2).
    Pos,
    /// Uniform in [1.2, 2.5) (acosh).
    Gt1,
    /// Uniform in [-0.9, 0.9) (asin, acos, atanh).
    Unit,
    /// Uniform in [-1.2, 1.2) (tan, away from its poles).
    Small,
    /// |x| in [0.3, 1.5) with a random sign (abs, relu, division, …).
    AwayZero,
    /// An integer plus a fraction in [0.1, 0.3): away from integers and half-integers.
    FracLo,
    /// An integer plus a fraction in [0.6, 0.8): at least 0.3 away from any `FracLo` value.
    FracHi,
    /// Pairwise distinct values (gaps of at least 0.2), for maxima.
    Distinct,
}

fn sample(dom: Dom, shape: &[usize], seed: u64) -> Tensor {
    let u = || Tensor::rand(shape, seed, DType::F64);
    let n = || Tensor::randn(shape, seed.wrapping_add(7919), DType::F64);
    match dom {
        Dom::Any => n(),
        Dom::Pos => u() * 1.5 + 0.5,
        Dom::Gt1 => u() * 1.3 + 1.2,
        Dom::Unit => u() * 1.8 - 0.9,
        Dom::Small => u() * 2.4 - 1.2,
        Dom::AwayZero => (u() * 1.2 + 0.3) * n().sign(),
        Dom::FracLo => (n() * 2.0).floor() + (u() * 0.2 + 0.1),
        Dom::FracHi => (n() * 2.0).floor() + (u() * 0.2 + 0.6),
        Dom::Distinct => {
            let count: usize = shape.iter().product();
            let keys = Tensor::rand(&[count], seed, DType::F64).to_vec::<f64>();
            let noise = Tensor::rand(&[count], seed.wrapping_add(1), DType::F64).to_vec::<f64>();
            let mut order: Vec<usize> = (0..count).collect();
            order.sort_by(|&i, &j| keys[i].total_cmp(&keys[j]));
            let mut vals = vec![0.0; count];
            for (rank, &i) in order.iter().enumerate() {
                vals[i] = (rank as f64 - count as f64 / 2.0) * 0.25 + noise[i] * 0.05;
            }
            Tensor::from_vec(vals, shape)
        }
    }
}

/// How an input tensor is laid out in memory.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Lay {
    /// A fresh contiguous tensor.
    C,
    /// `x.t()` of a tensor with the last two dims swapped (non-contiguous).
    T,
    /// Every other row of a `[2n+1, ..]` tensor: `x.slice_axis(0, 1, -1, 2)` (non-contiguous).
    S,
    /// A stride-0 view: `x.broadcast_to(shape)` of a tensor of shape `shape[1..]`.
    B,
}
use Lay::{B, C, S, T};

/// The inputs of one run of a row: a shape and a layout per input.
type Variant = Vec<(Vec<usize>, Lay)>;

fn var(specs: &[(&[usize], Lay)]) -> Variant {
    specs.iter().map(|(s, l)| (s.to_vec(), *l)).collect()
}

fn describe(v: &Variant) -> String {
    v.iter()
        .map(|(s, l)| format!("{s:?}{l:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn build(dom: Dom, shape: &[usize], lay: Lay, seed: u64) -> Tensor {
    let x = match lay {
        C => sample(dom, shape, seed),
        T => {
            assert!(shape.len() >= 2, "a transposed variant needs rank >= 2");
            let mut s = shape.to_vec();
            let r = s.len();
            s.swap(r - 1, r - 2);
            sample(dom, &s, seed).t()
        }
        S => {
            let mut s = shape.to_vec();
            s[0] = 2 * s[0] + 1;
            sample(dom, &s, seed).slice_axis(0, 1, -1, 2)
        }
        B => sample(dom, &shape[1..], seed).broadcast_to(shape),
    };
    assert_eq!(x.dims(), shape, "generated input has the wrong shape");
    if lay != C {
        assert!(
            !x.is_contiguous(),
            "the {lay:?} variant of shape {shape:?} must be non-contiguous"
        );
    } else {
        assert!(x.is_contiguous());
    }
    x
}

/// A contiguous copy holding the same values.
fn contiguous_copy(x: &Tensor) -> Tensor {
    let c = Tensor::from_vec(x.to_vec::<f64>(), x.dims());
    assert!(c.is_contiguous());
    c
}

// ---------------------------------------------------------------------------------------------
// The table harness
// ---------------------------------------------------------------------------------------------

type Fun = Box<dyn Fn(&[Tensor]) -> Tensor>;
/// Reference implementations for value tables.
type Ref1 = fn(f64) -> f64;
type Ref2 = fn(f64, f64) -> f64;
type RefCmp = fn(f64, f64) -> bool;

struct Row {
    name: String,
    doms: Vec<Dom>,
    vars: Vec<Variant>,
    f: Fun,
    opts: CheckOptions,
    /// Highest derivative order checked (2 unless a row asks for more).
    order: usize,
}

fn row(
    name: impl Into<String>,
    doms: &[Dom],
    vars: Vec<Variant>,
    f: impl Fn(&[Tensor]) -> Tensor + 'static,
) -> Row {
    let name = name.into();
    for v in &vars {
        assert_eq!(v.len(), doms.len(), "row {name}: one domain per input");
    }
    Row {
        name,
        doms: doms.to_vec(),
        vars,
        f: Box::new(f),
        opts: CheckOptions::default(),
        order: 2,
    }
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else {
        "(non-string panic)".to_string()
    }
}

/// Relative closeness with a floor of 1 on the scale (so values near 0 compare absolutely);
/// NaNs and infinities must match exactly.
fn close(got: &[f64], want: &[f64], tol: f64) -> std::result::Result<(), String> {
    if got.len() != want.len() {
        return Err(format!(
            "length {} != {}: got {got:?}, want {want:?}",
            got.len(),
            want.len()
        ));
    }
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let ok = if w.is_nan() {
            g.is_nan()
        } else if w.is_infinite() {
            g == w
        } else {
            (g - w).abs() <= tol * w.abs().max(1.0)
        };
        if !ok {
            return Err(format!(
                "element {i}: got {g:e}, want {w:e}\n    got  {got:?}\n    want {want:?}"
            ));
        }
    }
    Ok(())
}

/// Run every row over every variant and return the failures (one line each).
fn run_rows(rows: &[Row]) -> (usize, Vec<String>) {
    let mut failures = Vec::new();
    let mut checks = 0;
    for (ri, r) in rows.iter().enumerate() {
        for (vi, v) in r.vars.iter().enumerate() {
            checks += 1;
            let seed = 1000 * ri as u64 + 17 * vi as u64 + 3;
            let inputs: Vec<Tensor> = v
                .iter()
                .zip(&r.doms)
                .enumerate()
                .map(|(i, ((shape, lay), dom))| build(*dom, shape, *lay, seed + 101 * i as u64))
                .collect();
            let here = format!("{} [{}]", r.name, describe(v));
            let f = |xs: &[Tensor]| (r.f)(xs);
            // Non-contiguous primal inputs must give the same value as contiguous copies.
            if inputs.iter().any(|x| !x.is_contiguous()) {
                let copies: Vec<Tensor> = inputs.iter().map(contiguous_copy).collect();
                let res = catch_unwind(AssertUnwindSafe(|| {
                    close(&f(&inputs).to_f64_vec(), &f(&copies).to_f64_vec(), 1e-12)
                }));
                match res {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => failures.push(format!("{here}: strided value differs: {e}")),
                    Err(p) => failures.push(format!("{here}: panicked: {}", panic_message(&*p))),
                }
            }
            let res = catch_unwind(AssertUnwindSafe(|| {
                check_grads_with(f, &inputs, r.order, r.opts)
            }));
            match res {
                Ok(Ok(())) => {}
                Ok(Err(e)) => failures.push(format!("{here}: {e}")),
                Err(p) => failures.push(format!("{here}: panicked: {}", panic_message(&*p))),
            }
        }
    }
    (checks, failures)
}

fn assert_rows(category: &str, rows: Vec<Row>) {
    let (checks, failures) = run_rows(&rows);
    assert!(checks > 0);
    println!("{category}: {} rows, {checks} gradient checks", rows.len());
    assert!(
        failures.is_empty(),
        "{category}: {} of {checks} gradient checks failed:\n  - {}",
        failures.len(),
        failures.join("\n  - ")
    );
}

fn assert_no_failures(category: &str, failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "{category}: {} failures:\n  - {}",
        failures.len(),
        failures.join("\n  - ")
    );
}

// ---------------------------------------------------------------------------------------------
// Standard variant sets
// ---------------------------------------------------------------------------------------------

/// One operand: contiguous, transposed, strided, stride-0, rank 0, rank 3.
fn unary_vars() -> Vec<Variant> {
    vec![
        var(&[(&[3, 4], C)]),
        var(&[(&[3, 4], T)]),
        var(&[(&[3, 4], S)]),
        var(&[(&[3, 4], B)]),
        var(&[(&[], C)]),
        var(&[(&[2, 3, 4], C)]),
        // Two elements: buffers this small may be stored inline.
        var(&[(&[2], C)]),
        var(&[(&[2], S)]),
    ]
}

/// Unary variants without the stride-0 one (whose repeated rows would tie).
fn unary_vars_no_b() -> Vec<Variant> {
    unary_vars()
        .into_iter()
        .filter(|v| v.iter().all(|(_, l)| *l != B))
        .collect()
}

/// Two operands: equal shapes with all layouts, broadcasting shapes, rank-0 operands.
fn binary_vars() -> Vec<Variant> {
    vec![
        var(&[(&[3, 4], C), (&[3, 4], C)]),
        var(&[(&[3, 4], T), (&[3, 4], S)]),
        var(&[(&[3, 4], S), (&[3, 4], T)]),
        var(&[(&[3, 4], B), (&[3, 4], C)]),
        var(&[(&[3, 1, 4], C), (&[5, 4], C)]),
        var(&[(&[5, 4], T), (&[3, 1, 4], C)]),
        var(&[(&[3, 4], C), (&[], C)]),
        var(&[(&[], C), (&[3, 4], T)]),
        var(&[(&[4], C), (&[3, 1], C)]),
        var(&[(&[], C), (&[], C)]),
        var(&[(&[2], C), (&[2], S)]),
        var(&[(&[1], C), (&[2], C)]),
    ]
}

/// One rank-3 operand: contiguous, transposed, strided, stride-0.
fn rank3_vars() -> Vec<Variant> {
    vec![
        var(&[(&[2, 3, 4], C)]),
        var(&[(&[2, 3, 4], T)]),
        var(&[(&[2, 3, 4], S)]),
        var(&[(&[2, 3, 4], B)]),
    ]
}

fn rank3_vars_no_b() -> Vec<Variant> {
    rank3_vars()
        .into_iter()
        .filter(|v| v.iter().all(|(_, l)| *l != B))
        .collect()
}

/// One rank-2 operand of the given shape with all four layouts.
fn rank2_vars(shape: &[usize]) -> Vec<Variant> {
    vec![
        var(&[(shape, C)]),
        var(&[(shape, T)]),
        var(&[(shape, S)]),
        var(&[(shape, B)]),
    ]
}

// ---------------------------------------------------------------------------------------------
// Gradient checks, one test per category
// ---------------------------------------------------------------------------------------------

#[test]
fn grads_unary() {
    use Dom::*;
    let u = unary_vars;
    let rows = vec![
        row("neg", &[Any], u(), |x| -&x[0]),
        row("neg (try_neg)", &[Any], u(), |x| x[0].try_neg().unwrap()),
        row("exp", &[Any], u(), |x| x[0].exp()),
        row("log", &[Pos], u(), |x| x[0].log()),
        row("sin", &[Any], u(), |x| x[0].sin()),
        row("cos", &[Any], u(), |x| x[0].cos()),
        row("tan", &[Small], u(), |x| x[0].tan()),
        row("asin", &[Unit], u(), |x| x[0].asin()),
        row("acos", &[Unit], u(), |x| x[0].acos()),
        row("atan", &[Any], u(), |x| x[0].atan()),
        row("sinh", &[Any], u(), |x| x[0].sinh()),
        row("cosh", &[Any], u(), |x| x[0].cosh()),
        row("tanh", &[Any], u(), |x| x[0].tanh()),
        row("asinh", &[Any], u(), |x| x[0].asinh()),
        row("acosh", &[Gt1], u(), |x| x[0].acosh()),
        row("atanh", &[Unit], u(), |x| x[0].atanh()),
        row("sqrt", &[Pos], u(), |x| x[0].sqrt()),
        row("expm1", &[Any], u(), |x| x[0].expm1()),
        row("log1p", &[Pos], u(), |x| x[0].log1p()),
        row("log1p (negative side)", &[Unit], u(), |x| x[0].log1p()),
        row("abs", &[AwayZero], u(), |x| x[0].abs()),
        row("erf", &[Any], u(), |x| x[0].erf()),
        row("erfc", &[Any], u(), |x| x[0].erfc()),
        row("recip", &[AwayZero], u(), |x| x[0].recip()),
        // Piecewise constant: zero derivatives (also checked explicitly below); multiplied by a
        // smooth factor so the product rule's None handling is exercised at second order.
        row("sign", &[AwayZero], u(), |x| x[0].sign()),
        row("sign * x^2", &[AwayZero], u(), |x| {
            x[0].sign() * x[0].square()
        }),
        row("floor", &[FracLo], u(), |x| x[0].floor()),
        row("floor * sin", &[FracLo], u(), |x| x[0].floor() * x[0].sin()),
        row("round", &[FracLo], u(), |x| x[0].round()),
        row("round * sin", &[FracHi], u(), |x| x[0].round() * x[0].sin()),
        // Chains: each rule's output is differentiated again at second order.
        row("sin(exp(x))", &[Any], u(), |x| x[0].exp().sin()),
        row("log(cosh(x))", &[Any], u(), |x| x[0].cosh().log()),
    ];
    assert_rows("unary", rows);
}

#[test]
fn grads_binary() {
    use Dom::*;
    let b = binary_vars;
    let rows = vec![
        row("add", &[Any, Any], b(), |x| &x[0] + &x[1]),
        row("add (method)", &[Any, Any], b(), |x| x[0].add(&x[1])),
        row("sub", &[Any, Any], b(), |x| &x[0] - &x[1]),
        row("sub (method)", &[Any, Any], b(), |x| x[0].sub(&x[1])),
        row("mul", &[Any, Any], b(), |x| &x[0] * &x[1]),
        row("mul (method)", &[Any, Any], b(), |x| x[0].mul(&x[1])),
        row("mul (same tensor)", &[Any, Any], b(), |x| {
            &x[0] * &x[0] * &x[1]
        }),
        row("div", &[Any, AwayZero], b(), |x| &x[0] / &x[1]),
        row("div (method)", &[Any, AwayZero], b(), |x| x[0].div(&x[1])),
        row("pow", &[Pos, Any], b(), |x| x[0].pow(&x[1])),
        row("maximum", &[FracLo, FracHi], b(), |x| x[0].maximum(&x[1])),
        row("maximum (swapped)", &[FracHi, FracLo], b(), |x| {
            x[0].maximum(&x[1])
        }),
        row("minimum", &[FracLo, FracHi], b(), |x| x[0].minimum(&x[1])),
        row("minimum (swapped)", &[FracHi, FracLo], b(), |x| {
            x[0].minimum(&x[1])
        }),
        row("atan2", &[Any, AwayZero], b(), |x| x[0].atan2(&x[1])),
        row("atan2 (y away from 0)", &[AwayZero, Any], b(), |x| {
            x[0].atan2(&x[1])
        }),
        row("maximum * a * b", &[FracLo, FracHi], b(), |x| {
            x[0].maximum(&x[1]) * &x[0] * &x[1]
        }),
        // Owned operands (buffers passed on for in-place reuse).
        row("owned (a*b + a) / b", &[Any, AwayZero], b(), |x| {
            (x[0].clone() * x[1].clone() + x[0].clone()) / x[1].clone()
        }),
        // Scalar forms through the operators (f64 on either side).
        row("x + 2.5", &[Any], unary_vars(), |x| &x[0] + 2.5),
        row("2.5 + x", &[Any], unary_vars(), |x| 2.5 + &x[0]),
        row("x - 1.5", &[Any], unary_vars(), |x| &x[0] - 1.5),
        row("1.5 - x", &[Any], unary_vars(), |x| 1.5 - &x[0]),
        row("x * -1.5", &[Any], unary_vars(), |x| &x[0] * -1.5),
        row("-1.5 * x", &[Any], unary_vars(), |x| -1.5 * &x[0]),
        row("x / 4", &[Any], unary_vars(), |x| &x[0] / 4.0),
        row("3 / x", &[AwayZero], unary_vars(), |x| 3.0 / &x[0]),
        row("owned x * 2 + 1", &[Any], unary_vars(), |x| {
            x[0].clone() * 2.0 + 1.0
        }),
        row("(x * x) * x, owned", &[Any], unary_vars(), |x| {
            (x[0].clone() * x[0].clone()) * x[0].clone()
        }),
        row("powf(3)", &[Any], unary_vars(), |x| x[0].powf(3.0)),
        row("powf(2.5)", &[Pos], unary_vars(), |x| x[0].powf(2.5)),
        row("powf(-1.5)", &[Pos], unary_vars(), |x| x[0].powf(-1.5)),
        row("2^x", &[Any], unary_vars(), |x| {
            Tensor::scalar(2.0).pow(&x[0])
        }),
    ];
    assert_rows("binary", rows);
}

#[test]
fn grads_compare_select() {
    use Dom::*;
    let b = binary_vars;
    let mask = Tensor::from_vec(vec![true, false, true], &[3, 1]);
    let mask_full = Tensor::from_vec(
        vec![
            true, false, false, true, false, true, true, false, true, true, false, false,
        ],
        &[3, 4],
    );
    let m1 = mask.clone();
    let m2 = mask_full.clone();
    let m3 = mask_full.clone();
    let mut rows = vec![
        row("where_(a > b, sin a, b^2)", &[FracLo, FracHi], b(), |x| {
            where_(&x[0].gt(&x[1]), &x[0].sin(), &x[1].square())
        }),
        row("select(a < b, a*b, a+b)", &[FracHi, FracLo], b(), |x| {
            x[0].lt(&x[1]).select(&(&x[0] * &x[1]), &(&x[0] + &x[1]))
        }),
        row(
            "select const [3,1] mask, a [3,4], scalar b",
            &[Any, Any],
            vec![
                var(&[(&[3, 4], C), (&[], C)]),
                var(&[(&[3, 4], T), (&[], C)]),
                var(&[(&[3, 4], S), (&[], C)]),
                var(&[(&[3, 4], B), (&[], C)]),
            ],
            move |x| m1.select(&x[0].exp(), &x[1].square()),
        ),
        row(
            "where_ const [3,4] mask",
            &[Any, Any],
            vec![
                var(&[(&[3, 4], C), (&[3, 4], C)]),
                var(&[(&[3, 4], T), (&[3, 4], S)]),
                var(&[(&[4], C), (&[3, 1], C)]),
            ],
            move |x| where_(&m2, &x[0].sin(), &x[1].cos()),
        ),
        row(
            "where_ mask-only branch (other is constant)",
            &[Any],
            rank2_vars(&[3, 4]),
            move |x| where_(&m3, &x[0].sin(), &Tensor::scalar(0.5)),
        ),
        row("leaky relu via select", &[AwayZero], unary_vars(), |x| {
            let zero = Tensor::scalar(0.0);
            x[0].gt(&zero).select(&x[0], &(&x[0] * 0.1))
        }),
    ];
    // Comparisons inside a smooth function: floor() makes ties common (FracLo inputs).
    type Cmp = fn(&Tensor, &Tensor) -> Tensor;
    let cmps: [(&str, Cmp); 6] = [
        ("eq", |a, b| a.eq(b)),
        ("ne", |a, b| a.ne(b)),
        ("lt", |a, b| a.lt(b)),
        ("le", |a, b| a.le(b)),
        ("gt", |a, b| a.gt(b)),
        ("ge", |a, b| a.ge(b)),
    ];
    for (name, cmp) in cmps {
        rows.push(row(
            format!("{name}(floor a, floor b) as f64 * a * b"),
            &[FracLo, FracLo],
            b(),
            move |x| cmp(&x[0].floor(), &x[1].floor()).cast(DType::F64) * &x[0] * &x[1],
        ));
        rows.push(row(
            format!("select({name}(floor a, floor b), sin a, cos b)"),
            &[FracLo, FracLo],
            b(),
            move |x| cmp(&x[0].floor(), &x[1].floor()).select(&x[0].sin(), &x[1].cos()),
        ));
    }
    assert_rows("compare/select", rows);
}

#[test]
fn grads_reductions() {
    use Dom::*;
    let r3 = rank3_vars;
    let r3d = rank3_vars_no_b;
    let rows = vec![
        row("sum", &[Any], unary_vars(), |x| x[0].sum().sin()),
        row("sum_axes [0,2]", &[Any], r3(), |x| {
            x[0].sum_axes(&[0, 2], false).sin()
        }),
        row("sum_axes [1] keepdim", &[Any], r3(), |x| {
            x[0].sum_axes(&[1], true).sin()
        }),
        row("sum_axes [-1]", &[Any], r3(), |x| {
            x[0].sum_axes(&[-1], false).sin()
        }),
        row("sum_axes [-3,-1] keepdim", &[Any], r3(), |x| {
            x[0].sum_axes(&[-3, -1], true).sin()
        }),
        row("sum_axes [0,1,2]", &[Any], r3(), |x| {
            x[0].sum_axes(&[0, 1, 2], false).sin()
        }),
        row("sum_axes [] (identity)", &[Any], r3(), |x| {
            x[0].sum_axes(&[], false).sin()
        }),
        row("sum_axes [1] of x^2", &[Any], r3(), |x| {
            x[0].square().sum_axes(&[1], false)
        }),
        row("max_axes [1]", &[Distinct], r3d(), |x| {
            x[0].max_axes(&[1], false).sin()
        }),
        row("max_axes [-1] keepdim", &[Distinct], r3d(), |x| {
            x[0].max_axes(&[-1], true).sin()
        }),
        row("max_axes [0,2]", &[Distinct], r3d(), |x| {
            x[0].max_axes(&[0, 2], false).sin()
        }),
        row("max_axes [0] of x*|x|", &[Distinct], r3d(), |x| {
            (&x[0] * &x[0].sin()).max_axes(&[0], false)
        }),
        row("max", &[Distinct], unary_vars_no_b(), |x| x[0].max().sin()),
        row("mean", &[Any], unary_vars(), |x| x[0].mean().sin()),
        row("mean_axes [0]", &[Any], r3(), |x| {
            x[0].mean_axes(&[0], false).sin()
        }),
        row("mean_axes [-1,-2] keepdim", &[Any], r3(), |x| {
            x[0].mean_axes(&[-1, -2], true).sin()
        }),
        row("var_axes [1]", &[Any], r3(), |x| x[0].var_axes(&[1], false)),
        row("var_axes [0,2] keepdim", &[Any], r3(), |x| {
            x[0].var_axes(&[0, 2], true)
        }),
        row("var_axes all", &[Any], r3(), |x| {
            x[0].var_axes(&[0, 1, 2], false)
        }),
    ];
    assert_rows("reductions", rows);
}

#[test]
fn grads_shape() {
    use Dom::*;
    let r3 = rank3_vars;
    let rows = vec![
        row("reshape [6,4]", &[Any], r3(), |x| {
            x[0].reshape(&[6, 4]).sin()
        }),
        row("reshape [4,6]", &[Any], r3(), |x| {
            x[0].reshape(&[4, 6]).sin()
        }),
        row("reshape [24] then [2,12]", &[Any], r3(), |x| {
            x[0].reshape(&[24]).reshape(&[2, 12]).sin()
        }),
        row(
            "reshape rank0 -> [1,1]",
            &[Any],
            vec![var(&[(&[], C)])],
            |x| x[0].reshape(&[1, 1]).sin(),
        ),
        row("flatten", &[Any], r3(), |x| x[0].flatten().sin()),
        row(
            "broadcast_to [3,1] -> [2,3,4]",
            &[Any],
            vec![
                var(&[(&[3, 1], C)]),
                var(&[(&[3, 1], B)]),
                var(&[(&[3, 1], S)]),
            ],
            |x| x[0].broadcast_to(&[2, 3, 4]).sin() * Tensor::arange(0.0, 4.0, 1.0, DType::F64),
        ),
        row(
            "broadcast_to [4] -> [3,4]",
            &[Any],
            vec![var(&[(&[4], C)]), var(&[(&[4], S)])],
            |x| {
                x[0].broadcast_to(&[3, 4]).sin()
                    * Tensor::arange(0.0, 3.0, 1.0, DType::F64).reshape(&[3, 1])
            },
        ),
        row(
            "broadcast_to rank0 -> [2,3]",
            &[Any],
            vec![var(&[(&[], C)])],
            |x| x[0].broadcast_to(&[2, 3]).sin(),
        ),
        row("permute [2,0,1]", &[Any], r3(), |x| {
            x[0].permute(&[2, 0, 1]).sin()
        }),
        row("permute [-1,0,1] then reshape", &[Any], r3(), |x| {
            x[0].permute(&[-1, 0, 1]).reshape(&[4, 6]).sin()
        }),
        row("transpose(0,-1)", &[Any], r3(), |x| {
            x[0].transpose(0, -1).sin()
        }),
        row("t (rank 2)", &[Any], rank2_vars(&[3, 4]), |x| {
            x[0].t().sin()
        }),
        row(
            "t (rank 1, unchanged)",
            &[Any],
            vec![var(&[(&[4], C)])],
            |x| x[0].t().sin(),
        ),
        row("slice_axis(1, 0, 3, 2)", &[Any], r3(), |x| {
            x[0].slice_axis(1, 0, 3, 2).sin()
        }),
        row("slice_axis(-1, 1, -1, 2)", &[Any], r3(), |x| {
            x[0].slice_axis(-1, 1, -1, 2).sin()
        }),
        row("slice_axis(2, -4, 10, 3)", &[Any], r3(), |x| {
            x[0].slice_axis(2, -4, 10, 3).sin()
        }),
        row("slice_axis(0, 1, 2, 1)", &[Any], r3(), |x| {
            x[0].slice_axis(0, 1, 2, 1).sin()
        }),
        row("slice of slice", &[Any], r3(), |x| {
            x[0].slice_axis(2, 0, 4, 2).slice_axis(1, 1, 3, 1).sin()
        }),
        row("narrow(2, 1, 2)", &[Any], r3(), |x| {
            x[0].narrow(2, 1, 2).sin()
        }),
        row("narrow(0, 1, 1)", &[Any], r3(), |x| {
            x[0].narrow(0, 1, 1).sin()
        }),
        row("pad [(1,2),(0,1),(2,0)] value 0.7", &[Any], r3(), |x| {
            x[0].pad(&[(1, 2), (0, 1), (2, 0)], 0.7).sin()
        }),
        row("pad rank 2", &[Any], rank2_vars(&[3, 4]), |x| {
            x[0].pad(&[(0, 2), (3, 1)], -1.0).sin()
        }),
        row(
            "concat axis 1 (three parts)",
            &[Any, Any, Any],
            vec![
                var(&[(&[2, 3, 4], C), (&[2, 1, 4], C), (&[2, 2, 4], C)]),
                var(&[(&[2, 3, 4], T), (&[2, 1, 4], S), (&[2, 2, 4], T)]),
            ],
            |x| Tensor::concat(&[x[0].clone(), x[1].clone(), x[2].clone()], 1).sin(),
        ),
        row(
            "concat axis -1",
            &[Any, Any],
            vec![
                var(&[(&[3, 4], C), (&[3, 2], C)]),
                var(&[(&[3, 4], T), (&[3, 2], S)]),
                var(&[(&[3, 4], B), (&[3, 2], T)]),
            ],
            |x| Tensor::concat(&[x[0].clone(), x[1].clone()], -1).sin(),
        ),
        row(
            "concat same tensor twice",
            &[Any],
            rank2_vars(&[3, 4]),
            |x| Tensor::concat(&[x[0].clone(), x[0].sin()], 0).sin(),
        ),
        row(
            "stack axis 0",
            &[Any, Any],
            vec![
                var(&[(&[3, 4], C), (&[3, 4], C)]),
                var(&[(&[3, 4], T), (&[3, 4], S)]),
            ],
            |x| Tensor::stack(&[x[0].clone(), x[1].clone()], 0).sin(),
        ),
        row(
            "stack axis -1",
            &[Any, Any],
            vec![
                var(&[(&[3, 4], C), (&[3, 4], C)]),
                var(&[(&[3, 4], S), (&[3, 4], B)]),
            ],
            |x| Tensor::stack(&[x[0].clone(), x[1].clone()], -1).sin(),
        ),
        row("unsqueeze(1)", &[Any], r3(), |x| x[0].unsqueeze(1).sin()),
        row("unsqueeze(-1)", &[Any], r3(), |x| x[0].unsqueeze(-1).sin()),
        row(
            "squeeze(1)",
            &[Any],
            vec![
                var(&[(&[3, 1, 4], C)]),
                var(&[(&[3, 1, 4], S)]),
                var(&[(&[3, 1, 4], B)]),
            ],
            |x| x[0].squeeze(1).sin(),
        ),
        row("squeeze(-1) of unsqueeze(-1)", &[Any], r3(), |x| {
            x[0].unsqueeze(-1).squeeze(-1).sin()
        }),
    ];
    assert_rows("shape", rows);
}

#[test]
fn grads_indexing() {
    use Dom::*;
    let idx0 = Tensor::from_vec(vec![2i64, 0, 2, 1, 2], &[5]);
    let idx1 = Tensor::from_vec(vec![3i64, 3, 0], &[3]);
    let idx_scatter = Tensor::from_vec(vec![1i64, 1, 0, 2, 1], &[5]);
    let idx_scatter1 = Tensor::from_vec(vec![2i64, 0, 2, 2], &[4]);
    let labels = Tensor::from_vec(vec![3i64, 0, 3], &[3]);
    let (i0, i1, i2, is0, is1, lab) = (
        idx0.clone(),
        idx1.clone(),
        idx1.clone(),
        idx_scatter.clone(),
        idx_scatter1.clone(),
        labels.clone(),
    );
    let rows = vec![
        row(
            "index_select axis 0, repeated",
            &[Any],
            rank2_vars(&[3, 4]),
            move |x| x[0].index_select(0, &i0).sin(),
        ),
        row(
            "index_select axis 1, repeated",
            &[Any],
            rank2_vars(&[3, 4]),
            move |x| x[0].index_select(1, &i1).sin(),
        ),
        row(
            "index_select axis -1 (rank 3)",
            &[Any],
            rank3_vars(),
            move |x| x[0].index_select(-1, &i2).sin(),
        ),
        row(
            "scatter_add axis 0, repeated",
            &[Any, Any],
            vec![
                var(&[(&[3, 4], C), (&[5, 4], C)]),
                var(&[(&[3, 4], T), (&[5, 4], S)]),
                var(&[(&[3, 4], S), (&[5, 4], T)]),
                var(&[(&[3, 4], B), (&[5, 4], B)]),
            ],
            move |x| x[0].scatter_add(0, &is0, &x[1]).sin(),
        ),
        row(
            "scatter_add axis 1, repeated",
            &[Any, Any],
            vec![
                var(&[(&[2, 3], C), (&[2, 4], C)]),
                var(&[(&[2, 3], T), (&[2, 4], T)]),
                var(&[(&[2, 3], S), (&[2, 4], S)]),
            ],
            move |x| x[0].scatter_add(1, &is1, &x[1]).sin(),
        ),
        row(
            "one_hot (constant) * x",
            &[Any],
            rank2_vars(&[3, 4]),
            move |x| {
                (&x[0] * &lab.one_hot(4, DType::F64))
                    .sum_axes(&[-1], false)
                    .sin()
            },
        ),
    ];
    assert_rows("indexing", rows);
}

#[test]
fn grads_matmul() {
    use Dom::*;
    let mm = |x: &[Tensor]| x[0].matmul(&x[1]);
    let rows = vec![
        row(
            "matmul 2-D",
            &[Any, Any],
            vec![
                var(&[(&[3, 4], C), (&[4, 5], C)]),
                var(&[(&[3, 4], T), (&[4, 5], T)]),
                var(&[(&[3, 4], S), (&[4, 5], S)]),
                var(&[(&[3, 4], B), (&[4, 5], T)]),
                var(&[(&[3, 4], T), (&[4, 5], B)]),
            ],
            mm,
        ),
        row(
            "matmul batched",
            &[Any, Any],
            vec![
                var(&[(&[2, 3, 4], C), (&[2, 4, 5], C)]),
                var(&[(&[2, 3, 4], T), (&[2, 4, 5], S)]),
                var(&[(&[2, 3, 4], B), (&[2, 4, 5], T)]),
            ],
            mm,
        ),
        row(
            "matmul broadcast batch dims",
            &[Any, Any],
            vec![
                var(&[(&[2, 1, 3, 4], C), (&[5, 4, 2], C)]),
                var(&[(&[2, 1, 3, 4], T), (&[5, 4, 2], S)]),
                var(&[(&[3, 4], C), (&[2, 4, 2], C)]),
                var(&[(&[2, 3, 4], S), (&[4, 2], T)]),
            ],
            mm,
        ),
        row(
            "matmul vector-matrix",
            &[Any, Any],
            vec![
                var(&[(&[4], C), (&[4, 5], C)]),
                var(&[(&[4], S), (&[4, 5], T)]),
                var(&[(&[4], C), (&[2, 4, 5], C)]),
            ],
            mm,
        ),
        row(
            "matmul matrix-vector",
            &[Any, Any],
            vec![
                var(&[(&[3, 4], C), (&[4], C)]),
                var(&[(&[3, 4], T), (&[4], S)]),
                var(&[(&[2, 3, 4], C), (&[4], C)]),
            ],
            mm,
        ),
        row(
            "matmul vector-vector",
            &[Any, Any],
            vec![var(&[(&[4], C), (&[4], C)]), var(&[(&[4], S), (&[4], S)])],
            mm,
        ),
        row(
            "matmul then sin (nonlinear)",
            &[Any, Any],
            vec![
                var(&[(&[3, 4], C), (&[4, 2], C)]),
                var(&[(&[3, 4], T), (&[4, 2], S)]),
            ],
            |x| x[0].matmul(&x[1]).sin(),
        ),
        row("x @ x.t()", &[Any], rank2_vars(&[3, 4]), |x| {
            x[0].matmul(&x[0].t())
        }),
    ];
    assert_rows("matmul", rows);
}

#[test]
fn grads_cast() {
    use Dom::*;
    // Through f32 the finite differences see f32 rounding: a larger step and looser tolerance.
    let f32_opts = CheckOptions {
        eps: 1e-3,
        atol: 2e-3,
        rtol: 2e-3,
        seed: 0,
    };
    let mut through_f32 = row("cast f64->f32 -> sin -> f64", &[Any], unary_vars(), |x| {
        x[0].cast(DType::F32).sin().cast(DType::F64)
    });
    through_f32.opts = f32_opts;
    let mut round_trip = row("cast f64->f32->f64 * x", &[Any], unary_vars(), |x| {
        x[0].cast(DType::F32).cast(DType::F64) * &x[0]
    });
    round_trip.opts = f32_opts;
    let rows = vec![
        row("cast f64->f64 (no-op)", &[Any], unary_vars(), |x| {
            x[0].cast(DType::F64).sin()
        }),
        through_f32,
        round_trip,
        // Casting to i64 has no derivative: only the second factor contributes.
        row("cast f64->i64->f64 * x", &[FracLo], unary_vars(), |x| {
            x[0].cast(DType::I64).cast(DType::F64) * &x[0]
        }),
        row(
            "cast f64->bool->f64 * sin x",
            &[AwayZero],
            unary_vars(),
            |x| x[0].cast(DType::Bool).cast(DType::F64) * x[0].sin(),
        ),
    ];
    assert_rows("cast", rows);
}

#[test]
fn grads_edge_cases() {
    use Dom::*;
    let rows = vec![
        row("identity (returns its input)", &[Any], unary_vars(), |x| {
            x[0].clone()
        }),
        row(
            "reshape to the same shape",
            &[Any],
            rank2_vars(&[3, 4]),
            |x| x[0].reshape(&[3, 4]),
        ),
        row("one input unused", &[Any, Any], binary_vars(), |x| {
            x[0].sin()
        }),
        row("constant output", &[Any], unary_vars(), |x| {
            x[0].zeros_like() + 1.0
        }),
        row("empty slice", &[Any], rank2_vars(&[3, 4]), |x| {
            x[0].slice_axis(0, 2, 1, 1).sin()
        }),
        row("empty slice, summed", &[Any], rank2_vars(&[3, 4]), |x| {
            x[0].slice_axis(1, 3, 0, 1).sum() + x[0].sin().sum()
        }),
        row("long chain", &[Small], unary_vars(), |x| {
            let mut y = x[0].clone();
            for _ in 0..8 {
                y = (y.sin() * 0.9 + &x[0] * 0.1).tanh();
            }
            y
        }),
    ];
    assert_rows("edge cases", rows);
}

/// Third-order checks for rules whose derivatives are themselves nontrivial graphs.
#[test]
fn grads_third_order() {
    use Dom::*;
    let vars = || vec![var(&[(&[3, 4], C)]), var(&[(&[3, 4], T)]), var(&[(&[], C)])];
    let bvars = || {
        vec![
            var(&[(&[3, 4], C), (&[3, 4], S)]),
            var(&[(&[3, 1], C), (&[4], C)]),
        ]
    };
    let mut rows = vec![
        row("tan", &[Small], vars(), |x| x[0].tan()),
        row("sqrt", &[Pos], vars(), |x| x[0].sqrt()),
        row("acos", &[Unit], vars(), |x| x[0].acos()),
        row("acosh", &[Gt1], vars(), |x| x[0].acosh()),
        row("erf", &[Any], vars(), |x| x[0].erf()),
        row("erfc", &[Any], vars(), |x| x[0].erfc()),
        row("expm1", &[Any], vars(), |x| x[0].expm1()),
        row("div", &[Any, AwayZero], bvars(), |x| &x[0] / &x[1]),
        row("pow", &[Pos, Any], bvars(), |x| x[0].pow(&x[1])),
        row("atan2", &[Any, AwayZero], bvars(), |x| x[0].atan2(&x[1])),
        row("maximum * a", &[FracLo, FracHi], bvars(), |x| {
            x[0].maximum(&x[1]) * &x[0]
        }),
        row("where_ branches", &[FracLo, FracHi], bvars(), |x| {
            where_(&x[0].gt(&x[1]), &x[0].sin(), &x[1].exp())
        }),
        row(
            "max_axes [1] squared",
            &[Distinct],
            vec![var(&[(&[3, 4], C)]), var(&[(&[3, 4], T)])],
            |x| x[0].max_axes(&[1], false).square(),
        ),
        row(
            "softmax",
            &[Any],
            vec![var(&[(&[3, 4], C)]), var(&[(&[3, 4], S)])],
            |x| x[0].softmax(-1),
        ),
        row(
            "logsumexp",
            &[Any],
            vec![var(&[(&[3, 4], C)]), var(&[(&[3, 4], T)])],
            |x| x[0].logsumexp(&[0], false),
        ),
        row(
            "matmul then sin",
            &[Any, Any],
            vec![var(&[(&[3, 4], C), (&[4, 2], T)])],
            |x| x[0].matmul(&x[1]).sin(),
        ),
        row("gelu_tanh", &[Any], vars(), |x| x[0].gelu_tanh()),
        row(
            "pad/slice then cube",
            &[Any],
            vec![var(&[(&[3, 4], S)])],
            |x| {
                x[0].pad(&[(1, 0), (0, 2)], 0.5)
                    .slice_axis(1, 0, 6, 2)
                    .powf(3.0)
            },
        ),
        row(
            "index_select/scatter_add then cube",
            &[Any],
            vec![var(&[(&[3, 4], T)])],
            |x| {
                let i = Tensor::from_vec(vec![2i64, 0, 2], &[3]);
                let g = x[0].index_select(0, &i);
                x[0].scatter_add(0, &i, &g.powf(3.0))
            },
        ),
    ];
    for r in &mut rows {
        r.order = 3;
        // Third-order finite differences of second derivatives: a slightly larger tolerance.
        r.opts.atol = 1e-5;
        r.opts.rtol = 1e-5;
    }
    assert_rows("third order", rows);
}

#[test]
fn grads_composites() {
    use Dom::*;
    let labels = Tensor::from_vec(vec![1i64, 4, 0, 4], &[4]);
    let lab = labels.clone();
    let rows = vec![
        row("relu", &[AwayZero], unary_vars(), |x| x[0].relu()),
        row("relu * x", &[AwayZero], unary_vars(), |x| {
            x[0].relu() * &x[0]
        }),
        row("gelu", &[Any], unary_vars(), |x| x[0].gelu()),
        row("gelu_tanh", &[Any], unary_vars(), |x| x[0].gelu_tanh()),
        row("sigmoid", &[Any], unary_vars(), |x| x[0].sigmoid()),
        row("softplus", &[AwayZero], unary_vars(), |x| x[0].softplus()),
        row("square", &[Any], unary_vars(), |x| x[0].square()),
        row("recip", &[AwayZero], unary_vars(), |x| x[0].recip()),
        row("logsumexp [1]", &[Any], rank3_vars(), |x| {
            x[0].logsumexp(&[1], false)
        }),
        row("logsumexp [-1] keepdim", &[Any], rank3_vars(), |x| {
            x[0].logsumexp(&[-1], true)
        }),
        row("logsumexp [0,2]", &[Any], rank3_vars(), |x| {
            x[0].logsumexp(&[0, 2], false)
        }),
        row("softmax(-1)", &[Any], rank3_vars(), |x| x[0].softmax(-1)),
        row("softmax(0)", &[Any], rank2_vars(&[3, 4]), |x| {
            x[0].softmax(0)
        }),
        row("log_softmax(1)", &[Any], rank3_vars(), |x| {
            x[0].log_softmax(1)
        }),
        row("log_softmax(-1)", &[Any], rank2_vars(&[3, 4]), |x| {
            x[0].log_softmax(-1)
        }),
        row(
            "cross_entropy (i64 labels)",
            &[Any],
            rank2_vars(&[4, 5]),
            move |x| x[0].cross_entropy(&lab),
        ),
        row(
            "mse",
            &[Any, Any],
            vec![
                var(&[(&[3, 4], C), (&[3, 4], C)]),
                var(&[(&[3, 4], T), (&[3, 4], S)]),
                var(&[(&[3, 4], C), (&[4], C)]),
                var(&[(&[3, 4], B), (&[], C)]),
            ],
            |x| x[0].mse(&x[1]),
        ),
        row(
            "mlp: softmax(gelu(x @ w) @ v)",
            &[Any, Any, Any],
            vec![
                var(&[(&[3, 4], C), (&[4, 5], C), (&[5, 2], C)]),
                var(&[(&[3, 4], T), (&[4, 5], S), (&[5, 2], T)]),
            ],
            |x| x[0].matmul(&x[1]).gelu().matmul(&x[2]).softmax(-1),
        ),
    ];
    assert_rows("composites", rows);
}

// ---------------------------------------------------------------------------------------------
// Zero derivatives, ties, and branch selection, checked explicitly
// ---------------------------------------------------------------------------------------------

fn all_zero(t: &Tensor) -> bool {
    t.to_f64_vec().iter().all(|&v| v == 0.0)
}

#[test]
fn piecewise_constant_zero_derivatives() {
    type Op = fn(&Tensor) -> Tensor;
    let x = Tensor::from_vec(vec![-2.7, -1.2, -0.4, 0.3, 0.8, 1.6, 2.2, 3.9], &[2, 4]);
    let xs = [x.clone(), x.t(), x.slice_axis(1, 0, 4, 2)];
    let ops: [(&str, Op, Ref1); 6] = [
        ("sign", |t| t.sign(), |v: f64| v.signum()),
        ("floor", |t| t.floor(), f64::floor),
        ("round", |t| t.round(), f64::round_ties_even),
        (
            "cast i64 -> f64",
            |t| t.cast(DType::I64).cast(DType::F64),
            f64::trunc,
        ),
        (
            "cast bool -> f64",
            |t| t.cast(DType::Bool).cast(DType::F64),
            |v: f64| (v != 0.0) as u8 as f64,
        ),
        (
            "sign(floor)",
            |t| t.floor().sign(),
            |v: f64| {
                if v.floor() == 0.0 {
                    0.0
                } else {
                    v.floor().signum()
                }
            },
        ),
    ];
    let mut failures = Vec::new();
    for (name, op, reference) in ops {
        for (k, x) in xs.iter().enumerate() {
            let here = format!("{name} (input {k})");
            let want: Vec<f64> = x.to_vec::<f64>().iter().map(|&v| reference(v)).collect();
            if let Err(e) = close(&op(x).to_vec::<f64>(), &want, 1e-12) {
                failures.push(format!("{here}: value: {e}"));
            }
            let v = Tensor::randn(x.dims(), 5, DType::F64);
            let (y, t) = jvp(|a| op(&a[0]), std::slice::from_ref(x), &[v]);
            if t.dims() != y.dims() || !all_zero(&t) {
                failures.push(format!("{here}: jvp not zero: {:?}", t.to_f64_vec()));
            }
            let (y, pb) = vjp(|a| op(&a[0]), std::slice::from_ref(x));
            let g = pb.call(&Tensor::randn(y.dims(), 6, DType::F64));
            if g[0].dims() != x.dims() || !all_zero(&g[0]) {
                failures.push(format!("{here}: vjp not zero: {:?}", g[0].to_f64_vec()));
            }
            // d/dx [op(x) * x] = op(x): the zero derivative must not break the product rule.
            let g = grad_n(|a: &[Tensor]| (op(&a[0]) * &a[0]).sum())(std::slice::from_ref(x));
            if let Err(e) = close(&g[0].to_vec::<f64>(), &want, 1e-12) {
                failures.push(format!("{here}: grad of op(x)*x: {e}"));
            }
        }
    }
    // Comparisons and casts to non-float dtypes: the outputs are not float, the tangent is zero.
    type Cmp = fn(&Tensor, &Tensor) -> Tensor;
    let cmps: [(&str, Cmp); 6] = [
        ("eq", |a, b| a.eq(b)),
        ("ne", |a, b| a.ne(b)),
        ("lt", |a, b| a.lt(b)),
        ("le", |a, b| a.le(b)),
        ("gt", |a, b| a.gt(b)),
        ("ge", |a, b| a.ge(b)),
    ];
    let a = Tensor::from_vec(vec![1.0, 2.0, 3.0, -1.0], &[4]);
    let b = Tensor::from_vec(vec![2.0, 2.0, 1.0, -1.0], &[4]);
    let ta = Tensor::from_vec(vec![0.3, -1.0, 2.0, 0.5], &[4]);
    let tb = Tensor::from_vec(vec![1.0, 0.7, -0.2, 4.0], &[4]);
    for (name, cmp) in cmps {
        let (y, t) = jvp(
            |x| cmp(&x[0], &x[1]),
            &[a.clone(), b.clone()],
            &[ta.clone(), tb.clone()],
        );
        if y.dtype() != DType::Bool || !all_zero(&t) {
            failures.push(format!(
                "{name}: expected a bool output and zero tangent, got {} and {:?}",
                y.dtype(),
                t.to_f64_vec()
            ));
        }
        let mask: Vec<f64> = y.to_f64_vec();
        let g = grad_n(|x: &[Tensor]| (cmp(&x[0], &x[1]).cast(DType::F64) * &x[0] * 3.0).sum())(&[
            a.clone(),
            b.clone(),
        ]);
        let want: Vec<f64> = mask.iter().map(|m| 3.0 * m).collect();
        if let Err(e) = close(&g[0].to_vec::<f64>(), &want, 1e-12) {
            failures.push(format!("{name}: grad wrt a: {e}"));
        }
        if !all_zero(&g[1]) {
            failures.push(format!(
                "{name}: grad wrt b not zero: {:?}",
                g[1].to_f64_vec()
            ));
        }
    }
    for dt in [DType::I64, DType::Bool] {
        let (y, t) = jvp(|x| x[0].cast(dt), &[a.clone()], &[ta.clone()]);
        if y.dtype() != dt || !all_zero(&t) {
            failures.push(format!("cast to {dt}: tangent {:?}", t.to_f64_vec()));
        }
    }
    // A function of x that only depends on it through comparisons has zero gradient.
    let g = grad_n(|x: &[Tensor]| {
        x[0].gt(&Tensor::scalar(0.0))
            .select(&Tensor::scalar(2.0), &Tensor::scalar(-1.0))
            .sum()
    })(&[a.clone()]);
    if !all_zero(&g[0]) {
        failures.push(format!("select of constants: grad {:?}", g[0].to_f64_vec()));
    }
    assert_no_failures("piecewise constant", failures);
}

#[test]
fn ties_split_evenly() {
    let mut failures = Vec::new();
    let mut check = |name: &str, got: &Tensor, want: &[f64]| {
        if let Err(e) = close(&got.to_vec::<f64>(), want, 1e-12) {
            failures.push(format!("{name}: {e}"));
        }
    };
    // max_axes: per row, the gradient is shared among the positions holding the maximum.
    let x = Tensor::from_vec(vec![1.0, 3.0, 3.0, 2.0, 2.0, 2.0, 5.0, -1.0, 0.0], &[3, 3]);
    let g = grad_n(|a: &[Tensor]| a[0].max_axes(&[1], false).sum())(&[x.clone()]);
    let third = 1.0 / 3.0;
    check(
        "max_axes [1]",
        &g[0],
        &[0.0, 0.5, 0.5, third, third, third, 1.0, 0.0, 0.0],
    );
    // Through a non-contiguous view of the same values.
    let xt = Tensor::from_vec(vec![1.0, 2.0, 5.0, 3.0, 2.0, -1.0, 3.0, 2.0, 0.0], &[3, 3]).t();
    assert!(!xt.is_contiguous());
    let g = grad_n(|a: &[Tensor]| a[0].max_axes(&[1], false).sum())(&[xt]);
    check(
        "max_axes [1] of a transposed view",
        &g[0],
        &[0.0, 0.5, 0.5, third, third, third, 1.0, 0.0, 0.0],
    );
    let g = grad_n(|a: &[Tensor]| a[0].max_axes(&[0], true).sum())(&[x.clone()]);
    check(
        "max_axes [0] keepdim",
        &g[0],
        &[0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0],
    );
    let y = Tensor::from_vec(vec![1.0, 3.0, 3.0, 2.0], &[4]);
    let g = grad_n(|a: &[Tensor]| a[0].max())(&[y.clone()]);
    check("max", &g[0], &[0.0, 0.5, 0.5, 0.0]);
    let (_, t) = jvp(
        |a| a[0].max(),
        &[y.clone()],
        &[Tensor::from_vec(vec![10.0, 1.0, 2.0, 30.0], &[4])],
    );
    check("max jvp (mean of tied tangents)", &t, &[1.5]);
    // Second order through ties: d²/dx² of max(x)² at ties.
    let g = grad_n(|a: &[Tensor]| a[0].max().square())(&[y.clone()]);
    check("max^2", &g[0], &[0.0, 3.0, 3.0, 0.0]);
    // Elementwise maximum/minimum: ties split 1/2 each.
    let a = Tensor::from_vec(vec![1.0, 2.0, 3.0, -4.0], &[4]);
    let b = Tensor::from_vec(vec![1.0, 0.0, 3.0, -2.0], &[4]);
    let g = grad_n(|x: &[Tensor]| x[0].maximum(&x[1]).sum())(&[a.clone(), b.clone()]);
    check("maximum da", &g[0], &[0.5, 1.0, 0.5, 0.0]);
    check("maximum db", &g[1], &[0.5, 0.0, 0.5, 1.0]);
    let g = grad_n(|x: &[Tensor]| x[0].minimum(&x[1]).sum())(&[a.clone(), b.clone()]);
    check("minimum da", &g[0], &[0.5, 0.0, 0.5, 1.0]);
    check("minimum db", &g[1], &[0.5, 1.0, 0.5, 0.0]);
    let (_, t) = jvp(
        |x| x[0].maximum(&x[1]),
        &[a.clone(), b.clone()],
        &[
            Tensor::ones(&[4], DType::F64),
            Tensor::full(&[4], 3.0, DType::F64),
        ],
    );
    check("maximum jvp", &t, &[2.0, 1.0, 2.0, 3.0]);
    // maximum(x, x): both halves come back to x.
    let g = grad_n(|x: &[Tensor]| x[0].maximum(&x[0]).sum())(&[a.clone()]);
    check("maximum(x, x)", &g[0], &[1.0; 4]);
    // relu at 0: derivative 0; abs at 0: derivative 1 (both as JAX).
    let z = Tensor::from_vec(vec![0.0, -1.0, 2.0], &[3]);
    let g = grad_n(|x: &[Tensor]| x[0].relu().sum())(&[z.clone()]);
    check("relu at 0", &g[0], &[0.0, 0.0, 1.0]);
    let g = grad_n(|x: &[Tensor]| x[0].abs().sum())(&[z.clone()]);
    check("abs at 0", &g[0], &[1.0, -1.0, 1.0]);
    // pow: d/db 0^b = 0; d/da a^0 at a = 0 is 0·0⁻¹ = NaN (JAX's unguarded rule).
    let g = grad_n(|x: &[Tensor]| x[0].pow(&x[1]).sum())(&[
        Tensor::from_vec(vec![0.0, 2.0], &[2]),
        Tensor::from_vec(vec![0.0, 3.0], &[2]),
    ]);
    let da = g[0].to_vec::<f64>();
    assert!(da[0].is_nan() && da[1] == 12.0, "pow da at b=0: {da:?}");
    check("pow db at a=0", &g[1], &[0.0, 8.0 * 2f64.ln()]);
    assert_no_failures("ties", failures);
}

#[test]
fn select_gradient_flows_to_chosen_branch() {
    let mut failures = Vec::new();
    let mut check = |name: &str, got: &Tensor, want: &[f64]| {
        if let Err(e) = close(&got.to_vec::<f64>(), want, 1e-12) {
            failures.push(format!("{name}: {e}"));
        }
    };
    let c = Tensor::from_vec(vec![true, false, false, true, true, false], &[2, 3]);
    let a = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    let b = Tensor::from_vec(vec![-1.0, -2.0, -3.0, -4.0, -5.0, -6.0], &[2, 3]);
    let cm: Vec<f64> = c.to_f64_vec();
    let g = grad_n(|x: &[Tensor]| where_(&c, &x[0], &x[1]).sum())(&[a.clone(), b.clone()]);
    check("where_ da", &g[0], &cm);
    check(
        "where_ db",
        &g[1],
        &cm.iter().map(|m| 1.0 - m).collect::<Vec<_>>(),
    );
    // Nonlinear branches: d/da = 2a where chosen, d/db = cos b elsewhere.
    let g =
        grad_n(|x: &[Tensor]| c.select(&x[0].square(), &x[1].sin()).sum())(&[a.clone(), b.clone()]);
    let av = a.to_vec::<f64>();
    let bv = b.to_vec::<f64>();
    check(
        "select(a^2, sin b) da",
        &g[0],
        &(0..6).map(|i| cm[i] * 2.0 * av[i]).collect::<Vec<_>>(),
    );
    check(
        "select(a^2, sin b) db",
        &g[1],
        &(0..6)
            .map(|i| (1.0 - cm[i]) * bv[i].cos())
            .collect::<Vec<_>>(),
    );
    // Broadcasting: cond [2,1], a [2,3], b rank 0 -> b's gradient sums over unchosen positions.
    let c2 = Tensor::from_vec(vec![true, false], &[2, 1]);
    let g = grad_n(|x: &[Tensor]| c2.select(&x[0], &x[1]).sum())(&[a.clone(), Tensor::scalar(0.5)]);
    check(
        "broadcast select da",
        &g[0],
        &[1.0, 1.0, 1.0, 0.0, 0.0, 0.0],
    );
    check("broadcast select db", &g[1], &[3.0]);
    // jvp: the tangent of the chosen branch.
    let (y, t) = jvp(
        |x| c.select(&x[0], &x[1]),
        &[a.clone(), b.clone()],
        &[
            Tensor::full(&[2, 3], 10.0, DType::F64),
            Tensor::full(&[2, 3], -7.0, DType::F64),
        ],
    );
    check(
        "select value",
        &y,
        &(0..6)
            .map(|i| if cm[i] == 1.0 { av[i] } else { bv[i] })
            .collect::<Vec<_>>(),
    );
    check(
        "select jvp",
        &t,
        &cm.iter()
            .map(|&m| if m == 1.0 { 10.0 } else { -7.0 })
            .collect::<Vec<_>>(),
    );
    assert_no_failures("select", failures);
}

// ---------------------------------------------------------------------------------------------
// Values against known answers (f64, tolerance 1e-12)
// ---------------------------------------------------------------------------------------------

const TOL: f64 = 1e-12;

/// Compare `got` with `want` and record a failure under `name`.
fn expect(failures: &mut Vec<String>, name: &str, got: &Tensor, want: &[f64]) {
    if let Err(e) = close(&got.to_f64_vec(), want, TOL) {
        failures.push(format!("{name}: {e}"));
    }
}

fn expect_dims(failures: &mut Vec<String>, name: &str, got: &Tensor, dims: &[usize]) {
    if got.dims() != dims {
        failures.push(format!("{name}: dims {:?}, want {dims:?}", got.dims()));
    }
}

fn t1(v: &[f64]) -> Tensor {
    Tensor::from_vec(v.to_vec(), &[v.len()])
}

#[test]
fn values_unary() {
    type Op = fn(&Tensor) -> Tensor;
    let any: &[f64] = &[-2.5, -0.7, -0.0, 0.0, 0.3, 1.0, 4.0];
    let pos: &[f64] = &[0.1, 0.5, 1.0, 2.0, 10.0, 1e-300];
    let unit: &[f64] = &[-0.9, -0.5, 0.0, 0.25, 0.99];
    let gt1: &[f64] = &[1.0, 1.5, 3.0, 1e6];
    let table: Vec<(&str, Op, &[f64], Ref1)> = vec![
        ("neg", |x| -x, any, |v| -v),
        ("try_neg", |x| x.try_neg().unwrap(), any, |v| -v),
        ("exp", |x| x.exp(), any, f64::exp),
        ("log", |x| x.log(), pos, f64::ln),
        ("sin", |x| x.sin(), any, f64::sin),
        ("cos", |x| x.cos(), any, f64::cos),
        ("tan", |x| x.tan(), any, f64::tan),
        ("asin", |x| x.asin(), unit, f64::asin),
        ("acos", |x| x.acos(), unit, f64::acos),
        ("atan", |x| x.atan(), any, f64::atan),
        ("sinh", |x| x.sinh(), any, f64::sinh),
        ("cosh", |x| x.cosh(), any, f64::cosh),
        ("tanh", |x| x.tanh(), any, f64::tanh),
        ("asinh", |x| x.asinh(), any, f64::asinh),
        ("acosh", |x| x.acosh(), gt1, f64::acosh),
        ("atanh", |x| x.atanh(), unit, f64::atanh),
        ("sqrt", |x| x.sqrt(), pos, f64::sqrt),
        (
            "expm1",
            |x| x.expm1(),
            &[-1e-10, 1e-5, 0.5, -2.0],
            f64::exp_m1,
        ),
        ("log1p", |x| x.log1p(), &[-0.5, 1e-10, 3.0, 0.0], f64::ln_1p),
        ("abs", |x| x.abs(), any, f64::abs),
        (
            "sign",
            |x| x.sign(),
            &[-2.0, -1e-300, 0.0, 3.0],
            |v| {
                if v == 0.0 {
                    0.0
                } else {
                    v.signum()
                }
            },
        ),
        (
            "floor",
            |x| x.floor(),
            &[-1.5, -0.5, 0.5, 2.0, 2.7],
            f64::floor,
        ),
        (
            "round",
            |x| x.round(),
            &[0.5, 1.5, 2.5, -0.5, -1.5, 2.4, -2.6, 3.5],
            f64::round_ties_even,
        ),
        ("recip", |x| x.recip(), &[-4.0, 0.5, 3.0, 1e-3], |v| 1.0 / v),
        ("square", |x| x.square(), any, |v| v * v),
        ("relu", |x| x.relu(), any, |v| v.max(0.0)),
        (
            "sigmoid",
            |x| x.sigmoid(),
            &[-3.0, 0.0, 0.5, 2.0, 20.0],
            |v| 1.0 / (1.0 + (-v).exp()),
        ),
        (
            "softplus",
            |x| x.softplus(),
            &[-3.0, 0.0, 1.0, 30.0, -30.0],
            |v| v.exp().ln_1p(),
        ),
    ];
    let mut failures = Vec::new();
    for (name, op, xs, reference) in table {
        let want: Vec<f64> = xs.iter().map(|&v| reference(v)).collect();
        expect(&mut failures, name, &op(&t1(xs)), &want);
        // The same values through a non-contiguous (strided) input.
        let mut spread = Vec::new();
        for &v in xs {
            spread.extend([v, 99.0]);
        }
        let strided = t1(&spread).slice_axis(0, 0, spread.len() as isize, 2);
        assert!(!strided.is_contiguous());
        expect(
            &mut failures,
            &format!("{name} (strided)"),
            &op(&strided),
            &want,
        );
        // And a rank-0 tensor.
        let s = op(&Tensor::scalar(xs[0]));
        expect_dims(&mut failures, &format!("{name} (rank 0) dims"), &s, &[]);
        expect(&mut failures, &format!("{name} (rank 0)"), &s, &want[..1]);
    }
    // Literal values (no std function).
    let lit: Vec<(&str, Op, Vec<f64>, Vec<f64>)> = vec![
        (
            "erf",
            |x| x.erf(),
            vec![0.5, 1.0, -2.0, 0.1, 0.0],
            vec![
                0.5204998778130465,
                0.8427007929497149,
                -0.9953222650189527,
                0.1124629160182849,
                0.0,
            ],
        ),
        (
            "erfc (tails kept: no 1 - erf cancellation)",
            |x| x.erfc(),
            vec![0.5, 1.0, -2.0, 0.1, 0.0, 5.0, 10.0],
            vec![
                0.4795001221869535,
                0.15729920705028513,
                1.9953222650189528,
                0.8875370839817152,
                1.0,
                1.5374597944280351e-12,
                2.088487583762545e-45,
            ],
        ),
        (
            "gelu",
            |x| x.gelu(),
            vec![1.0, -0.5, 2.0, 0.0],
            vec![
                0.8413447460685429,
                -0.15426876936299344,
                1.9544997361036416,
                0.0,
            ],
        ),
        (
            "gelu_tanh",
            |x| x.gelu_tanh(),
            vec![1.0, -0.5, 2.0, 0.0],
            vec![
                0.8411919906082767,
                -0.15428599017485609,
                1.954597694087775,
                0.0,
            ],
        ),
        (
            "sigmoid extremes",
            |x| x.sigmoid(),
            vec![-1000.0, 1000.0, 0.5, -2.0],
            vec![0.0, 1.0, 0.6224593312018546, 0.11920292202211756],
        ),
        (
            "softplus extremes",
            |x| x.softplus(),
            vec![1000.0, -1000.0, 1.0, -3.0, 30.0],
            vec![
                1000.0,
                0.0,
                1.3132616875182228,
                0.04858735157374206,
                30.000000000000092,
            ],
        ),
        (
            "special values",
            |x| x.log(),
            vec![0.0, f64::INFINITY, -1.0],
            vec![f64::NEG_INFINITY, f64::INFINITY, f64::NAN],
        ),
        (
            "sign of NaN",
            |x| x.sign(),
            vec![f64::NAN, f64::NEG_INFINITY],
            vec![f64::NAN, -1.0],
        ),
        (
            "sqrt special",
            |x| x.sqrt(),
            vec![0.0, 4.0, -1.0],
            vec![0.0, 2.0, f64::NAN],
        ),
    ];
    for (name, op, xs, want) in lit {
        expect(&mut failures, name, &op(&t1(&xs)), &want);
    }
    assert_no_failures("unary values", failures);
}

#[test]
fn values_binary() {
    type Op = fn(&Tensor, &Tensor) -> Tensor;
    let a = [-2.5, -0.7, 0.0, 0.3, 1.0, 4.0, 2.0, -3.0];
    let b = [1.5, -0.7, 2.0, -3.0, 1.0, 0.25, -0.5, -3.0];
    let table: Vec<(&str, Op, Ref2)> = vec![
        ("add", |x, y| x + y, |p, q| p + q),
        ("sub", |x, y| x - y, |p, q| p - q),
        ("mul", |x, y| x * y, |p, q| p * q),
        ("div", |x, y| x / y, |p, q| p / q),
        ("add (method)", |x, y| x.add(y), |p, q| p + q),
        ("sub (method)", |x, y| x.sub(y), |p, q| p - q),
        ("mul (method)", |x, y| x.mul(y), |p, q| p * q),
        ("div (method)", |x, y| x.div(y), |p, q| p / q),
        ("maximum", |x, y| x.maximum(y), f64::max),
        ("minimum", |x, y| x.minimum(y), f64::min),
        ("atan2", |x, y| x.atan2(y), f64::atan2),
        ("pow |a|", |x, y| x.abs().pow(y), |p, q| p.abs().powf(q)),
    ];
    let mut failures = Vec::new();
    let (ta, tb) = (t1(&a), t1(&b));
    for (name, op, reference) in &table {
        let want: Vec<f64> = a.iter().zip(&b).map(|(&p, &q)| reference(p, q)).collect();
        expect(&mut failures, name, &op(&ta, &tb), &want);
        // Owned operands whose buffers may be reused in place give the same values.
        let owned = op(&(t1(&a) * 1.0), &(t1(&b) * 1.0));
        expect(
            &mut failures,
            &format!("{name} (fresh buffers)"),
            &owned,
            &want,
        );
        // Broadcasting: [2,1,4] (+) [4] and [4] (+) rank 0, against index arithmetic.
        let x = Tensor::from_vec(a.to_vec(), &[2, 1, 4]);
        let y = Tensor::from_vec(b[..4].to_vec(), &[4]);
        let got = op(&x, &y);
        expect_dims(
            &mut failures,
            &format!("{name} broadcast dims"),
            &got,
            &[2, 1, 4],
        );
        let want: Vec<f64> = (0..8).map(|i| reference(a[i], b[i % 4])).collect();
        expect(
            &mut failures,
            &format!("{name} [2,1,4] with [4]"),
            &got,
            &want,
        );
        let x = Tensor::from_vec(a[..3].to_vec(), &[3, 1]);
        let y = Tensor::from_vec(b[..4].to_vec(), &[4]);
        let got = op(&x, &y);
        expect_dims(&mut failures, &format!("{name} outer dims"), &got, &[3, 4]);
        let want: Vec<f64> = (0..12).map(|i| reference(a[i / 4], b[i % 4])).collect();
        expect(
            &mut failures,
            &format!("{name} [3,1] with [4]"),
            &got,
            &want,
        );
        let got = op(&Tensor::scalar(a[5]), &tb);
        let want: Vec<f64> = b.iter().map(|&q| reference(a[5], q)).collect();
        expect(
            &mut failures,
            &format!("{name} rank 0 with [8]"),
            &got,
            &want,
        );
        let got = op(&ta, &Tensor::scalar(b[0]));
        let want: Vec<f64> = a.iter().map(|&p| reference(p, b[0])).collect();
        expect(
            &mut failures,
            &format!("{name} [8] with rank 0"),
            &got,
            &want,
        );
        // Non-contiguous operands.
        let at = Tensor::from_vec(a.to_vec(), &[2, 4]).t();
        let bt = Tensor::from_vec(b.to_vec(), &[2, 4]).t();
        let got = op(&at, &bt);
        let want: Vec<f64> = (0..8)
            .map(|i| {
                let k = (i % 2) * 4 + i / 2;
                reference(a[k], b[k])
            })
            .collect();
        expect(
            &mut failures,
            &format!("{name} transposed views"),
            &got,
            &want,
        );
    }
    // Broadcasting [3,1,4] with [5,4] -> [3,5,4].
    let x = Tensor::arange(0.0, 12.0, 1.0, DType::F64).reshape(&[3, 1, 4]);
    let y = Tensor::arange(0.0, 20.0, 1.0, DType::F64).reshape(&[5, 4]) * 100.0;
    let got = &x + &y;
    expect_dims(&mut failures, "[3,1,4] + [5,4] dims", &got, &[3, 5, 4]);
    let mut want = Vec::new();
    for i in 0..3 {
        for j in 0..5 {
            for k in 0..4 {
                want.push((i * 4 + k) as f64 + 100.0 * (j * 4 + k) as f64);
            }
        }
    }
    expect(&mut failures, "[3,1,4] + [5,4]", &got, &want);
    // Scalar operator forms.
    let x = t1(&[1.0, -2.0, 4.0]);
    expect(&mut failures, "x + 2", &(&x + 2.0), &[3.0, 0.0, 6.0]);
    expect(&mut failures, "2 + x", &(2.0 + &x), &[3.0, 0.0, 6.0]);
    expect(&mut failures, "x - 2", &(&x - 2.0), &[-1.0, -4.0, 2.0]);
    expect(&mut failures, "2 - x", &(2.0 - &x), &[1.0, 4.0, -2.0]);
    expect(&mut failures, "x * 3", &(&x * 3.0), &[3.0, -6.0, 12.0]);
    expect(&mut failures, "3 * x", &(3.0 * &x), &[3.0, -6.0, 12.0]);
    expect(&mut failures, "x / 4", &(&x / 4.0), &[0.25, -0.5, 1.0]);
    expect(&mut failures, "4 / x", &(4.0 / &x), &[4.0, -2.0, 1.0]);
    expect(&mut failures, "-x", &(-&x), &[-1.0, 2.0, -4.0]);
    expect(
        &mut failures,
        "-(owned x)",
        &(-x.clone()),
        &[-1.0, 2.0, -4.0],
    );
    expect(
        &mut failures,
        "owned 2 - x",
        &(2.0 - x.clone()),
        &[1.0, 4.0, -2.0],
    );
    expect(
        &mut failures,
        "owned x / 4",
        &(x.clone() / 4.0),
        &[0.25, -0.5, 1.0],
    );
    expect(&mut failures, "x.powf(2)", &x.powf(2.0), &[1.0, 4.0, 16.0]);
    expect(&mut failures, "x.powf(3)", &x.powf(3.0), &[1.0, -8.0, 64.0]);
    expect(
        &mut failures,
        "x.powf(0.5)",
        &t1(&[4.0, 2.0]).powf(0.5),
        &[2.0, 2f64.sqrt()],
    );
    expect(
        &mut failures,
        "pow special",
        &t1(&[0.0, 0.0, -2.0]).pow(&t1(&[0.0, 2.0, 0.5])),
        &[1.0, 0.0, f64::NAN],
    );
    expect(
        &mut failures,
        "maximum/minimum NaN",
        &Tensor::concat(
            &[
                t1(&[f64::NAN, 1.0]).maximum(&t1(&[1.0, f64::NAN])),
                t1(&[f64::NAN, 1.0]).minimum(&t1(&[1.0, f64::NAN])),
            ],
            0,
        ),
        &[f64::NAN, f64::NAN, f64::NAN, f64::NAN],
    );
    expect(
        &mut failures,
        "atan2 quadrants",
        &t1(&[1.0, 1.0, -1.0, -1.0, 0.0]).atan2(&t1(&[1.0, -1.0, -1.0, 1.0, -1.0])),
        &[
            std::f64::consts::FRAC_PI_4,
            3.0 * std::f64::consts::FRAC_PI_4,
            -3.0 * std::f64::consts::FRAC_PI_4,
            -std::f64::consts::FRAC_PI_4,
            std::f64::consts::PI,
        ],
    );
    assert_no_failures("binary values", failures);
}

#[test]
fn values_compare_select() {
    type Cmp = fn(&Tensor, &Tensor) -> Tensor;
    let cmps: [(&str, Cmp, RefCmp); 6] = [
        ("eq", |a, b| a.eq(b), |p, q| p == q),
        ("ne", |a, b| a.ne(b), |p, q| p != q),
        ("lt", |a, b| a.lt(b), |p, q| p < q),
        ("le", |a, b| a.le(b), |p, q| p <= q),
        ("gt", |a, b| a.gt(b), |p, q| p > q),
        ("ge", |a, b| a.ge(b), |p, q| p >= q),
    ];
    let a = [1.0, 2.0, 3.0, 2.0, f64::NAN, -0.0];
    let b = [2.0, 2.0, 1.0, 3.0, 1.0, 0.0];
    let mut failures = Vec::new();
    for (name, cmp, reference) in cmps {
        let got = cmp(&t1(&a), &t1(&b));
        if got.dtype() != DType::Bool {
            failures.push(format!("{name}: dtype {}", got.dtype()));
            continue;
        }
        let want: Vec<bool> = a.iter().zip(&b).map(|(&p, &q)| reference(p, q)).collect();
        if got.to_vec::<bool>() != want {
            failures.push(format!(
                "{name}: got {:?}, want {want:?}",
                got.to_vec::<bool>()
            ));
        }
        // Broadcasting [3,1] with [4], and a transposed operand.
        let x = Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3, 1]);
        let y = Tensor::from_vec(vec![0.0, 2.0, 3.0, 1.0], &[4]);
        let want: Vec<bool> = (0..12)
            .map(|i| reference([1.0, 2.0, 3.0][i / 4], [0.0, 2.0, 3.0, 1.0][i % 4]))
            .collect();
        let got = cmp(&x, &y);
        if got.dims() != [3, 4] || got.to_vec::<bool>() != want {
            failures.push(format!("{name} broadcast: got {:?}", got.to_vec::<bool>()));
        }
        let m = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 2.0, 6.0], &[2, 3]);
        let got = cmp(&m.t(), &Tensor::scalar(2.0));
        let want: Vec<bool> = [1.0, 4.0, 2.0, 2.0, 3.0, 6.0]
            .iter()
            .map(|&p| reference(p, 2.0))
            .collect();
        if got.to_vec::<bool>() != want {
            failures.push(format!("{name} transposed: got {:?}", got.to_vec::<bool>()));
        }
        // i64 operands compare too.
        let ia = Tensor::from_vec(vec![1i64, 5, -3], &[3]);
        let ib = Tensor::from_vec(vec![1i64, 4, 0], &[3]);
        let want: Vec<bool> = [(1.0, 1.0), (5.0, 4.0), (-3.0, 0.0)]
            .iter()
            .map(|&(p, q)| reference(p, q))
            .collect();
        if cmp(&ia, &ib).to_vec::<bool>() != want {
            failures.push(format!("{name} i64"));
        }
    }
    // select / where_ with broadcasting.
    let c = Tensor::from_vec(vec![true, false, true], &[3, 1]);
    let x = Tensor::arange(0.0, 12.0, 1.0, DType::F64).reshape(&[3, 4]);
    let got = where_(&c, &x, &Tensor::scalar(-1.0));
    let want: Vec<f64> = (0..12)
        .map(|i| if i / 4 != 1 { i as f64 } else { -1.0 })
        .collect();
    expect(&mut failures, "where_ broadcast", &got, &want);
    let got = c.select(&Tensor::scalar(1.0), &x.t().slice_axis(0, 0, 3, 1));
    expect_dims(&mut failures, "select dims", &got, &[3, 3]);
    let want: Vec<f64> = (0..9)
        .map(|i| {
            let (r, k) = (i / 3, i % 3);
            if r != 1 {
                1.0
            } else {
                (k * 4 + r) as f64
            }
        })
        .collect();
    expect(&mut failures, "select with transposed branch", &got, &want);
    assert_no_failures("compare values", failures);
}

#[test]
fn values_reductions() {
    let mut f = Vec::new();
    let x = Tensor::arange(0.0, 24.0, 1.0, DType::F64).reshape(&[2, 3, 4]);
    let at = |i: usize, j: usize, k: usize| (i * 12 + j * 4 + k) as f64;
    expect(&mut f, "sum", &x.sum(), &[276.0]);
    expect_dims(&mut f, "sum dims", &x.sum(), &[]);
    let s = x.sum_axes(&[0, 2], false);
    expect_dims(&mut f, "sum_axes [0,2] dims", &s, &[3]);
    let want: Vec<f64> = (0..3)
        .map(|j| (0..2).flat_map(|i| (0..4).map(move |k| at(i, j, k))).sum())
        .collect();
    expect(&mut f, "sum_axes [0,2]", &s, &want);
    let s = x.sum_axes(&[-1], true);
    expect_dims(&mut f, "sum_axes [-1] keepdim dims", &s, &[2, 3, 1]);
    let want: Vec<f64> = (0..6)
        .map(|r| (0..4).map(|k| at(r / 3, r % 3, k)).sum())
        .collect();
    expect(&mut f, "sum_axes [-1] keepdim", &s, &want);
    let s = x.sum_axes(&[-3, 1], false);
    expect_dims(&mut f, "sum_axes [-3,1] dims", &s, &[4]);
    let want: Vec<f64> = (0..4)
        .map(|k| (0..2).flat_map(|i| (0..3).map(move |j| at(i, j, k))).sum())
        .collect();
    expect(&mut f, "sum_axes [-3,1]", &s, &want);
    // The same reductions of a transposed view ([2,4,3]).
    let xt = x.transpose(1, 2);
    assert!(!xt.is_contiguous());
    let s = xt.sum_axes(&[1], false);
    let want: Vec<f64> = (0..6)
        .map(|r| (0..4).map(|k| at(r / 3, r % 3, k)).sum())
        .collect();
    expect(&mut f, "sum_axes of transposed view", &s, &want);
    let s = x.sum_axes(&[1], true);
    expect_dims(&mut f, "sum_axes [1] keepdim dims", &s, &[2, 1, 4]);
    // max
    let y = Tensor::from_vec(vec![3.0, -1.0, 7.0, 2.0, 9.0, -5.0], &[2, 3]);
    expect(
        &mut f,
        "max_axes [1]",
        &y.max_axes(&[1], false),
        &[7.0, 9.0],
    );
    expect(
        &mut f,
        "max_axes [0]",
        &y.max_axes(&[0], false),
        &[3.0, 9.0, 7.0],
    );
    expect(
        &mut f,
        "max_axes [-1] keepdim",
        &y.max_axes(&[-1], true),
        &[7.0, 9.0],
    );
    expect_dims(
        &mut f,
        "max_axes keepdim dims",
        &y.max_axes(&[-1], true),
        &[2, 1],
    );
    expect(&mut f, "max", &y.max(), &[9.0]);
    expect(
        &mut f,
        "max of transposed",
        &y.t().max_axes(&[0], false),
        &[7.0, 9.0],
    );
    expect(
        &mut f,
        "max with -inf",
        &t1(&[f64::NEG_INFINITY, -1e300]).max(),
        &[-1e300],
    );
    // mean / var (ddof = 0)
    expect(&mut f, "mean", &y.mean(), &[2.5]);
    expect(
        &mut f,
        "mean_axes [1]",
        &y.mean_axes(&[1], false),
        &[3.0, 2.0],
    );
    expect(
        &mut f,
        "mean_axes [0] keepdim",
        &y.mean_axes(&[0], true),
        &[2.5, 4.0, 1.0],
    );
    expect_dims(
        &mut f,
        "mean_axes keepdim dims",
        &y.mean_axes(&[0], true),
        &[1, 3],
    );
    expect(
        &mut f,
        "var [1,2,3,4]",
        &t1(&[1.0, 2.0, 3.0, 4.0]).var_axes(&[0], false),
        &[1.25],
    );
    let v = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 6.0, 8.0], &[2, 3]);
    expect(
        &mut f,
        "var_axes [1]",
        &v.var_axes(&[1], false),
        &[2.0 / 3.0, 8.0 / 3.0],
    );
    expect(
        &mut f,
        "var_axes [0]",
        &v.var_axes(&[0], true),
        &[2.25, 4.0, 6.25],
    );
    let all: f64 = {
        let d = [1.0, 2.0, 3.0, 4.0, 6.0, 8.0];
        let m = d.iter().sum::<f64>() / 6.0;
        d.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / 6.0
    };
    expect(&mut f, "var_axes all", &v.var_axes(&[0, 1], false), &[all]);
    expect(
        &mut f,
        "var of constant",
        &Tensor::full(&[5], 3.3, DType::F64).var_axes(&[0], false),
        &[0.0],
    );
    // Composite reductions.
    let z = t1(&[1.0, 2.0, 3.0]);
    expect(
        &mut f,
        "logsumexp",
        &z.logsumexp(&[0], false),
        &[3.40760596444438],
    );
    expect(
        &mut f,
        "logsumexp large",
        &t1(&[1000.0, 1000.0]).logsumexp(&[0], false),
        &[1000.0 + 2f64.ln()],
    );
    expect(
        &mut f,
        "logsumexp all -inf",
        &t1(&[f64::NEG_INFINITY, f64::NEG_INFINITY]).logsumexp(&[0], false),
        &[f64::NEG_INFINITY],
    );
    let sm = [0.09003057317038046, 0.24472847105479764, 0.6652409557748219];
    expect(&mut f, "softmax [1,2,3]", &z.softmax(0), &sm);
    expect(
        &mut f,
        "softmax shifted",
        &t1(&[1001.0, 1002.0, 1003.0]).softmax(-1),
        &sm,
    );
    expect(
        &mut f,
        "log_softmax [1,2,3]",
        &z.log_softmax(0),
        &sm.iter().map(|p| p.ln()).collect::<Vec<_>>(),
    );
    let m = Tensor::from_vec(vec![1.0, 0.0, 2.0, 0.0, 3.0, 0.0], &[3, 2]);
    let got = m.softmax(0);
    expect(
        &mut f,
        "softmax axis 0",
        &got,
        &[sm[0], 1.0 / 3.0, sm[1], 1.0 / 3.0, sm[2], 1.0 / 3.0],
    );
    let got = m.logsumexp(&[0], true);
    expect_dims(&mut f, "logsumexp keepdim dims", &got, &[1, 2]);
    expect(
        &mut f,
        "logsumexp keepdim",
        &got,
        &[3.40760596444438, 3f64.ln()],
    );
    // cross_entropy and mse
    let logits = Tensor::from_vec(vec![1.0, 2.0, 3.0, 1.0, 0.0, -1.0], &[2, 3]);
    let labels = Tensor::from_vec(vec![2i64, 0], &[2]);
    let lse = |r: &[f64]| r.iter().map(|v| v.exp()).sum::<f64>().ln();
    let want = ((lse(&[1.0, 2.0, 3.0]) - 3.0) + (lse(&[1.0, 0.0, -1.0]) - 1.0)) / 2.0;
    expect(
        &mut f,
        "cross_entropy",
        &logits.cross_entropy(&labels),
        &[want],
    );
    let p = t1(&[1.0, 3.0, -2.0]);
    let q = t1(&[0.0, 1.0, 1.0]);
    expect(&mut f, "mse", &p.mse(&q), &[(1.0 + 4.0 + 9.0) / 3.0]);
    expect(
        &mut f,
        "mse broadcast",
        &p.mse(&Tensor::scalar(1.0)),
        &[(0.0 + 4.0 + 9.0) / 3.0],
    );
    assert_no_failures("reduction values", f);
}

#[test]
fn values_shape() {
    let mut f = Vec::new();
    let x = Tensor::arange(0.0, 24.0, 1.0, DType::F64).reshape(&[2, 3, 4]);
    let at = |i: usize, j: usize, k: usize| (i * 12 + j * 4 + k) as f64;
    let ar = |n: usize| (0..n).map(|i| i as f64).collect::<Vec<_>>();
    expect(&mut f, "reshape", &x.reshape(&[6, 4]), &ar(24));
    expect_dims(&mut f, "reshape dims", &x.reshape(&[6, 4]), &[6, 4]);
    expect(&mut f, "flatten", &x.flatten(), &ar(24));
    // permute / transpose / t
    let p = x.permute(&[2, 0, 1]);
    expect_dims(&mut f, "permute dims", &p, &[4, 2, 3]);
    let want: Vec<f64> = (0..24).map(|n| at((n / 3) % 2, n % 3, n / 6)).collect();
    expect(&mut f, "permute [2,0,1]", &p, &want);
    expect(
        &mut f,
        "permute then reshape (copy)",
        &p.reshape(&[24]),
        &want,
    );
    let tr = x.transpose(0, -1);
    expect_dims(&mut f, "transpose dims", &tr, &[4, 3, 2]);
    let want: Vec<f64> = (0..24).map(|n| at(n % 2, (n / 2) % 3, n / 6)).collect();
    expect(&mut f, "transpose(0,-1)", &tr, &want);
    let m = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    expect(&mut f, "t", &m.t(), &[1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
    expect(&mut f, "t.t", &m.t().t(), &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    // broadcast_to
    let b = Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3, 1]).broadcast_to(&[2, 3, 2]);
    expect(
        &mut f,
        "broadcast_to [3,1]->[2,3,2]",
        &b,
        &[1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 1.0, 1.0, 2.0, 2.0, 3.0, 3.0],
    );
    expect(
        &mut f,
        "broadcast_to rank0",
        &Tensor::scalar(7.0).broadcast_to(&[2, 2]),
        &[7.0; 4],
    );
    // slices with steps
    let r = Tensor::arange(0.0, 10.0, 1.0, DType::F64);
    expect(
        &mut f,
        "slice_axis(0,1,-1,3)",
        &r.slice_axis(0, 1, -1, 3),
        &[1.0, 4.0, 7.0],
    );
    expect(
        &mut f,
        "slice_axis(0,0,10,2)",
        &r.slice_axis(0, 0, 10, 2),
        &[0.0, 2.0, 4.0, 6.0, 8.0],
    );
    expect(
        &mut f,
        "slice_axis(0,-3,100,1)",
        &r.slice_axis(0, -3, 100, 1),
        &[7.0, 8.0, 9.0],
    );
    expect(
        &mut f,
        "slice_axis(0,-100,2,1)",
        &r.slice_axis(0, -100, 2, 1),
        &[0.0, 1.0],
    );
    expect_dims(&mut f, "empty slice", &r.slice_axis(0, 5, 2, 1), &[0]);
    let s = x.slice_axis(2, 1, 4, 2);
    expect_dims(&mut f, "slice axis 2 dims", &s, &[2, 3, 2]);
    let want: Vec<f64> = (0..12)
        .map(|n| at(n / 6, (n / 2) % 3, 1 + 2 * (n % 2)))
        .collect();
    expect(&mut f, "slice axis 2 step 2", &s, &want);
    let s2 = s.slice_axis(1, 0, 3, 2);
    let want2: Vec<f64> = (0..8)
        .map(|n| at(n / 4, 2 * ((n / 2) % 2), 1 + 2 * (n % 2)))
        .collect();
    expect(&mut f, "slice of slice", &s2, &want2);
    expect(
        &mut f,
        "slice of transposed",
        &m.t().slice_axis(0, 0, 3, 2),
        &[1.0, 4.0, 3.0, 6.0],
    );
    expect(&mut f, "narrow", &r.narrow(0, 3, 4), &[3.0, 4.0, 5.0, 6.0]);
    expect(
        &mut f,
        "narrow axis 1",
        &m.narrow(1, 1, 2),
        &[2.0, 3.0, 5.0, 6.0],
    );
    // pad
    let pm = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]).pad(&[(1, 0), (0, 2)], 9.0);
    expect_dims(&mut f, "pad dims", &pm, &[3, 4]);
    expect(
        &mut f,
        "pad",
        &pm,
        &[9.0, 9.0, 9.0, 9.0, 1.0, 2.0, 9.0, 9.0, 3.0, 4.0, 9.0, 9.0],
    );
    let pt = m.t().pad(&[(0, 1), (1, 0)], 0.0);
    expect(
        &mut f,
        "pad of transposed",
        &pt,
        &[0.0, 1.0, 4.0, 0.0, 2.0, 5.0, 0.0, 3.0, 6.0, 0.0, 0.0, 0.0],
    );
    // A view with a nonzero offset and a step.
    let strided = r.slice_axis(0, 1, 8, 3);
    expect(
        &mut f,
        "pad of a strided slice",
        &strided.pad(&[(1, 2)], -1.0),
        &[-1.0, 1.0, 4.0, 7.0, -1.0, -1.0],
    );
    expect(
        &mut f,
        "concat of strided slices",
        &Tensor::concat(&[strided.clone(), r.slice_axis(0, 2, 10, 4)], 0),
        &[1.0, 4.0, 7.0, 2.0, 6.0],
    );
    // concat / stack / unsqueeze / squeeze
    let a = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]);
    let c = Tensor::from_vec(vec![5.0, 6.0], &[2, 1]);
    let cat = Tensor::concat(&[a.clone(), c.clone()], 1);
    expect(
        &mut f,
        "concat axis 1",
        &cat,
        &[1.0, 2.0, 5.0, 3.0, 4.0, 6.0],
    );
    let cat = Tensor::concat(&[a.clone(), a.t()], 0);
    expect(
        &mut f,
        "concat axis 0 with transposed",
        &cat,
        &[1.0, 2.0, 3.0, 4.0, 1.0, 3.0, 2.0, 4.0],
    );
    let st = Tensor::stack(&[t1(&[1.0, 2.0]), t1(&[3.0, 4.0])], 0);
    expect_dims(&mut f, "stack 0 dims", &st, &[2, 2]);
    expect(&mut f, "stack 0", &st, &[1.0, 2.0, 3.0, 4.0]);
    let st = Tensor::stack(&[t1(&[1.0, 2.0]), t1(&[3.0, 4.0])], -1);
    expect_dims(&mut f, "stack -1 dims", &st, &[2, 2]);
    expect(&mut f, "stack -1", &st, &[1.0, 3.0, 2.0, 4.0]);
    expect_dims(&mut f, "unsqueeze(0)", &r.unsqueeze(0), &[1, 10]);
    expect_dims(&mut f, "unsqueeze(-1)", &r.unsqueeze(-1), &[10, 1]);
    expect_dims(
        &mut f,
        "unsqueeze(1) rank 3",
        &x.unsqueeze(1),
        &[2, 1, 3, 4],
    );
    expect_dims(&mut f, "squeeze(1)", &c.squeeze(1), &[2]);
    expect_dims(&mut f, "squeeze(-1)", &c.squeeze(-1), &[2]);
    expect(&mut f, "squeeze values", &c.squeeze(1), &[5.0, 6.0]);
    if c.try_squeeze(0).is_ok() {
        f.push("squeeze of a size-2 axis should fail".into());
    }
    assert_no_failures("shape values", f);
}

#[test]
fn values_indexing() {
    let mut f = Vec::new();
    let x = Tensor::from_vec((0..12).map(|v| v as f64).collect(), &[3, 4]);
    let idx = Tensor::from_vec(vec![2i64, 0, 2], &[3]);
    let got = x.index_select(0, &idx);
    expect_dims(&mut f, "index_select dims", &got, &[3, 4]);
    expect(
        &mut f,
        "index_select axis 0 repeated",
        &got,
        &[
            8.0, 9.0, 10.0, 11.0, 0.0, 1.0, 2.0, 3.0, 8.0, 9.0, 10.0, 11.0,
        ],
    );
    let got = x.index_select(1, &Tensor::from_vec(vec![3i64, 3, 0], &[3]));
    expect(
        &mut f,
        "index_select axis 1 repeated",
        &got,
        &[3.0, 3.0, 0.0, 7.0, 7.0, 4.0, 11.0, 11.0, 8.0],
    );
    let got = x
        .t()
        .index_select(0, &Tensor::from_vec(vec![1i64, 1], &[2]));
    expect(
        &mut f,
        "index_select of transposed",
        &got,
        &[1.0, 5.0, 9.0, 1.0, 5.0, 9.0],
    );
    if x.try_index_select(0, &Tensor::from_vec(vec![3i64], &[1]))
        .is_ok()
    {
        f.push("index_select out of range should fail".into());
    }
    // The gradient of a gather with repeats counts the repeats.
    let g = grad_n(|a: &[Tensor]| a[0].index_select(0, &idx).sum())(&[t1(&[1.0, 1.0, 1.0])]);
    expect(
        &mut f,
        "index_select grad counts repeats",
        &g[0],
        &[1.0, 0.0, 2.0],
    );
    // scatter_add with repeated indices accumulates.
    let base = Tensor::from_vec(vec![1.0, 1.0, 1.0, 1.0, 1.0, 1.0], &[3, 2]);
    let upd = Tensor::from_vec(vec![1.0, 2.0, 10.0, 20.0, 100.0, 200.0, 5.0, 6.0], &[4, 2]);
    let i = Tensor::from_vec(vec![0i64, 2, 0, 0], &[4]);
    let got = base.scatter_add(0, &i, &upd);
    expect(
        &mut f,
        "scatter_add axis 0 repeated",
        &got,
        &[107.0, 209.0, 1.0, 1.0, 11.0, 21.0],
    );
    let got = base.t().scatter_add(1, &i, &upd.t());
    expect(
        &mut f,
        "scatter_add axis 1 of transposed",
        &got,
        &[107.0, 1.0, 11.0, 209.0, 1.0, 21.0],
    );
    let g = grad_n(|a: &[Tensor]| (a[0].scatter_add(0, &i, &a[1]) * 3.0).sum())(&[
        base.clone(),
        upd.clone(),
    ]);
    expect(&mut f, "scatter_add grad base", &g[0], &[3.0; 6]);
    expect(&mut f, "scatter_add grad updates", &g[1], &[3.0; 8]);
    // one_hot
    let labels = Tensor::from_vec(vec![1i64, 0, 3, 1], &[4]);
    let oh = labels.one_hot(4, DType::F64);
    expect_dims(&mut f, "one_hot dims", &oh, &[4, 4]);
    expect(
        &mut f,
        "one_hot",
        &oh,
        &[
            0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0,
        ],
    );
    if labels.one_hot(4, DType::F32).dtype() != DType::F32 {
        f.push("one_hot dtype".into());
    }
    assert_no_failures("indexing values", f);
}

/// `a @ b` by a triple loop, for `a: [batch, m, k]`, `b: [batch, k, n]` given as closures.
fn matmul_ref(
    batch: usize,
    m: usize,
    k: usize,
    n: usize,
    a: impl Fn(usize, usize, usize) -> f64,
    b: impl Fn(usize, usize, usize) -> f64,
) -> Vec<f64> {
    let mut out = Vec::with_capacity(batch * m * n);
    for z in 0..batch {
        for i in 0..m {
            for j in 0..n {
                let mut s = 0.0;
                for p in 0..k {
                    s += a(z, i, p) * b(z, p, j);
                }
                out.push(s);
            }
        }
    }
    out
}

#[test]
fn values_matmul() {
    let mut f = Vec::new();
    let av = Tensor::randn(&[2, 3, 4], 1, DType::F64);
    let bv = Tensor::randn(&[2, 4, 5], 2, DType::F64);
    let (a, b) = (av.to_vec::<f64>(), bv.to_vec::<f64>());
    // 2-D
    let a2 = av.narrow(0, 0, 1).reshape(&[3, 4]);
    let b2 = bv.narrow(0, 1, 1).reshape(&[4, 5]);
    let want = matmul_ref(
        1,
        3,
        4,
        5,
        |_, i, p| a[i * 4 + p],
        |_, p, j| b[20 + p * 5 + j],
    );
    let got = a2.matmul(&b2);
    expect_dims(&mut f, "2-D dims", &got, &[3, 5]);
    expect(&mut f, "2-D", &got, &want);
    // Transposed operands (views, no copy): (b2ᵀ)ᵀ = b2.
    let b2t = Tensor::from_vec(b2.t().to_vec::<f64>(), &[5, 4]).t();
    assert!(!b2t.is_contiguous());
    expect(
        &mut f,
        "2-D with transposed rhs view",
        &a2.matmul(&b2t),
        &want,
    );
    let a2t = Tensor::from_vec(a2.t().to_vec::<f64>(), &[4, 3]).t();
    expect(
        &mut f,
        "2-D with transposed lhs view",
        &a2t.matmul(&b2t),
        &want,
    );
    // Strided rows.
    let big = Tensor::randn(&[7, 4], 3, DType::F64);
    let rows = big.slice_axis(0, 1, -1, 2);
    let bg = big.to_vec::<f64>();
    let want_s = matmul_ref(
        1,
        3,
        4,
        5,
        |_, i, p| bg[(1 + 2 * i) * 4 + p],
        |_, p, j| b[20 + p * 5 + j],
    );
    expect(&mut f, "2-D with strided lhs", &rows.matmul(&b2), &want_s);
    // Batched
    let want = matmul_ref(
        2,
        3,
        4,
        5,
        |z, i, p| a[z * 12 + i * 4 + p],
        |z, p, j| b[z * 20 + p * 5 + j],
    );
    let got = av.matmul(&bv);
    expect_dims(&mut f, "batched dims", &got, &[2, 3, 5]);
    expect(&mut f, "batched", &got, &want);
    // Broadcast batch dims: [2,1,3,4] @ [5,4,2] -> [2,5,3,2].
    let ab = Tensor::randn(&[2, 1, 3, 4], 4, DType::F64);
    let bb = Tensor::randn(&[5, 4, 2], 5, DType::F64);
    let (x, y) = (ab.to_vec::<f64>(), bb.to_vec::<f64>());
    let got = ab.matmul(&bb);
    expect_dims(&mut f, "broadcast batch dims", &got, &[2, 5, 3, 2]);
    let want = matmul_ref(
        10,
        3,
        4,
        2,
        |z, i, p| x[(z / 5) * 12 + i * 4 + p],
        |z, p, j| y[(z % 5) * 8 + p * 2 + j],
    );
    expect(&mut f, "broadcast batch", &got, &want);
    // 2-D lhs against a batched rhs.
    let got = a2.matmul(&bv);
    let want = matmul_ref(
        2,
        3,
        4,
        5,
        |_, i, p| a[i * 4 + p],
        |z, p, j| b[z * 20 + p * 5 + j],
    );
    expect_dims(&mut f, "[3,4] @ [2,4,5] dims", &got, &[2, 3, 5]);
    expect(&mut f, "[3,4] @ [2,4,5]", &got, &want);
    // vector-matrix, matrix-vector, vector-vector.
    let v = t1(&[1.0, -2.0, 0.5, 3.0]);
    let vv = v.to_vec::<f64>();
    let got = v.matmul(&b2);
    expect_dims(&mut f, "vec @ mat dims", &got, &[5]);
    let want = matmul_ref(1, 1, 4, 5, |_, _, p| vv[p], |_, p, j| b[20 + p * 5 + j]);
    expect(&mut f, "vec @ mat", &got, &want);
    let got = a2.matmul(&v);
    expect_dims(&mut f, "mat @ vec dims", &got, &[3]);
    let want = matmul_ref(1, 3, 4, 1, |_, i, p| a[i * 4 + p], |_, p, _| vv[p]);
    expect(&mut f, "mat @ vec", &got, &want);
    let got = v.matmul(&v);
    expect_dims(&mut f, "vec @ vec dims", &got, &[]);
    expect(&mut f, "vec @ vec", &got, &[vv.iter().map(|x| x * x).sum()]);
    let got = av.matmul(&v);
    expect_dims(&mut f, "batched mat @ vec dims", &got, &[2, 3]);
    // Shape errors are reported, not panics.
    if a2.try_matmul(&a2).is_ok() {
        f.push("[3,4] @ [3,4] should fail".into());
    }
    if Tensor::scalar(1.0).try_matmul(&v).is_ok() {
        f.push("rank-0 matmul should fail".into());
    }
    assert_no_failures("matmul values", f);
}

/// Kernels may reuse the buffer of an operand nobody else holds: that must never change a
/// tensor that is still reachable (a clone, a view, or the other operand).
#[test]
fn values_owned_operands_do_not_alias() {
    let mut f = Vec::new();
    let data: [f64; 6] = [0.5, -1.0, 2.0, 3.5, -0.25, 1.5];
    let exp: Vec<f64> = data.iter().map(|v| v.exp()).collect();
    // A consumed tensor whose clone is still held.
    let y = t1(&data).exp();
    let keep = y.clone();
    let z = y * 2.0;
    expect(&mut f, "clone survives y * 2", &keep, &exp);
    expect(
        &mut f,
        "y * 2",
        &z,
        &exp.iter().map(|v| v * 2.0).collect::<Vec<_>>(),
    );
    let z = -keep.clone();
    expect(&mut f, "clone survives -y", &keep, &exp);
    expect(
        &mut f,
        "-y",
        &z,
        &exp.iter().map(|v| -v).collect::<Vec<_>>(),
    );
    let z = keep.clone().sin();
    expect(&mut f, "clone survives sin(y)", &keep, &exp);
    expect(
        &mut f,
        "sin(y)",
        &z,
        &exp.iter().map(|v| v.sin()).collect::<Vec<_>>(),
    );
    // A consumed tensor whose storage a view still shares.
    let a = Tensor::from_vec(data.to_vec(), &[2, 3]).exp();
    let at = a.t();
    let prod = a * at.t();
    expect(
        &mut f,
        "a * (a.t()).t()",
        &prod,
        &exp.iter().map(|v| v * v).collect::<Vec<_>>(),
    );
    expect(&mut f, "view survives", &at.t(), &exp);
    let b = Tensor::from_vec(data.to_vec(), &[2, 3]).exp();
    let row = b.narrow(0, 1, 1);
    let doubled = b * 2.0;
    expect(&mut f, "narrowed view survives", &row, &exp[3..]);
    expect(
        &mut f,
        "b * 2",
        &doubled,
        &exp.iter().map(|v| v * 2.0).collect::<Vec<_>>(),
    );
    // Both operands owned, the same tensor, and views with offsets consumed alone.
    let c = t1(&data).exp();
    let diff = c.clone() - c;
    expect(&mut f, "c - c", &diff, &[0.0; 6]);
    let n = t1(&data).exp().narrow(0, 2, 3) * 1.0;
    expect(&mut f, "narrow of a temporary", &n, &exp[2..5]);
    let s = t1(&data).exp().slice_axis(0, 1, 6, 2).log();
    expect(
        &mut f,
        "strided slice of a temporary",
        &s,
        &[data[1], data[3], data[5]],
    );
    // Rank 0 and two-element buffers.
    let r0 = Tensor::scalar(2.0);
    let r0b = r0.clone() * 3.0 + 1.0;
    expect(&mut f, "rank 0 survives", &r0, &[2.0]);
    expect(&mut f, "rank 0 result", &r0b, &[7.0]);
    let two = t1(&[1.0, 4.0]);
    let sq = two.clone().sqrt() + two.clone();
    expect(&mut f, "two elements survive", &two, &[1.0, 4.0]);
    expect(&mut f, "sqrt(x) + x", &sq, &[2.0, 6.0]);
    let owned_both = t1(&[1.0, 4.0]).exp() / t1(&[2.0, 8.0]).exp();
    expect(
        &mut f,
        "exp(a) / exp(b)",
        &owned_both,
        &[(-1f64).exp(), (-4f64).exp()],
    );
    // Scalars broadcast against owned tensors on either side.
    let lhs = 10.0 - t1(&[1.0, 2.0, 3.0]).square();
    expect(&mut f, "10 - x^2", &lhs, &[9.0, 6.0, 1.0]);
    let rhs = t1(&[1.0, 2.0, 3.0]).square() / Tensor::scalar(2.0);
    expect(&mut f, "x^2 / scalar", &rhs, &[0.5, 2.0, 4.5]);
    assert_no_failures("owned operands", f);
}

#[test]
fn values_cast() {
    let mut f = Vec::new();
    let x = t1(&[2.7, -2.7, 0.5, -0.0, 1e10]);
    let i = x.cast(DType::I64);
    if i.dtype() != DType::I64 || i.to_vec::<i64>() != vec![2, -2, 0, 0, 10_000_000_000] {
        f.push(format!("f64 -> i64: {:?}", i.to_f64_vec()));
    }
    let b = x.cast(DType::Bool);
    if b.to_vec::<bool>() != vec![true, true, true, false, true] {
        f.push(format!("f64 -> bool: {:?}", b.to_vec::<bool>()));
    }
    let v = [0.1, 1.0 / 3.0, -7.25, 1e-40];
    let r = t1(&v).cast(DType::F32);
    if r.dtype() != DType::F32
        || r.to_vec::<f32>() != v.iter().map(|&x| x as f32).collect::<Vec<_>>()
    {
        f.push(format!("f64 -> f32: {:?}", r.to_f64_vec()));
    }
    let back = r.cast(DType::F64);
    let want: Vec<f64> = v.iter().map(|&x| x as f32 as f64).collect();
    if back.to_vec::<f64>() != want {
        f.push(format!(
            "f64 -> f32 -> f64: {:?} vs {want:?}",
            back.to_vec::<f64>()
        ));
    }
    // The tangent of the f64 -> f32 -> f64 path is the tangent rounded to f32, exactly.
    let t = t1(&[0.1, 0.2, 0.3, 0.4]);
    let (_, jt) = jvp(
        |a| a[0].cast(DType::F32).cast(DType::F64),
        &[t1(&v)],
        &[t.clone()],
    );
    let want: Vec<f64> = t.to_vec::<f64>().iter().map(|&x| x as f32 as f64).collect();
    if jt.to_vec::<f64>() != want {
        f.push(format!("f64 -> f32 -> f64 jvp: {:?}", jt.to_vec::<f64>()));
    }
    let (_, pb) = vjp(|a| a[0].cast(DType::F32).cast(DType::F64), &[t1(&v)]);
    let g = pb.call(&t);
    if g[0].dtype() != DType::F64 || g[0].to_vec::<f64>() != want {
        f.push(format!("f64 -> f32 -> f64 vjp: {:?}", g[0].to_vec::<f64>()));
    }
    let ints = Tensor::from_vec(vec![3i64, -4], &[2]).cast(DType::F64);
    expect(&mut f, "i64 -> f64", &ints, &[3.0, -4.0]);
    let bools = Tensor::from_vec(vec![true, false], &[2]).cast(DType::F64);
    expect(&mut f, "bool -> f64", &bools, &[1.0, 0.0]);
    expect(
        &mut f,
        "cast of transposed",
        &Tensor::from_vec(vec![1.5, 2.5, 3.5, 4.5], &[2, 2])
            .t()
            .cast(DType::I64),
        &[1.0, 3.0, 2.0, 4.0],
    );
    assert_no_failures("cast values", f);
}

// ---------------------------------------------------------------------------------------------
// f32 paths
// ---------------------------------------------------------------------------------------------

#[test]
fn f32_paths_match_f64() {
    type Op = fn(&[Tensor]) -> Tensor;
    // Inputs: f32 values; the reference runs the same op on those values widened to f64.
    let pos = Tensor::rand(&[3, 4], 11, DType::F32) * 1.5 + 0.5;
    let pos2 = Tensor::rand(&[3, 4], 12, DType::F32) * 1.5 + 0.5;
    let mat = Tensor::rand(&[4, 5], 13, DType::F32) + 0.1;
    let table: Vec<(&str, Op, Vec<Tensor>)> = vec![
        ("exp", |x| x[0].exp(), vec![pos.clone()]),
        ("log", |x| x[0].log(), vec![pos.clone()]),
        ("sin", |x| x[0].sin(), vec![pos.clone()]),
        ("tanh", |x| x[0].tanh(), vec![pos.clone()]),
        ("sqrt", |x| x[0].sqrt(), vec![pos.clone()]),
        ("erf", |x| x[0].erf(), vec![pos.clone()]),
        ("erfc", |x| x[0].erfc(), vec![pos.clone()]),
        ("atan", |x| x[0].atan(), vec![pos.clone()]),
        ("sigmoid", |x| x[0].sigmoid(), vec![pos.clone()]),
        ("gelu", |x| x[0].gelu(), vec![pos.clone()]),
        ("softplus", |x| x[0].softplus(), vec![pos.clone()]),
        ("softmax", |x| x[0].softmax(-1), vec![pos.clone()]),
        (
            "logsumexp",
            |x| x[0].logsumexp(&[1], false),
            vec![pos.clone()],
        ),
        (
            "sum_axes",
            |x| x[0].sum_axes(&[0], false),
            vec![pos.clone()],
        ),
        (
            "max_axes",
            |x| x[0].max_axes(&[1], false),
            vec![pos.clone()],
        ),
        ("mean", |x| x[0].mean(), vec![pos.clone()]),
        ("div", |x| &x[0] / &x[1], vec![pos.clone(), pos2.clone()]),
        ("pow", |x| x[0].pow(&x[1]), vec![pos.clone(), pos2.clone()]),
        (
            "atan2",
            |x| x[0].atan2(&x[1]),
            vec![pos.clone(), pos2.clone()],
        ),
        (
            "maximum",
            |x| x[0].maximum(&x[1]),
            vec![pos.clone(), pos2.clone()],
        ),
        (
            "mul + broadcast",
            |x| &x[0] * &x[1].sum_axes(&[0], true),
            vec![pos.clone(), pos2.clone()],
        ),
        (
            "matmul",
            |x| x[0].matmul(&x[1]),
            vec![pos.clone(), mat.clone()],
        ),
        (
            "matmul transposed",
            |x| x[0].t().matmul(&x[1].t()),
            vec![mat.clone(), pos.clone()],
        ),
        (
            "index_select",
            |x| {
                x[0].index_select(0, &Tensor::from_vec(vec![2i64, 2, 0], &[3]))
                    .exp()
            },
            vec![pos.clone()],
        ),
        (
            "pad + slice",
            |x| {
                x[0].pad(&[(1, 0), (0, 2)], 0.5)
                    .slice_axis(1, 0, 6, 2)
                    .exp()
            },
            vec![pos.clone()],
        ),
    ];
    let mut failures = Vec::new();
    for (name, op, xs) in table {
        let got = op(&xs);
        if got.dtype() != DType::F32 {
            failures.push(format!("{name}: dtype {}", got.dtype()));
            continue;
        }
        let wide: Vec<Tensor> = xs.iter().map(|x| x.cast(DType::F64)).collect();
        let want = op(&wide);
        let (g, w) = (got.to_f64_vec(), want.to_vec::<f64>());
        if let Some((i, (a, b))) = g
            .iter()
            .zip(&w)
            .enumerate()
            .find(|(_, (a, b))| (*a - *b).abs() > 1e-6 * b.abs())
        {
            failures.push(format!("{name}: element {i}: f32 {a} vs f64 {b}"));
        }
        // Gradients in f32 against f64 (a looser tolerance: the rules run in f32 too).
        let gs = grad_n(|a: &[Tensor]| op(a).sum())(&xs);
        let gw = grad_n(|a: &[Tensor]| op(a).sum())(&wide);
        for (k, (gs, gw)) in gs.iter().zip(&gw).enumerate() {
            if gs.dtype() != DType::F32 {
                failures.push(format!("{name}: grad {k} dtype {}", gs.dtype()));
                continue;
            }
            let (g, w) = (gs.to_f64_vec(), gw.to_vec::<f64>());
            if let Some((i, (a, b))) = g
                .iter()
                .zip(&w)
                .enumerate()
                .find(|(_, (a, b))| (*a - *b).abs() > 1e-5 * b.abs().max(1.0))
            {
                failures.push(format!("{name}: grad {k} element {i}: f32 {a} vs f64 {b}"));
            }
        }
    }
    assert_no_failures("f32 paths", failures);
}

// ---------------------------------------------------------------------------------------------
// The harness must catch wrong rules
// ---------------------------------------------------------------------------------------------

/// `sin` with its own kernel and deliberately configurable rules.
#[derive(Debug, Clone, Copy)]
struct TestSin {
    /// Scale applied to the JVP rule (1 is correct).
    jvp_scale: f64,
    /// Scale applied to the VJP rule (1 is correct).
    vjp_scale: f64,
    /// Use a detached `cos(x)` in the VJP: right at first order, wrong at second.
    detach_vjp: bool,
    /// A kernel that ignores strides (reads the buffer in storage order): wrong on views.
    ignore_layout: bool,
}

impl Primitive for TestSin {
    fn name(&self) -> &'static str {
        "test_sin"
    }
    fn abstract_eval(&self, i: &[AvalRef<'_>]) -> Result<Aval> {
        Ok(Aval {
            shape: i[0].shape.clone(),
            dtype: i[0].dtype,
        })
    }
    fn eval(&self, i: &[&Value]) -> Result<Value> {
        let x = if self.ignore_layout {
            let Storage::F64(buf) = &*i[0].storage else {
                unreachable!("test_sin runs on f64 only")
            };
            let n = i[0].shape().numel();
            buf[i[0].layout.offset..]
                .iter()
                .cycle()
                .take(n)
                .copied()
                .collect()
        } else {
            i[0].to_vec::<f64>()
        };
        Ok(Value::from_vec(
            x.iter().map(|v| v.sin()).collect(),
            i[0].shape().clone(),
        ))
    }
    fn jvp(&self, p: &[Tensor], t: &[Option<Tensor>], _: &Tensor) -> Result<Option<Tensor>> {
        Ok(t[0].as_ref().map(|t| t * &(p[0].cos() * self.jvp_scale)))
    }
    fn vjp(&self, p: &[Tensor], _: &Tensor, g: &Tensor) -> Result<Vec<Option<Tensor>>> {
        let d = if self.detach_vjp {
            p[0].cos().detach()
        } else {
            p[0].cos()
        };
        Ok(vec![Some(g * &(d * self.vjp_scale))])
    }
}

fn test_sin_row(name: &str, prim: TestSin) -> Row {
    row(name, &[Dom::Any], unary_vars(), move |x| {
        apply_primitive(prim, &[x[0].clone()]).unwrap()
    })
}

#[test]
fn harness_catches_wrong_rules() {
    let good = TestSin {
        jvp_scale: 1.0,
        vjp_scale: 1.0,
        detach_vjp: false,
        ignore_layout: false,
    };
    let (checks, failures) = run_rows(&[test_sin_row("correct test_sin", good)]);
    assert_eq!(checks, unary_vars().len());
    assert!(failures.is_empty(), "a correct rule failed: {failures:?}");
    let cases = [
        (
            "jvp off by 1%",
            TestSin {
                jvp_scale: 1.01,
                ..good
            },
            "forward",
        ),
        (
            "vjp off by 1%",
            TestSin {
                vjp_scale: 1.01,
                ..good
            },
            "reverse",
        ),
        (
            "vjp not differentiable (detached)",
            TestSin {
                detach_vjp: true,
                ..good
            },
            "over reverse",
        ),
    ];
    for (name, prim, path) in cases {
        let (checks, failures) = run_rows(&[test_sin_row(name, prim)]);
        assert_eq!(
            failures.len(),
            checks,
            "{name}: every variant must fail, got {failures:?}"
        );
        assert!(
            failures.iter().all(|f| f.contains(path)),
            "{name}: failures should name the {path} path: {failures:?}"
        );
    }
    // A kernel that mishandles strides computes wrong values on views while its derivatives
    // still agree with finite differences (which perturb contiguous copies): the comparison with
    // contiguous copies catches it on exactly the non-contiguous variants.
    let bad_kernel = TestSin {
        ignore_layout: true,
        ..good
    };
    let (_, failures) = run_rows(&[test_sin_row("stride-blind kernel", bad_kernel)]);
    // (A broadcast row read cyclically happens to give the right values, so only the
    // transposed and strided variants are wrong.)
    let permuted: Vec<String> = unary_vars()
        .iter()
        .filter(|v| v.iter().any(|(_, l)| *l == T || *l == S))
        .map(describe)
        .collect();
    assert_eq!(failures.len(), permuted.len(), "{failures:?}");
    for d in &permuted {
        assert!(
            failures.iter().any(|f| f.contains(&format!("[{d}]"))),
            "{d} not caught: {failures:?}"
        );
    }
    assert!(
        failures.iter().all(|f| f.contains("strided value differs")),
        "{failures:?}"
    );
    // And check_grads alone passes on it: the value comparison is what catches it.
    let x = build(Dom::Any, &[3, 4], T, 1);
    let f = move |x: &[Tensor]| apply_primitive(bad_kernel, &[x[0].clone()]).unwrap();
    assert!(check_grads(f, std::slice::from_ref(&x), 2).is_ok());
}
