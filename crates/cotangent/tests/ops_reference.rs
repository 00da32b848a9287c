//! Values and gradients of the tensor ops of issue 15 against JAX in f64 (`jnp.clip`,
//! `jnp.prod`, `jax.lax.cumsum`/`cumprod`/`cummax`/`cummin`, `jnp.std`, `jnp.logaddexp`, …),
//! edge cases included: a product and a running product through zeros, tied maxima and minima,
//! values on a clamp bound, `std` of a constant (NaN gradient, as JAX), `hypot(0, 0)`,
//! `logaddexp` of large and infinite values, `log_sigmoid(-800)`, `nan_to_num`.
//!
//! The numbers come from `tests/reference/ops_reference.py` (run it with `JAX_ENABLE_X64=1` and
//! paste its output between the GENERATED lines). Each case is an op of the inputs; the
//! gradients are those of `sum(w · f(x))` with `w_k = 1 + k/10` over the flattened output.
//! Values and gradients must agree to a relative 1e-12 (NaN with NaN, infinities exactly).

// The literals are JAX's shortest round-trip representations, kept verbatim (some of them
// are ln 2, √2, … to the last digit).
#![allow(clippy::excessive_precision, clippy::approx_constant)]

use cotangent::*;

const NAN: f64 = f64::NAN;
const INF: f64 = f64::INFINITY;

/// One reference case: inputs (flat values and shape), the flattened output, and the gradient
/// with respect to each input (`None`: not differentiable).
struct Case {
    name: &'static str,
    inputs: &'static [(&'static [f64], &'static [usize])],
    value: &'static [f64],
    grads: Option<&'static [&'static [f64]]>,
}

fn f64t(t: Tensor) -> Tensor {
    t.cast(DType::F64)
}

/// Cotangent's op for a case (the same as the script's function of that name).
fn op(name: &str) -> fn(&[Tensor]) -> Tensor {
    match name {
        "clip" => |x| x[0].clip(0.5, 2.0),
        "clamp_t" => |x| x[0].clamp_t(&x[1], &x[2]),
        "prod zero" | "prod two zeros" | "prod odd" => |x| x[0].prod(),
        "prod axis 1" => |x| x[0].prod_axes(&[1], false),
        "prod keepdim 0" => |x| x[0].prod_axes(&[0], true),
        "cumsum 1" => |x| x[0].cumsum(1, false),
        "cumsum reverse 0" => |x| x[0].cumsum(0, true),
        "cumprod zero" => |x| x[0].cumprod(0, false),
        "cumprod reverse" => |x| x[0].cumprod(0, true),
        "cumprod 2d" => |x| x[0].cumprod(1, false),
        "cummax ties" | "cummax mixed" => |x| x[0].cummax(0, false),
        "cummax reverse" => |x| x[0].cummax(0, true),
        "cummin" => |x| x[0].cummin(0, false),
        "argmin" => |x| f64t(x[0].argmin(1, false)),
        "min axes ties" => |x| x[0].min_axes(&[1], false),
        "min all" => |x| x[0].min(),
        "std" | "std constant" => |x| x[0].std(),
        "std axis keepdim" => |x| x[0].std_axes(&[1], true),
        "std ddof 1" => |x| x[0].std_axes_ddof(&[0], false, 1),
        "flip" => |x| x[0].flip(&[0, 1]),
        "roll 2" => |x| x[0].roll(2, 0),
        "roll -1 axis 1" => |x| x[0].roll(-1, 1),
        "tril 0" => |x| x[0].tril(0),
        "tril -1" => |x| x[0].tril(-1),
        "triu 1" => |x| x[0].triu(1),
        "tril_indices 4 -1" => |_| {
            let (r, c) = tril_indices(4, -1);
            Tensor::concat(&[f64t(r), f64t(c)], 0)
        },
        "triu_indices 3 0" => |_| {
            let (r, c) = triu_indices(3, 0);
            Tensor::concat(&[f64t(r), f64t(c)], 0)
        },
        "diag vector 1" => |x| x[0].diag(1),
        "diag vector -2" => |x| x[0].diag(-2),
        "diag matrix -1" => |x| x[0].diag(-1),
        "diagonal 1" => |x| x[0].diagonal(1),
        "trace" => |x| x[0].trace(),
        "outer" => |x| x[0].outer(&x[1]),
        "kron" => |x| x[0].kron(&x[1]),
        "meshgrid xy" => |x| Tensor::stack(&meshgrid(x, Indexing::Xy), 0),
        "meshgrid ij" => |x| Tensor::stack(&meshgrid(x, Indexing::Ij), 0),
        "exp2" => |x| x[0].exp2(),
        "log2" => |x| x[0].log2(),
        "log10" => |x| x[0].log10(),
        "hypot" | "hypot extreme" => |x| x[0].hypot(&x[1]),
        "logaddexp" | "logaddexp -inf -inf" => |x| x[0].logaddexp(&x[1]),
        "log_sigmoid" => |x| x[0].log_sigmoid(),
        "silu" => |x| x[0].silu(),
        "mish" => |x| x[0].mish(),
        "isnan" => |x| f64t(x[0].isnan()),
        "isfinite" => |x| f64t(x[0].isfinite()),
        "nan_to_num" => |x| x[0].nan_to_num(0.5, 9.0, -9.0),
        other => panic!("no op for case {other:?}"),
    }
}

/// Where cotangent knowingly differs from JAX: the case and what cotangent gives instead
/// (checked by [`known_differences_from_jax`]).
const DIFFERENCES: &[&str] = &["logaddexp -inf -inf", "hypot extreme"];

#[path = "reference/compare.rs"]
mod compare_jax;

/// Mismatches of `got` against JAX's `want` (relative 1e-12, or 1e-15 of the array's scale).
fn compare(what: &str, got: &[f64], want: &[f64]) -> Vec<String> {
    compare_jax::compare_to(what, got, want, 1e-12, 1e-15)
}

fn inputs(case: &Case) -> Vec<Tensor> {
    case.inputs
        .iter()
        .map(|(v, s)| Tensor::from_vec(v.to_vec(), s))
        .collect()
}

/// The gradients of `sum(w · f(x))`, `w_k = 1 + k/10` over the flattened output.
fn weighted_grads(f: fn(&[Tensor]) -> Tensor, xs: &[Tensor]) -> Vec<Vec<f64>> {
    grad_n(move |x: &[Tensor]| {
        let y = f(x);
        let n = y.numel();
        let w = (Tensor::arange(0.0, n as f64, 1.0, DType::F64) / 10.0 + 1.0).reshape(y.dims());
        (y * w).sum()
    })(xs)
    .iter()
    .map(|g| g.to_vec::<f64>())
    .collect()
}

#[test]
fn values_and_gradients_match_jax() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for case in CASES.iter().filter(|c| !DIFFERENCES.contains(&c.name)) {
        let f = op(case.name);
        let xs = inputs(case);
        let y = f(&xs).to_vec::<f64>();
        failures.extend(compare(&format!("{}: value", case.name), &y, case.value));
        if let Some(want) = case.grads {
            let got = weighted_grads(f, &xs);
            assert_eq!(
                got.len(),
                want.len(),
                "{}: one gradient per input",
                case.name
            );
            for (i, (g, w)) in got.iter().zip(want.iter()).enumerate() {
                failures.extend(compare(&format!("{}: grad {i}", case.name), g, w));
            }
        }
        checked += 1;
    }
    assert!(checked >= 50, "only {checked} cases");
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn case(name: &str) -> &'static Case {
    CASES
        .iter()
        .find(|c| c.name == name)
        .expect("the case is generated")
}

/// `logaddexp(-inf, -inf)`: the value is JAX's (`-inf`), but JAX's custom derivative
/// `exp(a - out)` is `exp(-inf + inf) = NaN` there, while ours, the derivative of the `a + b`
/// branch taken where `a - b` is NaN, is `(1, 1)` (as JAX's own at `(+inf, +inf)`).
#[test]
fn logaddexp_of_two_minus_infinities_has_derivative_one_where_jax_has_nan() {
    let case = case("logaddexp -inf -inf");
    let (f, xs) = (op(case.name), inputs(case));
    assert_eq!(f(&xs).to_vec::<f64>(), case.value);
    let jax = case.grads.expect("differentiable");
    assert!(jax[0][0].is_nan() && jax[1][0].is_nan());
    assert_eq!(weighted_grads(f, &xs), vec![vec![1.0], vec![1.0]]);
}

/// `hypot` of huge or tiny legs: the values are JAX's, but JAX's derivative goes through `l/h`,
/// whose rule `-l/h²` overflows (1e300) or underflows (1e-300): it gives 1.0607 = ¾√2 for
/// `hypot(1e300, 1e300)`, `-inf` for `hypot(1e-300, 1e-300)` and `-1.25` for `∂/∂b
/// hypot(3e200, -4e200)`. Ours is the exact `(a/h, b/h)`: `(1/√2, 1/√2)`, and `(0.6, -0.8)`.
#[test]
fn hypot_of_extreme_legs_has_the_exact_derivative_where_jax_overflows() {
    let case = case("hypot extreme");
    let (f, xs) = (op(case.name), inputs(case));
    assert!(compare("value", &f(&xs).to_vec::<f64>(), case.value).is_empty());
    let jax = case.grads.expect("differentiable");
    assert_eq!(
        jax[0][1],
        f64::NEG_INFINITY,
        "JAX's numbers are the ones documented"
    );
    let r = std::f64::consts::FRAC_1_SQRT_2;
    let exact = [vec![r, r * 1.1, 0.6 * 1.2], vec![r, r * 1.1, -0.8 * 1.2]];
    let got = weighted_grads(f, &xs);
    for (g, w) in got.iter().zip(&exact) {
        assert!(
            compare("grad", g, w).is_empty(),
            "{got:?} vs exact {exact:?}"
        );
    }
}

#[test]
fn errors_name_the_op_and_the_shape() {
    let cube = Tensor::zeros(&[2, 3, 4], DType::F64);
    let vector = Tensor::zeros(&[3], DType::F64);
    let ints = Tensor::from_vec(vec![1i64, 2], &[2]);
    let cases: Vec<(&str, Result<Tensor>, &[&str])> = vec![
        ("diag", cube.try_diag(0), &["diag", "[2, 3, 4]"]),
        ("trace", vector.try_trace(), &["trace", "[3]"]),
        ("tril", vector.try_tril(0), &["tril", "[3]"]),
        ("triu", vector.try_triu(0), &["triu", "[3]"]),
        ("diagonal", vector.try_diagonal(0), &["diagonal", "[3]"]),
        ("cumsum", cube.try_cumsum(3, false), &["cumsum", "3"]),
        ("cumprod", ints.try_cumprod(0, false), &["cumprod", "i64"]),
        ("cummax", cube.try_cummax(-4, false), &["cummax"]),
        ("prod", ints.try_prod(), &["prod", "i64"]),
        ("min", cube.narrow(1, 0, 0).try_min(), &["min", "[2, 0, 4]"]),
        ("argmin", cube.try_argmin(5, false), &["argmin"]),
        ("flip", cube.try_flip(&[3]), &["flip"]),
        ("roll", cube.try_roll(1, 3), &["roll"]),
        ("std", cube.try_std_axes(&[7], false), &["std", "7"]),
        ("clamp", ints.try_clamp(0.0, 1.0), &["clamp", "i64"]),
        ("hypot", ints.try_hypot(&ints), &["hypot"]),
        ("kron", cube.try_kron(&ints), &["i64"]),
    ];
    for (what, r, words) in cases {
        let msg = match r {
            Ok(t) => panic!("{what}: no error, got shape {:?}", t.dims()),
            Err(e) => e.to_string(),
        };
        for w in words {
            assert!(msg.contains(w), "{what}: {msg:?} does not name {w:?}");
        }
        assert!(
            msg.contains("ops_reference.rs"),
            "{what}: {msg:?} is not located here"
        );
    }
}

#[test]
fn every_case_has_an_op() {
    for case in CASES {
        let _ = op(case.name);
        assert_eq!(
            case.inputs.len(),
            case.grads.map_or(case.inputs.len(), |g| g.len())
        );
    }
}

// BEGIN GENERATED by tests/reference/ops_reference.py
// Generated by tests/reference/ops_reference.py with JAX 0.10.2.
const CASES: &[Case] = &[
    Case {
        name: "clip",
        inputs: &[(&[-1.0, 0.5, 1.0, 1.5, 2.0, 3.0], &[6])],
        value: &[0.5, 0.5, 1.0, 1.5, 2.0, 2.0],
        grads: Some(&[&[0.0, 0.55, 1.2, 1.3, 0.7, 0.0]]),
    },
    Case {
        name: "clamp_t",
        inputs: &[
            (&[0.0, 1.0, 2.0, 3.0, 2.5], &[5]),
            (&[1.0, 1.0, 1.0, 1.0, 1.0], &[5]),
            (&[2.0, 2.0, 2.5, 2.5, 2.5], &[5]),
        ],
        value: &[1.0, 1.0, 2.0, 2.5, 2.5],
        grads: Some(&[
            &[0.0, 0.55, 1.2, 0.0, 0.7],
            &[1.0, 0.55, 0.0, 0.0, 0.0],
            &[0.0, 0.0, 0.0, 1.3, 0.7],
        ]),
    },
    Case {
        name: "prod zero",
        inputs: &[(&[2.0, 0.0, 3.0], &[3])],
        value: &[0.0],
        grads: Some(&[&[0.0, 6.0, 0.0]]),
    },
    Case {
        name: "prod two zeros",
        inputs: &[(&[0.0, 0.0, 3.0], &[3])],
        value: &[0.0],
        grads: Some(&[&[0.0, 0.0, 0.0]]),
    },
    Case {
        name: "prod odd",
        inputs: &[(&[1.5, -2.0, 0.5, 3.0, 1.25], &[5])],
        value: &[-5.625],
        grads: Some(&[&[-3.75, 2.8125, -11.25, -1.875, -4.5]]),
    },
    Case {
        name: "prod axis 1",
        inputs: &[(&[1.5, 0.0, 2.0, 0.5, -3.0, 4.0], &[2, 3])],
        value: &[0.0, -6.0],
        grads: Some(&[&[0.0, 3.0, 0.0, -13.200000000000001, 2.2, -1.6500000000000001]]),
    },
    Case {
        name: "prod keepdim 0",
        inputs: &[(&[1.5, 0.0, 2.0, 0.5, -3.0, 4.0], &[2, 3])],
        value: &[0.75, -0.0, 8.0],
        grads: Some(&[&[0.5, -3.3000000000000003, 4.8, 1.5, 0.0, 2.4]]),
    },
    Case {
        name: "cumsum 1",
        inputs: &[(&[1.0, 2.0, 3.5, -1.0, 0.25, 4.0], &[2, 3])],
        value: &[1.0, 3.0, 6.5, -1.0, -0.75, 3.25],
        grads: Some(&[&[3.3, 2.3, 1.2, 4.2, 2.9, 1.5]]),
    },
    Case {
        name: "cumsum reverse 0",
        inputs: &[(&[1.0, 2.0, 3.5, -1.0, 0.25, 4.0], &[2, 3])],
        value: &[0.0, 2.25, 7.5, -1.0, 0.25, 4.0],
        grads: Some(&[&[1.0, 1.1, 1.2, 2.3, 2.5, 2.7]]),
    },
    Case {
        name: "cumprod zero",
        inputs: &[(&[2.0, 0.0, 3.0, 4.0, 0.5], &[5])],
        value: &[2.0, 0.0, 0.0, 0.0, 0.0],
        grads: Some(&[&[1.0, 57.4, 0.0, 0.0, 0.0]]),
    },
    Case {
        name: "cumprod reverse",
        inputs: &[(&[2.0, 0.0, 3.0, 4.0, 0.5, -1.5], &[6])],
        value: &[-0.0, -0.0, -9.0, -3.0, -0.75, -1.5],
        grads: Some(&[&[0.0, -27.9, -3.5999999999999996, -3.675, -31.5, 12.0]]),
    },
    Case {
        name: "cumprod 2d",
        inputs: &[(&[1.5, 0.0, 2.0, 3.0, 0.5, -3.0, 4.0, 0.0], &[2, 4])],
        value: &[1.5, 0.0, 0.0, 0.0, 0.5, -1.5, -6.0, -0.0],
        grads: Some(&[&[
            1.0,
            16.950000000000003,
            0.0,
            0.0,
            -22.300000000000004,
            3.95,
            -2.4000000000000004,
            -10.200000000000001,
        ]]),
    },
    Case {
        name: "cummax ties",
        inputs: &[(&[1.0, 1.0, 1.0, 1.0, 1.0], &[5])],
        value: &[1.0, 1.0, 1.0, 1.0, 1.0],
        grads: Some(&[&[2.35, 1.35, 1.1, 0.5, 0.7]]),
    },
    Case {
        name: "cummax mixed",
        inputs: &[(&[1.0, 3.0, 2.0, 3.0, 0.5, 3.0, 4.0], &[7])],
        value: &[1.0, 3.0, 3.0, 3.0, 3.0, 3.0, 4.0],
        grads: Some(&[&[1.0, 4.025, 0.0, 1.725, 0.0, 0.75, 1.6]]),
    },
    Case {
        name: "cummax reverse",
        inputs: &[(&[2.0, 1.0, 2.0, 0.0, 2.0], &[5])],
        value: &[2.0, 2.0, 2.0, 2.0, 2.0],
        grads: Some(&[&[0.5, 0.0, 1.4, 0.0, 4.1]]),
    },
    Case {
        name: "cummin",
        inputs: &[(&[3.0, 1.0, 2.0, 1.0, 0.5, 0.5], &[6])],
        value: &[3.0, 1.0, 1.0, 1.0, 0.5, 0.5],
        grads: Some(&[&[1.0, 2.9499999999999997, 0.0, 0.65, 2.15, 0.75]]),
    },
    Case {
        name: "argmin",
        inputs: &[(&[1.0, 0.0, 0.0, 2.0, 5.0, -1.0, NAN, 1.0, 0.0], &[3, 3])],
        value: &[1.0, 2.0, 0.0],
        grads: None,
    },
    Case {
        name: "min axes ties",
        inputs: &[(&[1.0, 1.0, 2.0, 0.0, 3.0, 0.0], &[2, 3])],
        value: &[1.0, 0.0],
        grads: Some(&[&[0.5, 0.5, 0.0, 0.55, 0.0, 0.55]]),
    },
    Case {
        name: "min all",
        inputs: &[(&[1.0, 0.5, 2.0, 0.5, 3.0, 0.75], &[2, 3])],
        value: &[0.5],
        grads: Some(&[&[0.0, 0.5, 0.0, 0.5, 0.0, 0.0]]),
    },
    Case {
        name: "std",
        inputs: &[(&[1.0, 2.0, 4.0, 7.0], &[4])],
        value: &[2.29128784747792],
        grads: Some(&[&[
            -0.2727723627949905,
            -0.1636634176769943,
            0.0545544725589981,
            0.3818813079129867,
        ]]),
    },
    Case {
        name: "std constant",
        inputs: &[(&[3.0, 3.0, 3.0], &[3])],
        value: &[0.0],
        grads: Some(&[&[NAN, NAN, NAN]]),
    },
    Case {
        name: "std axis keepdim",
        inputs: &[(&[1.0, 2.0, 4.0, 0.5, -3.0, 4.0], &[2, 3])],
        value: &[1.247219128924647, 2.857738033247041],
        grads: Some(&[&[
            -0.3563483225498992,
            -0.0890870806374748,
            0.445435403187374,
            9.25185853854297e-18,
            -0.44907311951024936,
            0.4490731195102494,
        ]]),
    },
    Case {
        name: "std ddof 1",
        inputs: &[(&[1.0, 2.0, 4.0, 0.5, -3.0, 4.0, 2.0, 2.0, 1.0], &[3, 3])],
        value: &[0.7637626158259734, 2.886751345948129, 1.7320508075688772],
        grads: Some(&[&[
            -0.1091089451179962,
            0.3175426480542941,
            0.3464101615137755,
            -0.4364357804719847,
            -0.6350852961085883,
            0.3464101615137755,
            0.5455447255899809,
            0.3175426480542941,
            -0.692820323027551,
        ]]),
    },
    Case {
        name: "flip",
        inputs: &[(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3])],
        value: &[6.0, 5.0, 4.0, 3.0, 2.0, 1.0],
        grads: Some(&[&[1.5, 1.4, 1.3, 1.2, 1.1, 1.0]]),
    },
    Case {
        name: "roll 2",
        inputs: &[(&[1.0, 2.0, 3.0, 4.0, 5.0], &[5])],
        value: &[4.0, 5.0, 1.0, 2.0, 3.0],
        grads: Some(&[&[1.2, 1.3, 1.4, 1.0, 1.1]]),
    },
    Case {
        name: "roll -1 axis 1",
        inputs: &[(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3])],
        value: &[2.0, 3.0, 1.0, 5.0, 6.0, 4.0],
        grads: Some(&[&[1.2, 1.0, 1.1, 1.5, 1.3, 1.4]]),
    },
    Case {
        name: "tril 0",
        inputs: &[(
            &[
                1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0,
            ],
            &[3, 4],
        )],
        value: &[1.0, 0.0, 0.0, 0.0, 5.0, 6.0, 0.0, 0.0, 9.0, 10.0, 11.0, 0.0],
        grads: Some(&[&[1.0, 0.0, 0.0, 0.0, 1.4, 1.5, 0.0, 0.0, 1.8, 1.9, 2.0, 0.0]]),
    },
    Case {
        name: "tril -1",
        inputs: &[(
            &[
                1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0,
            ],
            &[3, 4],
        )],
        value: &[0.0, 0.0, 0.0, 0.0, 5.0, 0.0, 0.0, 0.0, 9.0, 10.0, 0.0, 0.0],
        grads: Some(&[&[0.0, 0.0, 0.0, 0.0, 1.4, 0.0, 0.0, 0.0, 1.8, 1.9, 0.0, 0.0]]),
    },
    Case {
        name: "triu 1",
        inputs: &[(
            &[
                1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0,
            ],
            &[3, 4],
        )],
        value: &[0.0, 2.0, 3.0, 4.0, 0.0, 0.0, 7.0, 8.0, 0.0, 0.0, 0.0, 12.0],
        grads: Some(&[&[
            0.0,
            1.1,
            1.2,
            1.3,
            0.0,
            0.0,
            1.6,
            1.7000000000000002,
            0.0,
            0.0,
            0.0,
            2.1,
        ]]),
    },
    Case {
        name: "tril_indices 4 -1",
        inputs: &[(&[0.0], &[1])],
        value: &[1.0, 2.0, 2.0, 3.0, 3.0, 3.0, 0.0, 0.0, 1.0, 0.0, 1.0, 2.0],
        grads: None,
    },
    Case {
        name: "triu_indices 3 0",
        inputs: &[(&[0.0], &[1])],
        value: &[0.0, 0.0, 0.0, 1.0, 1.0, 2.0, 0.0, 1.0, 2.0, 1.0, 2.0, 2.0],
        grads: None,
    },
    Case {
        name: "diag vector 1",
        inputs: &[(&[1.0, 2.0, 3.0], &[3])],
        value: &[
            0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 0.0, 3.0, 0.0, 0.0, 0.0, 0.0,
        ],
        grads: Some(&[&[1.1, 1.6, 2.1]]),
    },
    Case {
        name: "diag vector -2",
        inputs: &[(&[1.0, 2.0], &[2])],
        value: &[
            0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0,
        ],
        grads: Some(&[&[1.8, 2.3]]),
    },
    Case {
        name: "diag matrix -1",
        inputs: &[(
            &[
                1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0,
            ],
            &[3, 4],
        )],
        value: &[5.0, 10.0],
        grads: Some(&[&[0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.1, 0.0, 0.0]]),
    },
    Case {
        name: "diagonal 1",
        inputs: &[(
            &[
                1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0,
                16.0, 17.0, 18.0, 19.0, 20.0, 21.0, 22.0, 23.0, 24.0,
            ],
            &[2, 3, 4],
        )],
        value: &[2.0, 7.0, 12.0, 14.0, 19.0, 24.0],
        grads: Some(&[&[
            0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.1, 0.0, 0.0, 0.0, 0.0, 1.2, 0.0, 1.3, 0.0, 0.0, 0.0,
            0.0, 1.4, 0.0, 0.0, 0.0, 0.0, 1.5,
        ]]),
    },
    Case {
        name: "trace",
        inputs: &[(
            &[
                1.0,
                2.8284271247461903,
                5.196152422706632,
                8.0,
                11.180339887498949,
                14.696938456699069,
                18.520259177452132,
                22.627416997969522,
                27.0,
            ],
            &[3, 3],
        )],
        value: &[39.180339887498945],
        grads: Some(&[&[1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]]),
    },
    Case {
        name: "outer",
        inputs: &[(&[1.0, 2.0], &[2]), (&[3.0, -4.0, 5.0], &[3])],
        value: &[3.0, -4.0, 5.0, 6.0, -8.0, 10.0],
        grads: Some(&[&[4.6, 5.800000000000001], &[3.6, 3.9, 4.2]]),
    },
    Case {
        name: "kron",
        inputs: &[
            (&[1.0, 2.0, 3.0, 4.0], &[2, 2]),
            (&[0.5, -1.0, 2.0, 1.5, 3.0, -2.0], &[2, 3]),
        ],
        value: &[
            0.5, -1.0, 2.0, 1.0, -2.0, 4.0, 1.5, 3.0, -2.0, 3.0, 6.0, -4.0, 1.5, -3.0, 6.0, 2.0,
            -4.0, 8.0, 4.5, 9.0, -6.0, 6.0, 12.0, -8.0,
        ],
        grads: Some(&[
            &[
                5.700000000000001,
                6.8999999999999995,
                10.500000000000002,
                11.7,
            ],
            &[
                20.200000000000003,
                21.2,
                22.2,
                26.199999999999996,
                27.2,
                28.200000000000003,
            ],
        ]),
    },
    Case {
        name: "meshgrid xy",
        inputs: &[(&[1.0, 2.0, 3.0], &[3]), (&[10.0, 20.0], &[2])],
        value: &[
            1.0, 2.0, 3.0, 1.0, 2.0, 3.0, 10.0, 10.0, 10.0, 20.0, 20.0, 20.0,
        ],
        grads: Some(&[&[2.3, 2.5, 2.7], &[5.1000000000000005, 6.0]]),
    },
    Case {
        name: "meshgrid ij",
        inputs: &[(&[1.0, 2.0, 3.0], &[3]), (&[10.0, 20.0], &[2])],
        value: &[
            1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 10.0, 20.0, 10.0, 20.0, 10.0, 20.0,
        ],
        grads: Some(&[&[2.1, 2.5, 2.9], &[5.4, 5.7]]),
    },
    Case {
        name: "exp2",
        inputs: &[(&[-2.0, 0.5, 10.0, 1.7], &[4])],
        value: &[0.25, 1.4142135623730951, 1024.0, 3.249009585424942],
        grads: Some(&[&[
            0.17328679513998632,
            1.078283957815402,
            851.7392554720608,
            2.927654383874396,
        ]]),
    },
    Case {
        name: "log2",
        inputs: &[(&[0.25, 3.0, 1024.0, 0.7], &[4])],
        value: &[-2.0, 1.5849625007211563, 10.0, -0.5145731728297583],
        grads: Some(&[&[
            5.7707801635558535,
            0.5289881816592866,
            0.0016906582510417538,
            2.679290790222361,
        ]]),
    },
    Case {
        name: "log10",
        inputs: &[(&[0.001, 2.0, 1000.0, 0.7], &[4])],
        value: &[-3.0, 0.3010299956639812, 3.0, -0.1549019599857432],
        grads: Some(&[&[
            434.29448190325184,
            0.23886196504678853,
            0.0005211533782839021,
            0.8065468949631821,
        ]]),
    },
    Case {
        name: "hypot",
        inputs: &[
            (&[3.0, 0.0, 1.0, -2.0, INF, 0.5], &[6]),
            (&[4.0, 0.0, 1.0, 0.5, NAN, -INF], &[6]),
        ],
        value: &[5.0, 0.0, 1.4142135623730951, 2.0615528128088303, INF, INF],
        grads: Some(&[
            &[
                0.6000000000000001,
                0.55,
                0.848528137423857,
                -1.2611852501889316,
                NAN,
                NAN,
            ],
            &[
                0.7999999999999999,
                0.55,
                0.848528137423857,
                0.3152963125472329,
                NAN,
                NAN,
            ],
        ]),
    },
    Case {
        name: "hypot extreme",
        inputs: &[
            (&[1e+300, 1e-300, 3e+200], &[3]),
            (&[1e+300, 1e-300, -4e+200], &[3]),
        ],
        value: &[
            1.4142135623730952e+300,
            1.4142135623730952e-300,
            4.9999999999999995e+200,
        ],
        grads: Some(&[
            &[1.0606601717798212, -INF, 0.72],
            &[1.0606601717798212, -INF, -1.5],
        ]),
    },
    Case {
        name: "logaddexp",
        inputs: &[
            (&[1000.0, 0.5, -3.0, -INF, INF, 2.0], &[6]),
            (&[1000.0, 2.0, 40.0, 1.0, INF, -800.0], &[6]),
        ],
        value: &[1000.6931471805599, 2.2014132779827524, 40.0, 1.0, INF, 2.0],
        grads: Some(&[
            &[
                0.5000000000000275,
                0.200668076186992,
                2.5381572451092965e-19,
                0.0,
                1.4,
                1.5,
            ],
            &[0.5000000000000275, 0.8993319238130081, 1.2, 1.3, 1.4, 0.0],
        ]),
    },
    Case {
        name: "logaddexp -inf -inf",
        inputs: &[(&[-INF], &[1]), (&[-INF], &[1])],
        value: &[-INF],
        grads: Some(&[&[NAN], &[NAN]]),
    },
    Case {
        name: "log_sigmoid",
        inputs: &[(&[-800.0, -40.0, 0.0, 3.0, 40.0], &[5])],
        value: &[
            -800.0,
            -40.0,
            -0.6931471805599453,
            -0.04858735157374206,
            -4.248354255291589e-18,
        ],
        grads: Some(&[&[1.0, 1.1, 0.6, 0.06165363513083682, 5.947695957408224e-18]]),
    },
    Case {
        name: "silu",
        inputs: &[(&[-3.0, 0.0, 1.5, -40.0], &[4])],
        value: &[
            -0.14227761953270035,
            0.0,
            1.2263617142904655,
            -1.6993417021166358e-16,
        ],
        grads: Some(&[&[
            -0.08810410601516963,
            0.55,
            1.2495529851589715,
            -2.1539156074328358e-16,
        ]]),
    },
    Case {
        name: "mish",
        inputs: &[(&[-3.0, 0.0, 1.5, 25.0], &[4])],
        value: &[-0.1456474612756246, 0.0, 1.4033782663958028, 25.0],
        grads: Some(&[&[
            -0.0933931145323208,
            0.6600000000000001,
            1.3061855820094168,
            1.3,
        ]]),
    },
    Case {
        name: "isnan",
        inputs: &[(&[NAN, INF, -INF, 0.0, 1.5], &[5])],
        value: &[1.0, 0.0, 0.0, 0.0, 0.0],
        grads: None,
    },
    Case {
        name: "isfinite",
        inputs: &[(&[NAN, INF, -INF, 0.0, 1.5], &[5])],
        value: &[0.0, 0.0, 0.0, 1.0, 1.0],
        grads: None,
    },
    Case {
        name: "nan_to_num",
        inputs: &[(&[NAN, INF, -INF, 0.0, 1.5], &[5])],
        value: &[0.5, 9.0, -9.0, 0.0, 1.5],
        grads: Some(&[&[0.0, 0.0, 0.0, 1.3, 1.4]]),
    },
];
// END GENERATED
