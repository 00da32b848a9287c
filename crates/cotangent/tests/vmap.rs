//! `vmap` through batching rules.
//!
//! * `rows_*`: table-driven over every primitive and the composites built from them. For each
//!   row (a function of some per-example inputs) and each placement of the batch axes (all at
//!   the front, all in the middle, all at the end with the output's batch axis at its end, one
//!   input batched and the others shared (`None`), one shared and the others batched), the
//!   mapped function must equal the per-example loop (each example run alone, stacked) to 1e-12
//!   in f64, and no primitive may fall back to the per-example loop (`vmap_fallbacks`).
//! * Per-example gradients of a small MLP, compositions with `grad`, `jvp`, `hessian` and
//!   `vmap` itself, function primitives (`custom_vjp`, `custom_jvp`, `checkpoint`), the
//!   fallback of a user primitive without a rule, and errors that name `vmap`.

use cotangent::prim::{Aval, AvalRef, Primitive};
use cotangent::*;

const B: usize = 3;

/// How a per-example input is drawn.
#[derive(Clone, Copy, Debug)]
enum Dom {
    /// Standard normal.
    Any,
    /// Uniform in [0.5, 2).
    Pos,
    /// Uniform in [-0.9, 0.9).
    Unit,
    /// Uniform in [1.2, 2.5).
    Gt1,
    /// i64 indices in `0..n`.
    Idx(i64),
}

fn sample(dom: Dom, shape: &[usize], seed: u64) -> Tensor {
    let u = || Tensor::rand(shape, seed, DType::F64);
    match dom {
        Dom::Any => Tensor::randn(shape, seed, DType::F64),
        Dom::Pos => u() * 1.5 + 0.5,
        Dom::Unit => u() * 1.8 - 0.9,
        Dom::Gt1 => u() * 1.3 + 1.2,
        Dom::Idx(n) => (u() * n as f64).floor().cast(DType::I64),
    }
}

type Fun = Box<dyn Fn(&[Tensor]) -> Tensor>;

struct Row {
    name: &'static str,
    inputs: Vec<(Vec<usize>, Dom)>,
    f: Fun,
}

fn row(
    name: &'static str,
    inputs: &[(&[usize], Dom)],
    f: impl Fn(&[Tensor]) -> Tensor + 'static,
) -> Row {
    Row {
        name,
        inputs: inputs.iter().map(|(s, d)| (s.to_vec(), *d)).collect(),
        f: Box::new(f),
    }
}

/// One placement of the batch axes: per input, where its batch axis is (`None`: shared), and
/// where the output's batch axis goes (`usize::MAX`: at the end of the output).
struct Placement {
    name: String,
    in_axes: Vec<Option<usize>>,
    out_axis: usize,
}

fn placements(ranks: &[usize]) -> Vec<Placement> {
    let k = ranks.len();
    let mut out = vec![
        Placement {
            name: "front".into(),
            in_axes: vec![Some(0); k],
            out_axis: 0,
        },
        Placement {
            name: "middle".into(),
            in_axes: ranks.iter().map(|&r| Some(r.div_ceil(2))).collect(),
            out_axis: 1,
        },
        Placement {
            name: "end, output at end".into(),
            in_axes: ranks.iter().map(|&r| Some(r)).collect(),
            out_axis: usize::MAX,
        },
    ];
    if k > 1 {
        for i in 0..k {
            let mut alone = vec![None; k];
            alone[i] = Some(ranks[i]);
            out.push(Placement {
                name: format!("only input {i} batched (at its end)"),
                in_axes: alone,
                out_axis: 0,
            });
            let mut shared = vec![Some(0); k];
            shared[i] = None;
            out.push(Placement {
                name: format!("input {i} shared"),
                in_axes: shared,
                out_axis: 0,
            });
        }
    }
    out
}

fn close(got: &Tensor, want: &Tensor, tol: f64) -> std::result::Result<(), String> {
    if got.dims() != want.dims() {
        return Err(format!(
            "shape {:?}, expected {:?}",
            got.dims(),
            want.dims()
        ));
    }
    if got.dtype() != want.dtype() {
        return Err(format!("dtype {}, expected {}", got.dtype(), want.dtype()));
    }
    for (i, (g, w)) in got.to_f64_vec().iter().zip(want.to_f64_vec()).enumerate() {
        let ok = (g - w).abs() <= tol * w.abs().max(1.0) || (g.is_nan() && w.is_nan());
        if !ok {
            return Err(format!("element {i}: {g}, expected {w}"));
        }
    }
    Ok(())
}

fn message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

/// Check one row in every placement; returns the failures.
fn check_row(r: &Row, seed: u64) -> Vec<String> {
    let mut failures = Vec::new();
    let ranks: Vec<usize> = r.inputs.iter().map(|(s, _)| s.len()).collect();
    // examples[i][b]: input i of example b.
    let examples: Vec<Vec<Tensor>> = r
        .inputs
        .iter()
        .enumerate()
        .map(|(i, (s, d))| {
            (0..B)
                .map(|b| sample(*d, s, seed * 1000 + i as u64 * 10 + b as u64))
                .collect()
        })
        .collect();
    for p in placements(&ranks) {
        let per_example = |b: usize| -> Vec<Tensor> {
            examples
                .iter()
                .zip(&p.in_axes)
                .map(|(ex, a)| {
                    if a.is_some() {
                        ex[b].clone()
                    } else {
                        ex[0].clone()
                    }
                })
                .collect()
        };
        let outs: Vec<Tensor> = (0..B).map(|b| (r.f)(&per_example(b))).collect();
        let out_rank = outs[0].rank();
        let out_axis = p.out_axis.min(out_rank);
        let want = Tensor::stack(&outs, out_axis as isize);
        let args: Vec<Tensor> = examples
            .iter()
            .zip(&p.in_axes)
            .map(|(ex, a)| match a {
                Some(a) => Tensor::stack(ex, *a as isize),
                None => ex[0].clone(),
            })
            .collect();
        reset_vmap_fallbacks();
        let got = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            try_vmap_call(|x| vec![(r.f)(x)], &args, &p.in_axes, &[out_axis])
        }));
        let what = format!("{} [{}]", r.name, p.name);
        match got {
            Err(panic) => failures.push(format!("{what}: panicked: {}", message(&*panic))),
            Ok(Err(e)) => failures.push(format!("{what}: error: {e}")),
            Ok(Ok(got)) => {
                if let Err(m) = close(&got[0], &want, 1e-12) {
                    failures.push(format!("{what}: {m}"));
                }
                if vmap_fallbacks() != 0 {
                    failures.push(format!(
                        "{what}: {} per-example fallbacks",
                        vmap_fallbacks()
                    ));
                }
            }
        }
    }
    failures
}

fn assert_rows(rows: Vec<Row>) {
    let mut failures = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        failures.extend(check_row(r, i as u64 + 1));
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

use Dom::*;

#[test]
fn rows_unary() {
    let s: &[usize] = &[2, 3];
    assert_rows(vec![
        row("neg", &[(s, Any)], |x| -&x[0]),
        row("exp", &[(s, Any)], |x| x[0].exp()),
        row("log", &[(s, Pos)], |x| x[0].log()),
        row("sin", &[(s, Any)], |x| x[0].sin()),
        row("cos", &[(s, Any)], |x| x[0].cos()),
        row("tan", &[(s, Unit)], |x| x[0].tan()),
        row("asin", &[(s, Unit)], |x| x[0].asin()),
        row("acos", &[(s, Unit)], |x| x[0].acos()),
        row("atan", &[(s, Any)], |x| x[0].atan()),
        row("sinh", &[(s, Any)], |x| x[0].sinh()),
        row("cosh", &[(s, Any)], |x| x[0].cosh()),
        row("tanh", &[(s, Any)], |x| x[0].tanh()),
        row("asinh", &[(s, Any)], |x| x[0].asinh()),
        row("acosh", &[(s, Gt1)], |x| x[0].acosh()),
        row("atanh", &[(s, Unit)], |x| x[0].atanh()),
        row("sqrt", &[(s, Pos)], |x| x[0].sqrt()),
        row("expm1", &[(s, Any)], |x| x[0].expm1()),
        row("log1p", &[(s, Pos)], |x| x[0].log1p()),
        row("abs", &[(s, Any)], |x| x[0].abs()),
        row("erf", &[(s, Any)], |x| x[0].erf()),
        row("erfc", &[(s, Any)], |x| x[0].erfc()),
        row("sign", &[(s, Any)], |x| x[0].sign()),
        row("floor", &[(s, Any)], |x| (&x[0] * 3.0).floor()),
        row("round", &[(s, Any)], |x| (&x[0] * 3.0).round()),
        row("recip", &[(s, Pos)], |x| x[0].recip()),
        row("square", &[(s, Any)], |x| x[0].square()),
        row("rank 0", &[(&[], Any)], |x| x[0].sin().exp()),
        row("neg i64", &[(s, Idx(5))], |x| -&x[0]),
    ]);
}

#[test]
fn rows_binary() {
    let s: &[usize] = &[2, 3];
    assert_rows(vec![
        row("add", &[(s, Any), (s, Any)], |x| &x[0] + &x[1]),
        row("sub", &[(s, Any), (s, Any)], |x| &x[0] - &x[1]),
        row("mul", &[(s, Any), (s, Any)], |x| &x[0] * &x[1]),
        row("div", &[(s, Any), (s, Pos)], |x| &x[0] / &x[1]),
        row("pow", &[(s, Pos), (s, Any)], |x| x[0].pow(&x[1])),
        row("maximum", &[(s, Any), (s, Any)], |x| x[0].maximum(&x[1])),
        row("minimum", &[(s, Any), (s, Any)], |x| x[0].minimum(&x[1])),
        row("atan2", &[(s, Any), (s, Any)], |x| x[0].atan2(&x[1])),
        row("x * x (same input twice)", &[(s, Any)], |x| &x[0] * &x[0]),
        row("broadcast [2,3] + [3]", &[(s, Any), (&[3], Any)], |x| {
            &x[0] + &x[1]
        }),
        row(
            "broadcast [3,1] * [1,4]",
            &[(&[3, 1], Any), (&[1, 4], Any)],
            |x| &x[0] * &x[1],
        ),
        row("rank 0 * [2,3]", &[(&[], Any), (s, Any)], |x| &x[0] * &x[1]),
        row("x + 2.5 (constant)", &[(s, Any)], |x| &x[0] + 2.5),
        row("x * closed-over tensor", &[(s, Any)], |x| {
            &x[0] * &Tensor::arange(1.0, 4.0, 1.0, DType::F64)
        }),
        row("powf(3)", &[(s, Any)], |x| x[0].powf(3.0)),
    ]);
}

#[test]
fn rows_compare_select_cast() {
    let s: &[usize] = &[2, 3];
    assert_rows(vec![
        row("gt", &[(s, Any), (s, Any)], |x| x[0].gt(&x[1])),
        row("eq (i64)", &[(s, Idx(2)), (s, Idx(2))], |x| x[0].eq(&x[1])),
        row("le", &[(s, Any), (s, Any)], |x| x[0].le(&x[1])),
        row("where_(a > b, a, b)", &[(s, Any), (s, Any)], |x| {
            where_(&x[0].gt(&x[1]), &x[0], &x[1])
        }),
        row(
            "where_(c > 0, a, b)",
            &[(s, Any), (s, Any), (s, Any)],
            |x| where_(&x[2].gt(&Tensor::scalar(0.0)), &x[0], &x[1]),
        ),
        row("cast f32 and back", &[(s, Any)], |x| {
            x[0].cast(DType::F32).cast(DType::F64)
        }),
        row("cast to i64", &[(s, Any)], |x| {
            (&x[0] * 4.0).cast(DType::I64)
        }),
        row("cast bool to f64", &[(s, Any)], |x| {
            x[0].gt(&Tensor::scalar(0.0)).cast(DType::F64)
        }),
        row("relu", &[(s, Any)], |x| x[0].relu()),
        row("detach (stop_gradient)", &[(s, Any)], |x| {
            x[0].detach() * &x[0]
        }),
    ]);
}

#[test]
fn rows_reductions() {
    let s: &[usize] = &[2, 3, 4];
    assert_rows(vec![
        row("sum", &[(s, Any)], |x| x[0].sum()),
        row("sum_axes [0,2]", &[(s, Any)], |x| {
            x[0].sum_axes(&[0, 2], false)
        }),
        row("sum_axes [1] keepdim", &[(s, Any)], |x| {
            x[0].sum_axes(&[1], true)
        }),
        row("sum_axes [-1]", &[(s, Any)], |x| {
            x[0].sum_axes(&[-1], false)
        }),
        row("sum_axes []", &[(s, Any)], |x| x[0].sum_axes(&[], false)),
        row("max", &[(s, Any)], |x| x[0].max()),
        row("max_axes [1]", &[(s, Any)], |x| x[0].max_axes(&[1], false)),
        row("max_axes [0,2] keepdim", &[(s, Any)], |x| {
            x[0].max_axes(&[0, 2], true)
        }),
        row("mean", &[(s, Any)], |x| x[0].mean()),
        row("mean_axes [-1]", &[(s, Any)], |x| {
            x[0].mean_axes(&[-1], false)
        }),
        row("var_axes [1]", &[(s, Any)], |x| x[0].var_axes(&[1], false)),
        row("var_axes all", &[(s, Any)], |x| {
            x[0].var_axes(&[0, 1, 2], false)
        }),
        row("argmax 0", &[(s, Any)], |x| x[0].argmax(0, false)),
        row("argmax -1 keepdim", &[(s, Any)], |x| x[0].argmax(-1, true)),
        row("argmax 1", &[(s, Any)], |x| x[0].argmax(1, false)),
    ]);
}

#[test]
fn rows_shape() {
    let s: &[usize] = &[2, 3, 4];
    assert_rows(vec![
        row("reshape [6,4]", &[(s, Any)], |x| x[0].reshape(&[6, 4])),
        row("reshape [4,3,2]", &[(s, Any)], |x| x[0].reshape(&[4, 3, 2])),
        row("flatten", &[(s, Any)], |x| x[0].flatten()),
        row("reshape rank 0 -> [1,1]", &[(&[], Any)], |x| {
            x[0].reshape(&[1, 1])
        }),
        row("broadcast_to [3,1] -> [2,3,4]", &[(&[3, 1], Any)], |x| {
            x[0].broadcast_to(&[2, 3, 4])
        }),
        row("broadcast_to [4] -> [3,4]", &[(&[4], Any)], |x| {
            x[0].broadcast_to(&[3, 4])
        }),
        row("broadcast_to rank 0 -> [2,3]", &[(&[], Any)], |x| {
            x[0].broadcast_to(&[2, 3])
        }),
        row("permute [2,0,1]", &[(s, Any)], |x| x[0].permute(&[2, 0, 1])),
        row("transpose(0,-1)", &[(s, Any)], |x| x[0].transpose(0, -1)),
        row("t", &[(&[3, 4], Any)], |x| x[0].t()),
        row("slice_axis(1, 0, 3, 2)", &[(s, Any)], |x| {
            x[0].slice_axis(1, 0, 3, 2)
        }),
        row("slice_axis(-1, 1, -1, 2)", &[(s, Any)], |x| {
            x[0].slice_axis(-1, 1, -1, 2)
        }),
        row("narrow(0, 1, 1)", &[(s, Any)], |x| x[0].narrow(0, 1, 1)),
        row("pad", &[(s, Any)], |x| {
            x[0].pad(&[(1, 2), (0, 1), (2, 0)], 0.7)
        }),
        row("concat axis 1", &[(s, Any), (&[2, 1, 4], Any)], |x| {
            Tensor::concat(&[x[0].clone(), x[1].clone()], 1)
        }),
        row("concat axis 0, one part twice", &[(&[3, 4], Any)], |x| {
            Tensor::concat(&[x[0].clone(), x[0].sin()], 0)
        }),
        row("concat with a closed-over part", &[(&[3, 4], Any)], |x| {
            Tensor::concat(&[x[0].clone(), Tensor::ones(&[1, 4], DType::F64)], 0)
        }),
        row("stack axis -1", &[(&[3, 4], Any), (&[3, 4], Any)], |x| {
            Tensor::stack(&[x[0].clone(), x[1].clone()], -1)
        }),
        row("unsqueeze(1)", &[(s, Any)], |x| x[0].unsqueeze(1)),
        row("squeeze(1)", &[(&[3, 1, 4], Any)], |x| x[0].squeeze(1)),
    ]);
}

#[test]
fn rows_indexing() {
    let idx = Tensor::from_vec(vec![2i64, 0, 2, 1, 2], &[5]);
    let idx_s = Tensor::from_vec(vec![1i64, 1, 0, 2, 1], &[5]);
    let (i0, i1, i2) = (idx.clone(), idx.clone(), idx_s.clone());
    assert_rows(vec![
        row(
            "index_select axis 0 (shared index)",
            &[(&[3, 4], Any)],
            move |x| x[0].index_select(0, &i0),
        ),
        row(
            "index_select axis -1 (shared index)",
            &[(&[2, 4, 3], Any)],
            move |x| x[0].index_select(-1, &i1),
        ),
        row(
            "index_select axis 0 (index input)",
            &[(&[3, 4], Any), (&[5], Idx(3))],
            |x| x[0].index_select(0, &x[1]),
        ),
        row(
            "index_select axis 1 (index input)",
            &[(&[2, 4, 3], Any), (&[6], Idx(4))],
            |x| x[0].index_select(1, &x[1]),
        ),
        row(
            "scatter_add axis 0 (shared index)",
            &[(&[3, 4], Any), (&[5, 4], Any)],
            move |x| x[0].scatter_add(0, &i2, &x[1]),
        ),
        row(
            "scatter_add axis 1 (index input)",
            &[(&[2, 3], Any), (&[4], Idx(3)), (&[2, 4], Any)],
            |x| x[0].scatter_add(1, &x[1], &x[2]),
        ),
        row(
            "scatter_add axis 0 (index input)",
            &[(&[3, 2], Any), (&[5], Idx(3)), (&[5, 2], Any)],
            |x| x[0].scatter_add(0, &x[1], &x[2]),
        ),
        row("one_hot of an index input", &[(&[4], Idx(3))], |x| {
            x[0].one_hot(3, DType::F64)
        }),
    ]);
}

#[test]
fn rows_matmul() {
    let mm = |x: &[Tensor]| x[0].matmul(&x[1]);
    assert_rows(vec![
        row("[2,3] @ [3,4]", &[(&[2, 3], Any), (&[3, 4], Any)], mm),
        row("[3] @ [3,4]", &[(&[3], Any), (&[3, 4], Any)], mm),
        row("[2,3] @ [3]", &[(&[2, 3], Any), (&[3], Any)], mm),
        row("[3] @ [3]", &[(&[3], Any), (&[3], Any)], mm),
        row(
            "[2,2,3] @ [2,3,4]",
            &[(&[2, 2, 3], Any), (&[2, 3, 4], Any)],
            mm,
        ),
        row(
            "[2,3] @ [2,3,4] (broadcast)",
            &[(&[2, 3], Any), (&[2, 3, 4], Any)],
            mm,
        ),
        row("x @ x^T", &[(&[2, 3], Any)], |x| x[0].matmul(&x[0].t())),
        row("closed-over weight", &[(&[2, 3], Any)], |x| {
            x[0].matmul(&Tensor::arange(0.0, 6.0, 1.0, DType::F64).reshape(&[3, 2]))
        }),
    ]);
}

#[test]
fn rows_composites() {
    let labels = Tensor::from_vec(vec![2i64, 0], &[2]);
    assert_rows(vec![
        row("softmax(-1)", &[(&[2, 4], Any)], |x| x[0].softmax(-1)),
        row("softmax(0)", &[(&[2, 4], Any)], |x| x[0].softmax(0)),
        row("log_softmax(-1)", &[(&[2, 4], Any)], |x| {
            x[0].log_softmax(-1)
        }),
        row("logsumexp [1]", &[(&[2, 4], Any)], |x| {
            x[0].logsumexp(&[1], false)
        }),
        row("logsumexp all keepdim", &[(&[2, 4], Any)], |x| {
            x[0].logsumexp(&[0, 1], true)
        }),
        row("var then sqrt", &[(&[5], Any)], |x| {
            x[0].var_axes(&[0], false).sqrt()
        }),
        row(
            "cross_entropy (shared labels)",
            &[(&[2, 3], Any)],
            move |x| x[0].cross_entropy(&labels),
        ),
        // Mapped labels: `cross_entropy_with_mapped_labels` below.
        row("mse", &[(&[4], Any), (&[4], Any)], |x| x[0].mse(&x[1])),
        row("sigmoid", &[(&[4], Any)], |x| x[0].sigmoid()),
        row("softplus", &[(&[4], Any)], |x| x[0].softplus()),
        row("gelu", &[(&[4], Any)], |x| x[0].gelu()),
        row("gelu_tanh", &[(&[4], Any)], |x| x[0].gelu_tanh()),
        row(
            "layer: tanh(x @ w + b)",
            &[(&[3], Any), (&[3, 2], Any), (&[2], Any)],
            |x| (x[0].matmul(&x[1]) + &x[2]).tanh(),
        ),
        row("grad inside: grad(sum sin(x)^2)", &[(&[3], Any)], |x| {
            grad(|x: &Tensor| x.sin().square().sum())(&x[0])
        }),
        row("hessian inside", &[(&[3], Any)], |x| {
            hessian(|x: &Tensor| (x.sin() * x.sum()).sum())(&x[0])
        }),
        row("jacrev inside", &[(&[3], Any)], |x| {
            jacrev(|x: &Tensor| x.softmax(0))(&x[0])
        }),
    ]);
}

#[test]
fn rows_function_primitives() {
    let clip = custom_vjp(
        |xs: &[Tensor]| xs[0].sin() * &xs[1],
        |p: &[Tensor], _: &Tensor, g: &Tensor| vec![g * &p[0].cos() * &p[1], g * &p[0].sin()],
    );
    let softplus = custom_jvp(
        |xs: &[Tensor]| xs[0].exp().log1p(),
        |p: &[Tensor], t: &[Tensor]| &t[0] * &p[0].sigmoid(),
    );
    let block = checkpoint(|xs: &[Tensor]| xs[0].sin().exp() * &xs[1]);
    assert_rows(vec![
        row("custom_vjp", &[(&[3], Any), (&[3], Any)], move |x| clip(x)),
        row("custom_jvp", &[(&[3], Any)], move |x| softplus(x)),
        row("checkpoint", &[(&[3], Any), (&[3], Any)], move |x| block(x)),
    ]);
}

// ---------------------------------------------------------------------------------------------
// Derivatives through vmap, vmap through derivatives
// ---------------------------------------------------------------------------------------------

fn assert_close(name: &str, got: &Tensor, want: &Tensor) {
    if let Err(m) = close(got, want, 1e-12) {
        panic!("{name}: {m}");
    }
}

fn loop_stack(n: usize, f: impl Fn(usize) -> Tensor) -> Tensor {
    Tensor::stack(&(0..n).map(f).collect::<Vec<_>>(), 0)
}

fn mlp_loss(p: &[Tensor], x: &Tensor, y: &Tensor) -> Tensor {
    let h = (x.matmul(&p[0]) + &p[1]).tanh();
    (h.matmul(&p[2]) + &p[3]).mse(y)
}

#[test]
fn per_example_gradients_of_an_mlp() {
    let params = vec![
        Tensor::randn(&[4, 8], 1, DType::F64) * 0.5,
        Tensor::randn(&[8], 2, DType::F64) * 0.1,
        Tensor::randn(&[8, 2], 3, DType::F64) * 0.5,
        Tensor::randn(&[2], 4, DType::F64) * 0.1,
    ];
    let n = 5;
    let xs = Tensor::randn(&[n, 4], 5, DType::F64);
    let ys = Tensor::randn(&[n, 2], 6, DType::F64);
    let mut args = params.clone();
    args.extend([xs.clone(), ys.clone()]);
    reset_vmap_fallbacks();
    let per_example = vmap_n(
        |a: &[Tensor]| grad_n(|p: &[Tensor]| mlp_loss(p, &a[4], &a[5]))(&a[..4]),
        vec![None, None, None, None, Some(0), Some(0)],
        vec![0],
    )(&args);
    assert_eq!(vmap_fallbacks(), 0);
    assert_eq!(per_example.len(), 4);
    for (k, g) in per_example.iter().enumerate() {
        let want = loop_stack(n, |b| {
            grad_n(|p: &[Tensor]| {
                mlp_loss(
                    p,
                    &xs.narrow(0, b, 1).squeeze(0),
                    &ys.narrow(0, b, 1).squeeze(0),
                )
            })(&params)[k]
                .clone()
        });
        assert_eq!(g.dims()[0], n);
        assert_close(&format!("per-example gradient of parameter {k}"), g, &want);
    }
    // The mean of the per-example gradients is the gradient of the mean loss.
    let mean_loss = |p: &[Tensor]| {
        let h = (xs.matmul(&p[0]) + &p[1]).tanh();
        ((h.matmul(&p[2]) + &p[3]) - &ys)
            .square()
            .mean_axes(&[1], false)
            .mean()
    };
    let full = grad_n(mean_loss)(&params);
    for (k, g) in per_example.iter().enumerate() {
        assert_close(
            "mean of per-example gradients",
            &g.mean_axes(&[0], false),
            &full[k],
        );
    }
}

fn f_example(x: &Tensor) -> Tensor {
    (x.sin() * x.sum()).softmax(0) * x.exp()
}

#[test]
fn vmap_of_vmap_equals_double_loop() {
    let x = Tensor::randn(&[2, 3, 4], 7, DType::F64);
    // Inner over axis 1 of each [3, 4] example... mapped over axis 0 of x.
    let inner = vmap(f_example, 1, 0);
    let got = vmap(inner, 0, 1)(&x);
    // got[i, j] over x[:, j]: output [4 (inner batch), 2 (outer batch), 3]
    let want = Tensor::stack(
        &(0..4)
            .map(|j| {
                loop_stack(2, |i| {
                    f_example(&x.narrow(0, i, 1).squeeze(0).narrow(1, j, 1).squeeze(1))
                })
            })
            .collect::<Vec<_>>(),
        0,
    );
    assert_close("vmap(vmap(f))", &got, &want);
}

#[test]
fn grad_of_a_mapped_sum() {
    let x = Tensor::randn(&[3, 4], 8, DType::F64);
    let g = grad(|x: &Tensor| {
        vmap(|r: &Tensor| f_example(r).sum(), 0, 0)(x)
            .square()
            .sum()
    })(&x);
    let want = loop_stack(3, |b| {
        grad(|r: &Tensor| f_example(r).sum().square())(&x.narrow(0, b, 1).squeeze(0))
    });
    assert_close("grad(sum(vmap(f)^2))", &g, &want);
    // Second order through vmap: the Hessian of a mapped sum is block diagonal.
    let h = hessian(|x: &Tensor| vmap(|r: &Tensor| r.sin().prod_like(), 0, 0)(x).sum())(&x);
    let want_h = Tensor::zeros(&[3, 4, 3, 4], DType::F64).to_vec::<f64>();
    let mut want_h = want_h;
    for b in 0..3 {
        let hb = hessian(|r: &Tensor| r.sin().prod_like())(&x.narrow(0, b, 1).squeeze(0));
        for (k, v) in hb.to_vec::<f64>().into_iter().enumerate() {
            let (i, j) = (k / 4, k % 4);
            want_h[((b * 4 + i) * 3 + b) * 4 + j] = v;
        }
    }
    assert_close(
        "hessian of vmap",
        &h,
        &Tensor::from_vec(want_h, &[3, 4, 3, 4]),
    );
}

/// A smooth function that couples the entries of its input.
trait ProdLike {
    fn prod_like(&self) -> Tensor;
}
impl ProdLike for Tensor {
    fn prod_like(&self) -> Tensor {
        (self * &self.sum()).exp().sum()
    }
}

#[test]
fn vmap_of_jvp_and_jvp_of_vmap() {
    let x = Tensor::randn(&[3, 4], 9, DType::F64);
    let t = Tensor::randn(&[3, 4], 10, DType::F64);
    let want = loop_stack(3, |b| {
        let (xb, tb) = (x.narrow(0, b, 1).squeeze(0), t.narrow(0, b, 1).squeeze(0));
        jvp(|a: &[Tensor]| f_example(&a[0]), &[xb], &[tb]).1
    });
    let mapped_jvp = vmap_n(
        |a: &[Tensor]| vec![jvp(|y: &[Tensor]| f_example(&y[0]), &a[..1], &a[1..]).1],
        vec![Some(0), Some(0)],
        vec![0],
    )(&[x.clone(), t.clone()]);
    assert_close("vmap(jvp)", &mapped_jvp[0], &want);
    let jvp_of_vmap = jvp(|a: &[Tensor]| vmap(f_example, 0, 0)(&a[0]), &[x], &[t]).1;
    assert_close("jvp(vmap)", &jvp_of_vmap, &want);
}

#[test]
fn vmap_of_hessian_and_jacobians_equal_loops() {
    let x = Tensor::randn(&[4, 3], 11, DType::F64);
    let f = |r: &Tensor| (r.sin() * r.sum()).exp().sum();
    let got = vmap(hessian(f), 0, 0)(&x);
    let want = loop_stack(4, |b| hessian(f)(&x.narrow(0, b, 1).squeeze(0)));
    assert_close("vmap(hessian)", &got, &want);
    let g = |r: &Tensor| r.softmax(0) * r.sum();
    let jf = vmap(jacfwd(g), 1, 2)(&x);
    let jr = vmap(jacrev(g), 1, 2)(&x);
    let want = Tensor::stack(
        &(0..3)
            .map(|b| jacrev(g)(&x.narrow(1, b, 1).squeeze(1)))
            .collect::<Vec<_>>(),
        2,
    );
    assert_close("vmap(jacfwd)", &jf, &want);
    assert_close("vmap(jacrev)", &jr, &want);
}

#[test]
fn grad_through_function_primitives_under_vmap() {
    let clip = custom_vjp(
        |xs: &[Tensor]| xs[0].sin(),
        |p: &[Tensor], _: &Tensor, g: &Tensor| vec![g * &p[0].cos() * 2.0],
    );
    let softplus = custom_jvp(
        |xs: &[Tensor]| xs[0].exp().log1p(),
        |p: &[Tensor], t: &[Tensor]| &t[0] * &p[0].sigmoid() * 3.0,
    );
    let block = checkpoint(|xs: &[Tensor]| xs[0].sin().exp());
    let x = Tensor::randn(&[3, 2], 12, DType::F64);
    let loss = |x: &Tensor| {
        let mapped = vmap(
            |r: &Tensor| (clip(&[r.clone()]) + softplus(&[r.clone()]) + block(&[r.clone()])).sum(),
            0,
            0,
        );
        mapped(x).sum()
    };
    reset_vmap_fallbacks();
    let g = grad(loss)(&x);
    assert_eq!(vmap_fallbacks(), 0);
    // The user rules are used (2·cos, 3·sigmoid), not the functions' own derivatives.
    let want = x.cos() * 2.0 + x.sigmoid() * 3.0 + x.sin().exp() * x.cos();
    assert_close("grad through custom rules under vmap", &g, &want);
    // Forward mode through them too (custom_vjp differentiates its function).
    let t = Tensor::ones(&[3, 2], DType::F64);
    let (_, tan) = jvp(|a: &[Tensor]| loss(&a[0]), &[x.clone()], &[t]);
    let want_t = (x.cos() + x.sigmoid() * 3.0 + x.sin().exp() * x.cos()).sum();
    assert_close("jvp through custom rules under vmap", &tan, &want_t);
}

// ---------------------------------------------------------------------------------------------
// Jacobians by one mapped pass
// ---------------------------------------------------------------------------------------------

#[test]
fn jacobians_equal_one_pass_per_basis_vector() {
    type Case = (&'static str, Box<dyn Fn(&Tensor) -> Tensor>, Tensor);
    let cases: Vec<Case> = vec![
        (
            "softmax * sum",
            Box::new(|x: &Tensor| x.softmax(0) * x.sum()),
            Tensor::randn(&[5], 13, DType::F64),
        ),
        (
            "matrix in, matrix out",
            Box::new(|x: &Tensor| x.matmul(&x.t()).tanh()),
            Tensor::randn(&[2, 3], 14, DType::F64),
        ),
        (
            "gather and scatter",
            Box::new(|x: &Tensor| {
                let i = Tensor::from_vec(vec![1i64, 0, 1], &[3]);
                x.index_select(0, &i)
                    .scatter_add(0, &i, &x.index_select(0, &i).sin())
            }),
            Tensor::randn(&[2, 2], 15, DType::F64),
        ),
        (
            "output independent of part of the input",
            Box::new(|x: &Tensor| x.narrow(0, 0, 2).exp()),
            Tensor::randn(&[4], 16, DType::F64),
        ),
        (
            "constant output",
            Box::new(|_: &Tensor| Tensor::ones(&[2], DType::F64)),
            Tensor::randn(&[3], 17, DType::F64),
        ),
    ];
    for (name, f, x) in &cases {
        // With debug_nans on, the Jacobians take one pass per basis vector (the previous
        // implementation): the mapped passes must agree with it.
        set_debug_nans(true);
        let (loop_fwd, _) = try_jacobian_in(f, x, Some(Mode::Forward)).unwrap();
        let (loop_rev, _) = try_jacobian_in(f, x, Some(Mode::Reverse)).unwrap();
        set_debug_nans(false);
        reset_pass_counts();
        reset_vmap_fallbacks();
        let fwd = jacfwd(f)(x);
        let rev = jacrev(f)(x);
        assert_eq!(
            pass_counts(),
            PassCounts {
                forward: 1,
                reverse: 1
            },
            "{name}"
        );
        assert_eq!(vmap_fallbacks(), 0, "{name}");
        assert_close(&format!("{name}: jacfwd"), &fwd, &loop_fwd);
        assert_close(&format!("{name}: jacrev"), &rev, &loop_rev);
        assert_close(&format!("{name}: jacfwd = jacrev"), &fwd, &rev);
    }
}

#[test]
fn jacobian_of_a_known_function() {
    // f(x) = [x0·x1, sin(x2)] has Jacobian [[x1, x0, 0], [0, 0, cos(x2)]].
    let f = |x: &Tensor| {
        let x0 = x.narrow(0, 0, 1);
        let x1 = x.narrow(0, 1, 1);
        let x2 = x.narrow(0, 2, 1);
        Tensor::concat(&[&x0 * &x1, x2.sin()], 0)
    };
    let x = Tensor::from_vec(vec![2.0, 3.0, 0.5], &[3]);
    let want = Tensor::from_vec(vec![3.0, 2.0, 0.0, 0.0, 0.0, 0.5f64.cos()], &[2, 3]);
    assert_close("jacfwd", &jacfwd(f)(&x), &want);
    assert_close("jacrev", &jacrev(f)(&x), &want);
    assert_close("jacobian", &jacobian(f)(&x), &want);
}

// ---------------------------------------------------------------------------------------------
// Fallback and errors
// ---------------------------------------------------------------------------------------------

/// A user primitive with no batching rule: `vmap` falls back to one application per example.
#[derive(Debug, Clone)]
struct Cube;

impl Primitive for Cube {
    fn name(&self) -> &'static str {
        "cube"
    }
    fn abstract_eval(&self, inputs: &[AvalRef<'_>]) -> Result<Aval> {
        Ok(Aval {
            shape: inputs[0].shape.clone(),
            dtype: inputs[0].dtype,
        })
    }
    fn eval(&self, inputs: &[&Value]) -> Result<Value> {
        let x = inputs[0].to_vec::<f64>();
        Ok(Value::from_vec(
            x.iter().map(|v| v * v * v).collect(),
            inputs[0].shape().clone(),
        ))
    }
    fn jvp(&self, p: &[Tensor], t: &[Option<Tensor>], _: &Tensor) -> Result<Option<Tensor>> {
        Ok(t[0].as_ref().map(|t| t * &p[0].square() * 3.0))
    }
    fn vjp(&self, p: &[Tensor], _: &Tensor, g: &Tensor) -> Result<Vec<Option<Tensor>>> {
        Ok(vec![Some(g * &p[0].square() * 3.0)])
    }
}

#[test]
fn a_primitive_without_a_rule_falls_back_and_is_counted() {
    let x = Tensor::randn(&[4, 3], 18, DType::F64);
    reset_vmap_fallbacks();
    let f = |r: &Tensor| apply_primitive(Cube, &[r.sin()]).unwrap().sum();
    let got = vmap(f, 0, 0)(&x);
    assert_eq!(vmap_fallbacks(), 1);
    let want = loop_stack(4, |b| f(&x.narrow(0, b, 1).squeeze(0)));
    assert_close("fallback", &got, &want);
}

#[test]
fn errors_name_vmap() {
    let a = Tensor::zeros(&[3, 2], DType::F64);
    let b = Tensor::zeros(&[4, 2], DType::F64);
    let f = |x: &[Tensor]| vec![&x[0] + &x[1]];
    let cases: Vec<(&str, Result<Vec<Tensor>>, &str)> = vec![
        (
            "different batch sizes",
            try_vmap_call(f, &[a.clone(), b.clone()], &[Some(0), Some(0)], &[0]),
            "different batch sizes",
        ),
        (
            "in axis out of range",
            try_vmap_call(f, &[a.clone(), a.clone()], &[Some(2), Some(0)], &[0]),
            "in_axes[0] = 2",
        ),
        (
            "out axis out of range",
            try_vmap_call(f, &[a.clone(), a.clone()], &[Some(0), Some(0)], &[5]),
            "out_axes = 5",
        ),
        (
            "in_axes count",
            try_vmap_call(f, &[a.clone(), a.clone()], &[Some(0)], &[0]),
            "2 inputs but 1 in_axes",
        ),
        (
            "nothing batched",
            try_vmap_call(f, &[a.clone(), a.clone()], &[None, None], &[0]),
            "no input is batched",
        ),
    ];
    for (name, r, want) in cases {
        let e = r.expect_err(name);
        let text = e.to_string();
        assert!(text.contains("vmap"), "{name}: {text}");
        assert!(text.contains(want), "{name}: {text}");
        assert!(
            text.contains("vmap.rs"),
            "{name}: the caller's line: {text}"
        );
    }
    // The panicking form says the same.
    let p = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        vmap(|x: &Tensor| x.sin(), 3, 0)(&a)
    }))
    .unwrap_err();
    let m = message(&*p);
    assert!(m.contains("vmap") && m.contains("in_axes[0] = 3"), "{m}");
}

#[test]
fn out_of_range_batched_index_is_reported() {
    let x = Tensor::randn(&[2, 3], 19, DType::F64);
    let idx = Tensor::from_vec(vec![0i64, 1, 3, 0], &[2, 2]);
    let e = try_vmap_call(
        |a| vec![a[0].index_select(0, &a[1])],
        &[x, idx],
        &[Some(0), Some(0)],
        &[0],
    )
    .unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("index_select") && text.contains("index 3"),
        "{text}"
    );
}

#[test]
fn an_empty_batch_gives_empty_outputs() {
    let x = Tensor::zeros(&[0, 3], DType::F64);
    let idx = Tensor::zeros(&[0, 2], DType::I64);
    let w = Tensor::ones(&[3, 4], DType::F64);
    let y = vmap_n(
        |a: &[Tensor]| {
            vec![
                (a[0].matmul(&w).softmax(-1).sum_axes(&[0], false) + a[0].index_select(0, &a[1]))
                    .sin(),
            ]
        },
        vec![Some(0), Some(0)],
        vec![1],
    )(&[x, idx]);
    assert_eq!(y[0].dims(), &[2, 0]);
}

#[test]
fn cross_entropy_with_mapped_labels() {
    // Per-example losses over a batch of 3 problems, each with 2 rows of 4 classes.
    let logits = Tensor::randn(&[3, 2, 4], 5, DType::F64);
    let labels = Tensor::from_vec(vec![0i64, 3, 1, 1, 2, 0], &[3, 2]);
    let mapped = vmap_n(
        |x: &[Tensor]| vec![x[0].cross_entropy(&x[1])],
        vec![Some(0), Some(0)],
        vec![0],
    )(&[logits.clone(), labels.clone()]);
    let looped: Vec<f64> = (0..3)
        .map(|b| {
            let l = logits.narrow(0, b, 1).squeeze(0);
            let y = labels.narrow(0, b, 1).squeeze(0);
            l.cross_entropy(&y).item::<f64>()
        })
        .collect();
    let got = mapped[0].to_vec::<f64>();
    for (a, b) in got.iter().zip(&looped) {
        assert!((a - b).abs() < 1e-12, "{got:?} vs {looped:?}");
    }
}
