//! The one table of every primitive and a set of composites, and the tests it feeds.
//!
//! Each elementwise row names its primitive, the domain each input is drawn from, the
//! function and a scalar f64 reference; every other row is a name and a function of three
//! `[3, 4]` f64 inputs drawn from [0.5, 2). From the table:
//!
//! * `every_registered_primitive_has_a_row`: the registry (`cotangent::prim::registry`) against
//!   the table: a primitive no row uses fails by name, and every elementwise primitive needs an
//!   elementwise row of its own (with a reference).
//! * `values`: elementwise rows against their references (1e-12, f64).
//! * `grads`: smooth rows through `check_grads` at order 2 (forward and reverse, and the four
//!   second-order combinations, against central differences).
//! * `vmap`: a batch of two examples against the stacked per-example results.
//! * `jit`: compiled against eager (1e-12 in f64; bit for bit in f32 for elementwise rows).
//! * `fusion`: a chain of two of every elementwise primitive compiles to one fused loop.
//! * `hostile`: NaN and infinite inputs, and empty tensors for elementwise rows, never panic.
//!
//! Adding a primitive: add its row here (CONTRIBUTING.md has the recipe).

use std::collections::BTreeSet;
use std::panic::{catch_unwind, AssertUnwindSafe};

use cotangent::ir::trace_n;
use cotangent::jit::Jit;
use cotangent::prim::lowering::Lowering;
use cotangent::prim::{registry, Aval};
use cotangent::random::Key;
use cotangent::testing::check_grads;
use cotangent::*;

/// Where an input is drawn from.
#[derive(Clone, Copy, Debug)]
enum Dom {
    /// Uniform in [0.5, 2).
    Pos,
    /// Standard normal.
    Any,
    /// Uniform in [-0.9, 0.9).
    Unit,
    /// Uniform in [1.2, 2.5).
    Gt1,
    /// Uniform in [-1.2, 1.2).
    Small,
    /// |x| in [0.3, 1.5) with a random sign.
    AwayZero,
    /// An integer plus a fraction in [0.1, 0.3) (away from integers and half-integers).
    Frac,
}

fn sample(dom: Dom, shape: &[usize], seed: u64) -> Tensor {
    let u = || Tensor::rand(shape, seed, DType::F64);
    let n = || Tensor::randn(shape, seed.wrapping_add(7919), DType::F64);
    match dom {
        Dom::Pos => u() * 1.5 + 0.5,
        Dom::Any => n(),
        Dom::Unit => u() * 1.8 - 0.9,
        Dom::Gt1 => u() * 1.3 + 1.2,
        Dom::Small => u() * 2.4 - 1.2,
        Dom::AwayZero => (u() * 1.2 + 0.3) * n().sign(),
        Dom::Frac => (n() * 2.0).floor() + (u() * 0.2 + 0.1),
    }
}

type Fun = fn(&[Tensor]) -> Tensor;
type Reference = fn(&[f64]) -> f64;

/// One row of the table.
struct Row {
    name: &'static str,
    doms: &'static [Dom],
    f: Fun,
    /// For elementwise rows: the f64 reference of one element.
    reference: Option<Reference>,
    /// Differentiable on its domain (checked against finite differences).
    smooth: bool,
}

impl Row {
    fn inputs(&self, shape: &[usize], seed: u64) -> Vec<Tensor> {
        self.doms
            .iter()
            .enumerate()
            .map(|(i, &d)| sample(d, shape, seed + 31 * i as u64))
            .collect()
    }
}

const P3: &[Dom] = &[Dom::Pos, Dom::Pos, Dom::Pos];

fn b(c: bool) -> f64 {
    if c {
        1.0
    } else {
        0.0
    }
}

fn f64t(t: Tensor) -> Tensor {
    t.cast(DType::F64)
}

fn idx() -> Tensor {
    Tensor::from_vec(vec![2i64, 0, 1, 0], &[4])
}

/// A well-conditioned general `[3, 3]` matrix from a `[3, 4]` input: its first three columns
/// plus `shift · I`.
fn square(x: &Tensor, shift: f64) -> Tensor {
    x.narrow(1, 0, 3) + Tensor::eye(3, DType::F64) * shift
}

/// A symmetric positive-definite `[3, 3]` matrix from a `[3, 4]` input: `x xᵀ + 3 I`.
fn spd(x: &Tensor) -> Tensor {
    x.matmul(&x.t()) + Tensor::eye(3, DType::F64) * 3.0
}

/// `erfinv` by bisection on `erf` (the reference of the `erfinv` row).
fn erfinv_ref(v: f64) -> f64 {
    let (mut lo, mut hi) = (-6.0f64, 6.0f64);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if libm::erf(mid) < v {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

macro_rules! ew {
    ($name:literal, $doms:expr, $smooth:expr, |$x:ident| $f:expr, |$v:ident| $r:expr) => {
        Row {
            name: $name,
            doms: $doms,
            f: |$x| $f,
            reference: Some(|$v| $r),
            smooth: $smooth,
        }
    };
}

/// The elementwise rows: one per elementwise primitive, named after it.
fn elementwise_rows() -> Vec<Row> {
    use Dom::*;
    vec![
        ew!("abs", &[AwayZero], true, |x| x[0].abs(), |v| v[0].abs()),
        ew!("acos", &[Unit], true, |x| x[0].acos(), |v| v[0].acos()),
        ew!("acosh", &[Gt1], true, |x| x[0].acosh(), |v| v[0].acosh()),
        ew!("asin", &[Unit], true, |x| x[0].asin(), |v| v[0].asin()),
        ew!("asinh", &[Any], true, |x| x[0].asinh(), |v| v[0].asinh()),
        ew!("atan", &[Any], true, |x| x[0].atan(), |v| v[0].atan()),
        ew!("atanh", &[Unit], true, |x| x[0].atanh(), |v| v[0].atanh()),
        ew!("cbrt", &[AwayZero], true, |x| x[0].cbrt(), |v| v[0].cbrt()),
        ew!("cos", &[Any], true, |x| x[0].cos(), |v| v[0].cos()),
        ew!("cosh", &[Any], true, |x| x[0].cosh(), |v| v[0].cosh()),
        ew!("erf", &[Any], true, |x| x[0].erf(), |v| <f64 as Real>::erf(
            v[0]
        )),
        ew!("erfc", &[Any], true, |x| x[0].erfc(), |v| {
            <f64 as Real>::erfc(v[0])
        }),
        ew!("erfinv", &[Unit], true, |x| x[0].erfinv(), |v| erfinv_ref(
            v[0]
        )),
        ew!("exp", &[Any], true, |x| x[0].exp(), |v| v[0].exp()),
        ew!("expm1", &[Any], true, |x| x[0].expm1(), |v| v[0].exp_m1()),
        ew!("exp2", &[Any], true, |x| x[0].exp2(), |v| v[0].exp2()),
        ew!("floor", &[Frac], false, |x| x[0].floor(), |v| v[0].floor()),
        ew!("lgamma", &[Pos], true, |x| x[0].lgamma(), |v| libm::lgamma(
            v[0]
        )),
        ew!("log", &[Pos], true, |x| x[0].log(), |v| v[0].ln()),
        ew!("log1p", &[Pos], true, |x| x[0].log1p(), |v| v[0].ln_1p()),
        ew!("log2", &[Pos], true, |x| x[0].log2(), |v| v[0].log2()),
        ew!("log10", &[Pos], true, |x| x[0].log10(), |v| v[0].log10()),
        ew!("round", &[Frac], false, |x| x[0].round(), |v| v[0]
            .round_ties_even()),
        ew!("sign", &[AwayZero], false, |x| x[0].sign(), |v| v[0]
            .signum()),
        ew!("sin", &[Any], true, |x| x[0].sin(), |v| v[0].sin()),
        ew!("sinh", &[Any], true, |x| x[0].sinh(), |v| v[0].sinh()),
        ew!("sqrt", &[Pos], true, |x| x[0].sqrt(), |v| v[0].sqrt()),
        ew!("tan", &[Small], true, |x| x[0].tan(), |v| v[0].tan()),
        ew!("tanh", &[Any], true, |x| x[0].tanh(), |v| v[0].tanh()),
        ew!("neg", &[Any], true, |x| -&x[0], |v| -v[0]),
        ew!("add", &[Any, Any], true, |x| &x[0] + &x[1], |v| v[0] + v[1]),
        ew!("sub", &[Any, Any], true, |x| &x[0] - &x[1], |v| v[0] - v[1]),
        ew!("mul", &[Any, Any], true, |x| &x[0] * &x[1], |v| v[0] * v[1]),
        ew!("div", &[Any, AwayZero], true, |x| &x[0] / &x[1], |v| v[0]
            / v[1]),
        ew!("pow", &[Pos, Any], true, |x| x[0].pow(&x[1]), |v| v[0]
            .powf(v[1])),
        ew!("max", &[Any, Any], true, |x| x[0].maximum(&x[1]), |v| v[0]
            .max(v[1])),
        ew!("min", &[Any, Any], true, |x| x[0].minimum(&x[1]), |v| v[0]
            .min(v[1])),
        ew!(
            "atan2",
            &[Any, AwayZero],
            true,
            |x| x[0].atan2(&x[1]),
            |v| v[0].atan2(v[1])
        ),
        ew!(
            "eq",
            &[Any, Any],
            false,
            |x| f64t(x[0].eq(&x[0].maximum(&x[1]))),
            |v| b(v[0] == v[0].max(v[1]))
        ),
        ew!("ne", &[Any, Any], false, |x| f64t(x[0].ne(&x[1])), |v| b(v
            [0]
            != v[1])),
        ew!("lt", &[Any, Any], false, |x| f64t(x[0].lt(&x[1])), |v| b(v
            [0]
            < v[1])),
        ew!("le", &[Any, Any], false, |x| f64t(x[0].le(&x[1])), |v| b(v
            [0]
            <= v[1])),
        ew!("gt", &[Any, Any], false, |x| f64t(x[0].gt(&x[1])), |v| b(v
            [0]
            > v[1])),
        ew!("ge", &[Any, Any], false, |x| f64t(x[0].ge(&x[1])), |v| b(v
            [0]
            >= v[1])),
        ew!(
            "select",
            &[Any, Any, Any],
            true,
            |x| x[2].gt(&x[1]).select(&x[0], &x[1]),
            |v| if v[2] > v[1] { v[0] } else { v[1] }
        ),
        ew!(
            "identity",
            &[Any],
            true,
            |x| grad(|t: &Tensor| t.sum())(&x[0]) * &x[0],
            |v| v[0]
        ),
        ew!(
            "stop_gradient",
            &[Any, Any],
            false,
            |x| x[0].detach() * &x[1],
            |v| v[0] * v[1]
        ),
    ]
}

/// Every other primitive, and composites: functions of three `[3, 4]` inputs in [0.5, 2).
fn other_rows() -> Vec<Row> {
    let rows: Vec<(&'static str, Fun)> = vec![
        ("cast", |x| x[0].cast(DType::F32).cast(DType::F64) * 3.0),
        ("broadcast_to", |x| &x[0] + &x[1].sum_axes(&[0], false)),
        ("broadcast column", |x| &x[0] * &x[1].sum_axes(&[1], true)),
        ("reshape", |x| x[0].reshape(&[4, 3]).sin()),
        ("permute", |x| x[0].t().exp() + x[1].t()),
        ("slice", |x| x[0].narrow(1, 1, 2) * 2.0),
        ("slice step", |x| x[0].slice_axis(1, 0, 4, 2).exp()),
        ("pad", |x| x[0].pad(&[(1, 0), (0, 2)], 0.5).log()),
        ("concat", |x| Tensor::concat(&[x[0].clone(), x[1].sin()], 0)),
        ("sum", |x| x[0].sin().sum()),
        ("sum inner", |x| (&x[0] * &x[1]).sum_axes(&[1], false)),
        ("sum outer", |x| x[0].exp().sum_axes(&[0], false)),
        ("reduce_max", |x| x[0].cos().max_axes(&[1], false)),
        ("reduce_max outer", |x| x[0].max_axes(&[0], false)),
        ("argmax", |x| f64t(x[0].argmax(1, false))),
        // Sorting (argsort is a primitive; take_along_axis, sort and topk composites).
        ("argsort", |x| {
            f64t(x[0].argsort(1, false)) + f64t((&x[0] * &x[1]).argsort(0, true))
        }),
        ("take_along_axis", |x| {
            let i = Tensor::from_vec(vec![3i64, 0, -1, 1, 1, 2, 0, 0, 3], &[3, 3]);
            x[0].take_along_axis(&i, 1) * &x[1].narrow(1, 0, 3)
        }),
        ("sort", |x| x[0].sort(1, false) * &x[1]),
        ("sort descending", |x| (&x[0] * &x[1]).sort(0, true).exp()),
        ("topk", |x| {
            let (v, i) = x[0].topk(2, -1);
            v * &x[1].narrow(1, 0, 2) + f64t(i)
        }),
        // Random keys, taken from the input (argmax: one key per row) so that they are traced
        // and batched; the samples are constants of the float inputs.
        ("random", |x| {
            let k = Key::try_from_tensor(x[0].argmax(1, false)).unwrap();
            &x[0] * k.fold_in(1).uniform(&[4], DType::F64) + k.normal(&[4], DType::F64)
        }),
        ("random split", |x| {
            let (_, k) = Key::try_from_tensor(x[1].argmax(1, false))
                .unwrap()
                .split2();
            (&x[0] * f64t(k.randint(&[4], 0, 5)) * f64t(k.bernoulli(0.5, &[4]))).exp()
        }),
        // Exact integer arithmetic on integers made from the inputs (so they are traced).
        ("int arithmetic", |x| {
            let a = (&x[0] * 10.0).floor().cast(DType::I64);
            let b = (&x[1] * 10.0).floor().cast(DType::I64) + 1.0;
            let c = ((&a + &b) * &a - &b).maximum(&a).minimum(&(&b * 100.0));
            f64t(c.floor_divide(&b) + c.remainder(&b)) * &x[2]
        }),
        ("int sum", |x| {
            f64t(x[0].gt(&x[1]).sum_axes(&[1], true)) * &x[2]
        }),
        // Norms (composites).
        ("vector_norm", |x| x[0].vector_norm(2.0, &[1], false)),
        ("vector_norm ord 3", |x| {
            (&x[0] - 1.0).vector_norm(3.0, &[0], true)
        }),
        ("vector_norm inf", |x| {
            x[0].vector_norm(f64::INFINITY, &[1], false)
        }),
        ("matrix_norm", |x| {
            x[0].matrix_norm(MatrixNorm::Fro, false) + x[1].matrix_norm(MatrixNorm::Inf, false)
        }),
        // Convolution and pooling (composites: pad, strided slices, stack, matmul, max, mean).
        ("conv2d", |x| {
            let w = x[1].narrow(0, 0, 2).reshape(&[2, 1, 2, 2]);
            let o = Conv2dOptions::default().padding(1).stride(2);
            x[0].reshape(&[1, 1, 3, 4])
                .conv2d(&w, Some(&x[2].narrow(1, 0, 2).sum_axes(&[0], false)), o)
                .sin()
        }),
        ("conv2d groups dilation", |x| {
            let w = x[1].reshape(&[2, 3, 2, 1]);
            let o = Conv2dOptions::default().dilation(2).groups(2);
            Tensor::concat(&[x[0].clone(), x[2].clone()], 0)
                .reshape(&[1, 6, 2, 2])
                .conv2d(&w, None, o.padding(1))
        }),
        ("conv1d", |x| {
            let o = Conv2dOptions::default().padding(1);
            x[0].reshape(&[1, 3, 4])
                .conv1d(&x[1].narrow(1, 0, 3).reshape(&[1, 3, 3]), None, o)
        }),
        ("conv_transpose2d", |x| {
            let w = x[1].narrow(0, 0, 2).reshape(&[1, 2, 2, 2]);
            let o = ConvTranspose2dOptions::default()
                .stride(2)
                .padding(1)
                .output_padding(1);
            let b = x[2].narrow(1, 0, 2).sum_axes(&[0], false);
            x[0].reshape(&[1, 1, 3, 4])
                .conv_transpose2d(&w, Some(&b), o)
                .sin()
        }),
        ("conv_transpose2d groups dilation", |x| {
            let w = x[1].reshape(&[6, 1, 2, 1]);
            let o = ConvTranspose2dOptions {
                stride: (2, 1),
                output_padding: (1, 0),
                ..ConvTranspose2dOptions::default().dilation(2).groups(2)
            };
            Tensor::concat(&[x[0].clone(), x[2].clone()], 0)
                .reshape(&[1, 6, 2, 2])
                .conv_transpose2d(&w, None, o)
        }),
        ("conv_transpose1d", |x| {
            let o = ConvTranspose2dOptions::default().stride(2).padding(1);
            x[0].reshape(&[1, 3, 4])
                .conv_transpose1d(&x[1].reshape(&[3, 2, 2]), None, o)
        }),
        // Normalization layers (composites of mean, variance and elementwise ops).
        ("batch_norm", |x| {
            let w = x[1].narrow(1, 0, 3).sum_axes(&[0], false);
            let b = x[2].narrow(0, 0, 1).reshape(&[4]).narrow(0, 0, 3);
            (&x[0] * &x[1])
                .reshape(&[2, 3, 2])
                .batch_norm(Some(&w), Some(&b), 1e-5)
                .sin()
        }),
        ("batch_norm_with_stats", |x| {
            let m = x[1].narrow(0, 0, 1).reshape(&[4]).narrow(0, 0, 3);
            let v = x[2].narrow(0, 1, 1).reshape(&[4]).narrow(0, 0, 3);
            x[0].reshape(&[4, 3]).batch_norm_with_stats(
                &m,
                &v,
                Some(&x[1].narrow(0, 2, 1).reshape(&[4]).narrow(0, 1, 3)),
                None,
                1e-5,
            )
        }),
        ("group_norm", |x| {
            let w = x[1].narrow(0, 0, 1).reshape(&[4]);
            let b = x[2].narrow(0, 0, 1).reshape(&[4]);
            (&x[0] * &x[2])
                .reshape(&[1, 4, 3])
                .group_norm(2, Some(&w), Some(&b), 1e-5)
                .cos()
        }),
        ("max_pool2d", |x| {
            (&x[0] * &x[1])
                .reshape(&[1, 1, 3, 4])
                .max_pool2d((2, 2), (1, 2), (1, 1))
        }),
        ("avg_pool2d", |x| {
            x[0].reshape(&[1, 1, 3, 4])
                .avg_pool2d((3, 2), (1, 1), (1, 1))
                .exp()
        }),
        ("random permutation", |x| {
            x[0].index_select(1, &Key::new(1).permutation(4))
        }),
        ("matmul", |x| x[0].matmul(&x[1].t()).tanh()),
        ("index_select", |x| {
            x[0].index_select(0, &Tensor::from_vec(vec![2i64, 0, 1], &[3]))
        }),
        ("scatter_add", |x| x[0].scatter_add(1, &idx(), &x[1].sin())),
        ("index_bound", |x| {
            // Per-example indices under vmap are bounded per example (traced: they come from
            // the input).
            let idx = x[0].argmax(1, false).reshape(&[3, 1]);
            vmap_n(
                |a: &[Tensor]| vec![a[0].index_select(0, &a[1])],
                vec![Some(0), Some(0)],
                vec![0],
            )(&[x[0].clone(), idx])
            .remove(0)
        }),
        ("stop_gradient", |x| x[0].detach() * &x[1]),
        ("identity", |x| grad(|t: &Tensor| t.sin().sum())(&x[0])),
        // Composites.
        ("square", |x| x[0].square()),
        ("recip", |x| x[0].recip()),
        ("powf", |x| x[0].powf(2.5)),
        ("relu", |x| (&x[0] - 1.2).relu()),
        ("sigmoid", |x| x[0].sigmoid()),
        ("softplus", |x| x[0].softplus()),
        ("gelu", |x| x[0].gelu()),
        ("gelu_tanh", |x| x[0].gelu_tanh()),
        ("softmax", |x| x[0].softmax(1)),
        ("log_softmax", |x| x[0].log_softmax(0)),
        ("logsumexp", |x| x[0].logsumexp(&[1], false)),
        ("mean", |x| x[0].mean_axes(&[0], false)),
        ("var", |x| x[0].var_axes(&[1], false)),
        ("mse", |x| x[0].mse(&x[1])),
        ("cross_entropy", |x| {
            x[0].cross_entropy(&Tensor::from_vec(vec![1i64, 0, 3], &[3]))
        }),
        ("where", |x| where_(&x[0].lt(&x[1]), &x[0], &(&x[1] * 2.0))),
        ("teaching", |x| {
            ((&x[0] + &x[1]).square() + (&x[0] * &x[1]).sin()).log()
        }),
        ("shared subexpressions", |x| {
            x[0].sin() * x[0].sin() + x[0].sin()
        }),
        ("x*1 + 0", |x| (&x[0] * 1.0 + 0.0) * &x[1]),
        ("grad of a chain", |x| {
            grad(|t: &Tensor| (t.sin() * t).exp().sum())(&x[0])
        }),
        // Cumulative ops (cumsum is a primitive; the others scans of mul, max, min).
        ("cumsum", |x| x[0].cumsum(1, false) * &x[1]),
        ("cumsum reverse", |x| x[0].sin().cumsum(0, true)),
        ("cumprod", |x| x[0].cumprod(1, false)),
        ("cumprod reverse", |x| {
            (&x[0] - 1.0).cumprod(0, true) * &x[1]
        }),
        ("cummax", |x| x[0].sin().cummax(1, false)),
        ("cummax reverse", |x| x[0].cummax(0, true) * &x[1]),
        ("cummin", |x| x[0].cummin(1, true)),
        // Reductions.
        ("prod", |x| x[0].prod()),
        ("prod axes", |x| x[0].prod_axes(&[1], false)),
        ("prod keepdim", |x| x[0].prod_axes(&[0], true) * &x[1]),
        ("prod around zero", |x| (&x[0] - 1.2).prod_axes(&[1], false)),
        ("min", |x| x[0].min()),
        ("min axes", |x| x[0].cos().min_axes(&[0], false)),
        ("argmin", |x| f64t(x[0].argmin(1, false))),
        ("argmin keepdim", |x| f64t(x[0].argmin(0, true))),
        ("std", |x| x[0].std_axes(&[1], false)),
        ("std all", |x| (&x[0] * &x[1]).std()),
        ("std ddof", |x| x[0].std_axes_ddof(&[0], true, 1)),
        // Reordering, triangles and diagonals.
        ("flip", |x| x[0].flip(&[0, 1]) * &x[1]),
        ("roll", |x| x[0].roll(1, 1).exp() + x[1].roll(-4, 0)),
        ("tril", |x| x[0].tril(0) + x[1].tril(-1)),
        ("triu", |x| x[0].triu(1).sin()),
        ("tril_indices", |x| {
            let (r, c) = tril_indices(3, 0);
            let flat = (f64t(r) * 4.0 + f64t(c)).cast(DType::I64);
            x[0].flatten().index_select(0, &flat).exp()
        }),
        ("triu_indices", |x| {
            let (r, c) = triu_indices(3, 1);
            let flat = (f64t(r) * 4.0 + f64t(c)).cast(DType::I64);
            x[0].flatten().index_select(0, &flat) * 2.0
        }),
        ("diag", |x| x[0].diag(0) + x[1].diag(1).sum()),
        ("diag vector", |x| x[0].sum_axes(&[1], false).diag(-1)),
        ("diagonal", |x| x[0].diagonal(-1).exp()),
        ("trace", |x| (&x[0] * &x[1]).narrow(1, 0, 3).trace()),
        // Products of tensors.
        ("outer", |x| {
            x[0].sum_axes(&[1], false)
                .outer(&x[1].sum_axes(&[0], false))
        }),
        ("kron", |x| x[0].narrow(1, 0, 2).kron(&x[1].narrow(0, 0, 2))),
        ("meshgrid xy", |x| {
            let g = meshgrid(
                &[x[0].sum_axes(&[0], false), x[1].sum_axes(&[1], false)],
                Indexing::Xy,
            );
            &g[0] * &g[1].sin()
        }),
        ("meshgrid ij", |x| {
            let g = meshgrid(
                &[x[0].sum_axes(&[1], false), x[1].sum_axes(&[0], false)],
                Indexing::Ij,
            );
            &g[0] / &g[1]
        }),
        // Linear algebra (cholesky, triangular_solve, solve, det, cofactor, slogdet, eigh, qr
        // and svd are primitives; cho_solve, inv, pinv, lstsq and wide qr composites).
        ("cholesky", |x| spd(&x[0]).cholesky()),
        ("cholesky of a non-symmetric input", |x| {
            (spd(&x[0]) + x[1].narrow(1, 0, 3) * 0.3).cholesky() * &square(&x[2], 0.0)
        }),
        ("triangular_solve", |x| {
            square(&x[0], 2.0).triangular_solve(&x[1], true, false)
        }),
        ("triangular_solve upper transposed", |x| {
            square(&x[0], 2.0).triangular_solve(&x[1].sum_axes(&[1], false), false, true)
        }),
        ("cho_solve", |x| spd(&x[0]).cholesky().cho_solve(&x[1])),
        ("solve", |x| square(&x[0], 4.0).solve(&x[1])),
        ("solve vector", |x| {
            square(&x[0], 4.0).solve(&x[1].sum_axes(&[1], false))
        }),
        ("inv", |x| square(&x[0], 4.0).inv() * &square(&x[1], 0.0)),
        ("det", |x| square(&x[0], 1.0).det()),
        ("det batched", |x| {
            Tensor::stack(&[square(&x[0], 1.0), square(&x[1], -1.0)], 0).det()
        }),
        ("det gradient (cofactor)", |x| {
            grad(|t: &Tensor| square(t, 1.0).det())(&x[0])
        }),
        ("slogdet", |x| {
            let (sign, logdet) = square(&(&x[0] - 1.0), 0.5).slogdet();
            Tensor::stack(&[sign, logdet], 0)
        }),
        // eigh: eigenvalues, and sign-invariant functions of the eigenvectors.
        ("eigh", |x| {
            let (w, v) = spd(&x[0]).eigh();
            Tensor::concat(&[w.unsqueeze(0), &v * &v * &square(&x[1], 0.0)], 0)
        }),
        ("eigh batched, V diag(λ) Vᵀ", |x| {
            let (w, v) = Tensor::stack(&[spd(&x[0]), spd(&x[1])], 0).eigh();
            (&v * &w.unsqueeze(-2)).matmul(&v.transpose(-1, -2)) * &square(&x[2], 0.0)
        }),
        ("eigh of a non-symmetric input", |x| {
            (spd(&x[0]) + x[1].narrow(1, 0, 3) * 0.3).eigh().0.exp()
        }),
        // qr of a tall [4, 3] matrix (R with a non-negative diagonal): Q and R, and batched.
        ("qr", |x| {
            let (q, r) = (x[0].t() - 1.2).qr();
            Tensor::concat(&[q, r * &x[1].narrow(1, 0, 3)], 0)
        }),
        ("qr batched", |x| {
            let (q, r) = Tensor::stack(&[x[0].t() - 1.2, x[1].t() - 1.0], 0).qr();
            q.sum_axes(&[0], false).exp() + r.matmul(&x[2].narrow(0, 0, 3)).sum()
        }),
        // svd of a wide [3, 4] and a tall [4, 3] matrix (U's largest-magnitude entries
        // positive): U, s and Vᵀ directly, and batched; the composites built on it.
        ("svd", |x| {
            let (u, s, vt) = x[0].svd();
            Tensor::concat(
                &[u * &square(&x[1], 0.0), s.unsqueeze(0), vt.narrow(1, 0, 3)],
                0,
            )
        }),
        ("svd tall", |x| {
            let (u, s, vt) = (x[0].t() - 1.2).svd();
            Tensor::concat(
                &[u.narrow(0, 0, 3), s.unsqueeze(0), vt * &square(&x[1], 0.0)],
                0,
            )
        }),
        ("svd batched", |x| {
            let (u, s, vt) = Tensor::stack(&[x[0].clone(), &x[1] - 1.0], 0).svd();
            u.sum_axes(&[0], false).exp() + s.sum() + vt.narrow(-1, 0, 3).sum_axes(&[0], false)
        }),
        ("pinv", |x| (x[0].t() - 1.2).pinv(None)),
        ("lstsq", |x| {
            // Tall, with singular values near 2 (finite differences of second derivatives
            // lose too much on an ill-conditioned one).
            let a = x[0].t() - 1.2 + Tensor::eye(4, DType::F64).narrow(1, 0, 3) * 2.0;
            a.lstsq(&x[1].t(), None)
        }),
        ("matrix_norm spectral and nuclear", |x| {
            x[0].matrix_norm(MatrixNorm::Spectral, false)
                + (&x[1] - 1.0).matrix_norm(MatrixNorm::Nuclear, false)
        }),
        ("qr wide", |x| {
            let (q, r) = (&x[0] - 1.2).qr();
            Tensor::concat(&[q, r * &x[1]], 1)
        }),
        // matrix_exp (a composite: Padé 13 with scaling and squaring; jit and vmap take the
        // traced schedule, eager the norm's value).
        ("matrix_exp", |x| {
            (square(&x[0], -1.0) * &x[1].narrow(1, 0, 3)).matrix_exp()
        }),
        ("matrix_exp scaled and squared", |x| {
            (square(&x[0], 0.0) * 3.0 - &square(&x[1], 0.0).t() * 2.0).matrix_exp()
        }),
        // Einstein summation and indexing sugar.
        ("einsum matmul", |x| einsum("ij,kj->ik", &[&x[0], &x[1]])),
        ("einsum batched three operands", |x| {
            einsum("ij,ij,ik->jk", &[&x[0], &x[1], &x[2]])
        }),
        ("einsum diagonal and trace", |x| {
            let (a, b) = (x[0].narrow(1, 0, 3), x[1].narrow(1, 1, 3));
            einsum("ii->i", &[&a]) * einsum("ii", &[&b]) + einsum("ji", &[&x[2]]).sum()
        }),
        ("einsum outer", |x| {
            einsum("i,j", &[&x[0].i(1), &x[1].i((.., 2))])
        }),
        ("index", |x| x[0].i((1.., -1)) * x[1].i((-2, 1..3)).sum()),
        ("index ranges", |x| {
            (x[0].i((..2, ..=-2)).exp() + x[1].i((1..=2, 1..))) * x[2].i((..-1, ..3))
        }),
        // Special functions (polygamma is one primitive with its order as a parameter).
        ("polygamma", |x| {
            x[0].digamma() + x[1].trigamma() * (&x[2] + 1.0).polygamma(2)
        }),
        // Elementwise composites.
        ("clamp", |x| x[0].clamp(0.8, 1.6).square()),
        ("clip", |x| x[0].clip(0.7, 1.9) * &x[1]),
        ("clamp_t", |x| x[0].clamp_t(&x[1], &(&x[2] + 1.0))),
        ("hypot", |x| x[0].hypot(&(&x[1] - 1.0))),
        ("logaddexp", |x| x[0].logaddexp(&(&x[1] * 3.0 - 3.0))),
        ("log_sigmoid", |x| (&x[0] * 4.0 - 6.0).log_sigmoid()),
        ("silu", |x| (&x[0] - 1.0).silu()),
        ("mish", |x| (&x[0] * 3.0 - 4.0).mish()),
        ("isnan", |x| f64t(x[0].log().isnan())),
        ("isfinite", |x| f64t(x[0].isfinite())),
        ("nan_to_num", |x| {
            (x[0].log() * &x[1]).nan_to_num(0.0, 1e300, -1e300)
        }),
    ];
    // Not differentiable, or (cast) through f32, too coarse for finite differences in f64.
    let not_smooth = [
        "argmax",
        "argsort",
        "argmin",
        "argmin keepdim",
        "bool output",
        "cast",
        "isfinite",
        "isnan",
        "stop_gradient",
    ];
    rows.into_iter()
        .map(|(name, f)| Row {
            name,
            doms: P3,
            f,
            reference: None,
            smooth: !not_smooth.contains(&name),
        })
        .collect()
}

fn table() -> Vec<Row> {
    let mut rows = elementwise_rows();
    rows.extend(other_rows());
    rows
}

fn close(name: &str, got: &Tensor, want: &[f64], tol: f64) -> Result<(), String> {
    let got = got.to_f64_vec();
    if got.len() != want.len() {
        return Err(format!(
            "{name}: {} elements, want {}",
            got.len(),
            want.len()
        ));
    }
    for (i, (x, y)) in got.iter().zip(want).enumerate() {
        let ok = (x - y).abs() <= tol * x.abs().max(y.abs()).max(1.0) || (x.is_nan() && y.is_nan());
        if !ok {
            return Err(format!("{name}: element {i}: {x} vs {y}"));
        }
    }
    Ok(())
}

fn report(what: &str, failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "{what}: {} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_registered_primitive_has_a_row() {
    let mut seen = BTreeSet::new();
    for row in table() {
        let xs = row.inputs(&[3, 4], 1);
        let avals: Vec<Aval> = xs.iter().map(Aval::of).collect();
        for e in trace_n(|x| vec![(row.f)(x)], &avals).eqns() {
            seen.insert(e.prim.name());
        }
    }
    let rows = elementwise_rows();
    let mut failures = Vec::new();
    for p in registry() {
        let name = p.name();
        if !seen.contains(name) {
            failures.push(format!("{name}: no row of tests/table.rs uses it"));
        }
        let elementwise = matches!(p.lowering(), Lowering::Elementwise(_));
        if elementwise && name != "cast" && !rows.iter().any(|r| r.name == name) {
            failures.push(format!(
                "{name}: elementwise, but has no elementwise row of its own"
            ));
        }
    }
    report("registry", failures);
}

#[test]
fn values() {
    let mut failures = Vec::new();
    for row in elementwise_rows() {
        let xs = row.inputs(&[3, 4], 2);
        let cols: Vec<Vec<f64>> = xs.iter().map(|x| x.to_vec::<f64>()).collect();
        let want: Vec<f64> = (0..12)
            .map(|i| {
                let v: Vec<f64> = cols.iter().map(|c| c[i]).collect();
                (row.reference.expect("elementwise rows have references"))(&v)
            })
            .collect();
        if let Err(e) = close(row.name, &(row.f)(&xs), &want, 1e-12) {
            failures.push(e);
        }
    }
    report("values", failures);
}

#[test]
fn grads() {
    let mut failures = Vec::new();
    for row in table().into_iter().filter(|r| r.smooth) {
        let xs = row.inputs(&[3, 4], 3);
        let f = row.f;
        if let Err(e) = check_grads(|x: &[Tensor]| f(x).sum(), &xs, 2) {
            failures.push(format!("{}: {e}", row.name));
        }
    }
    report("grads", failures);
}

#[test]
fn vmap_matches_a_loop() {
    let mut failures = Vec::new();
    for row in table() {
        let xs = row.inputs(&[2, 3, 4], 4);
        let f = row.f;
        let n = xs.len();
        let batched = vmap_n(move |x: &[Tensor]| vec![f(x)], vec![Some(0); n], vec![0])(&xs);
        let each: Vec<Tensor> = (0..2)
            .map(|i| {
                let ex: Vec<Tensor> = xs.iter().map(|x| x.narrow(0, i, 1).squeeze(0)).collect();
                f(&ex)
            })
            .collect();
        let want = Tensor::stack(&each, 0).to_f64_vec();
        if let Err(e) = close(row.name, &batched[0], &want, 1e-12) {
            failures.push(e);
        }
    }
    report("vmap", failures);
}

/// `vmap(jit(f))` against the same loop over examples, through the compiled batched program
/// (one per row: counted), and `jit(vmap(f))` beside it.
#[test]
fn vmap_of_jit_and_jit_of_vmap_match_a_loop() {
    let mut failures = Vec::new();
    for row in table() {
        let xs = row.inputs(&[2, 3, 4], 4);
        let f = row.f;
        let n = xs.len();
        let examples: Vec<Vec<Tensor>> = (0..2)
            .map(|i| xs.iter().map(|x| x.narrow(0, i, 1).squeeze(0)).collect())
            .collect();
        let each: Vec<Tensor> = examples.iter().map(|ex| f(ex)).collect();
        let want = Tensor::stack(&each, 0).to_f64_vec();
        let j = Jit::new(move |x: &[Tensor]| vec![f(x)]);
        let mapped = vmap_n(|x: &[Tensor]| j.call(x), vec![Some(0); n], vec![0])(&xs);
        if let Err(e) = close(row.name, &mapped[0], &want, 1e-12) {
            failures.push(format!("vmap(jit) {e}"));
        }
        let programs = j.compiled(&examples[0]).unwrap().batched_programs();
        if programs != 1 {
            failures.push(format!("{}: {programs} batched programs", row.name));
        }
        let outer = Jit::new(move |x: &[Tensor]| {
            vmap_n(move |e: &[Tensor]| vec![f(e)], vec![Some(0); n], vec![0])(x)
        });
        if let Err(e) = close(row.name, &outer.call(&xs)[0], &want, 1e-12) {
            failures.push(format!("jit(vmap) {e}"));
        }
    }
    report("vmap(jit)", failures);
}

#[test]
fn jit_matches_eager() {
    let mut failures = Vec::new();
    for row in table() {
        let xs = row.inputs(&[3, 4], 5);
        let f = row.f;
        let eager = f(&xs);
        let j = Jit::new(move |x: &[Tensor]| vec![f(x)]);
        for _ in 0..2 {
            if let Err(e) = close(row.name, &j.call(&xs)[0], &eager.to_f64_vec(), 1e-12) {
                failures.push(e);
            }
        }
        if j.traces() != 1 {
            failures.push(format!("{}: traced {} times", row.name, j.traces()));
        }
        if row.reference.is_none() {
            continue;
        }
        // f32: the fused loop runs the primitive's own block function: identical bits.
        let x32: Vec<Tensor> = xs.iter().map(|x| x.cast(DType::F32)).collect();
        // (Comparison rows cast their bools to f64: compared as f64, which f32 converts to
        // exactly.)
        let eager32 = f(&x32).to_f64_vec();
        let jit32 = j.call(&x32)[0].to_f64_vec();
        let same = eager32
            .iter()
            .zip(&jit32)
            .all(|(a, b)| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()));
        if !same {
            failures.push(format!(
                "{}: f32 jit {jit32:?} vs eager {eager32:?}",
                row.name
            ));
        }
    }
    report("jit", failures);
}

#[test]
fn fusion_of_every_elementwise_primitive() {
    let mut failures = Vec::new();
    for row in elementwise_rows() {
        let f = row.f;
        // f applied twice, the second time to the first's result.
        let j = Jit::new(move |x: &[Tensor]| {
            let y = f(x);
            let mut again = x.to_vec();
            again[0] = y;
            vec![f(&again)]
        });
        let xs = row.inputs(&[64], 6);
        let c = j.compiled(&xs).unwrap();
        // A chain the simplifier removes whole (`neg(neg(x))`, copies) has nothing to fuse.
        let removed = c.steps() == 0 && c.stats().simplified > 0;
        if !removed && (c.kernels() != 1 || c.steps() != 1) {
            failures.push(format!(
                "{}: {} loops, {} steps:\n{c}",
                row.name,
                c.kernels(),
                c.steps()
            ));
        }
    }
    report("fusion", failures);
}

#[test]
fn cbrt_twice_is_one_loop_with_one_cbrt() {
    let j = Jit::new(|x: &[Tensor]| vec![x[0].cbrt() + x[0].cbrt()]);
    let x = Tensor::linspace(-8.0, 8.0, 100, DType::F64);
    let c = j.compiled(std::slice::from_ref(&x)).unwrap();
    assert_eq!((c.kernels(), c.steps()), (1, 1), "{c}");
    assert_eq!(c.listing().matches("cbrt").count(), 1, "{}", c.listing());
    let y = j.call(std::slice::from_ref(&x))[0].to_vec::<f64>();
    assert!((y[0] - 2.0 * (-2.0)).abs() < 1e-15, "{}", y[0]);
}

#[test]
fn hostile_inputs_do_not_panic() {
    let mut failures = Vec::new();
    for row in table() {
        let f = row.f;
        let mut xs = row.inputs(&[3, 4], 7);
        let special = Tensor::from_vec(
            vec![
                f64::NAN,
                f64::INFINITY,
                f64::NEG_INFINITY,
                -0.0,
                0.0,
                1e308,
                -1e-308,
                1.0,
                2.0,
                3.0,
                4.0,
                5.0,
            ],
            &[3, 4],
        );
        xs[0] = special;
        let mut cases = vec![("NaN and infinities", xs)];
        if row.reference.is_some() {
            cases.push(("empty", row.inputs(&[0, 4], 8)));
        }
        for (what, xs) in cases {
            let dims = xs[0].dims().to_vec();
            let r = catch_unwind(AssertUnwindSafe(|| f(&xs)));
            match r {
                Err(_) => failures.push(format!("{}: panicked on {what}", row.name)),
                Ok(y) if row.reference.is_some() && y.dims() != dims => {
                    failures.push(format!("{}: {what}: shape {:?}", row.name, y.dims()))
                }
                Ok(_) => {}
            }
        }
    }
    report("hostile", failures);
}

/// Sparsity patterns (`cotangent::sparse`) never miss a nonzero of the dense Jacobian, for
/// every row of the table with respect to its first input; extra entries are counted.
#[test]
fn sparsity_patterns_cover_the_dense_jacobian() {
    let mut failures = Vec::new();
    let (mut extra, mut conservative) = (0, BTreeSet::new());
    for row in table() {
        let xs = row.inputs(&[3, 4], 9);
        let f = |x: &Tensor| {
            let mut all = xs.clone();
            all[0] = x.clone();
            (row.f)(&all)
        };
        let y = f(&xs[0]);
        if !y.dtype().is_float() || !row.smooth {
            continue;
        }
        let m = y.numel();
        let p = match cotangent::sparse::jacobian_sparsity(f, &xs[0]) {
            Ok(p) => p,
            Err(e) => {
                failures.push(format!("{}: {e}", row.name));
                continue;
            }
        };
        conservative.extend(p.conservative.iter().copied());
        let d = jacobian(|x: &Tensor| f(x).reshape(&[m]))(&xs[0]).to_vec::<f64>();
        let n = xs[0].numel();
        let mut nonzeros = 0;
        for i in 0..m {
            for j in 0..n {
                if d[i * n + j] != 0.0 {
                    nonzeros += 1;
                    if !p.contains(i, j) {
                        failures.push(format!("{}: misses ({i}, {j})", row.name));
                    }
                }
            }
        }
        let e = p.nnz() - nonzeros.min(p.nnz());
        if e > 0 {
            eprintln!(
                "  {}: {e} of {} pattern entries are zero here",
                row.name,
                p.nnz()
            );
        }
        extra += e;
    }
    eprintln!("sparsity over the table: {extra} extra entries; dense for {conservative:?}");
    report("sparsity", failures);
}

/// `f` on `xs` cast to `dtype` (exactly representable inputs: f64 values rounded to `dtype`),
/// and on the same values in f32.
fn in_half(f: Fun, xs: &[Tensor], dtype: DType) -> (Tensor, Tensor) {
    let h: Vec<Tensor> = xs.iter().map(|x| x.cast(dtype)).collect();
    let w: Vec<Tensor> = h.iter().map(|x| x.cast(DType::F32)).collect();
    (f(&h), f(&w))
}

/// Bit patterns of `t`'s elements as f64 (exact for every dtype), NaNs made equal.
fn bits(t: &Tensor) -> Vec<u64> {
    t.to_f64_vec()
        .iter()
        .map(|x| if x.is_nan() { u64::MAX } else { x.to_bits() })
        .collect()
}

#[test]
fn half_precision_is_the_f32_result_rounded_once() {
    // Every elementwise primitive on f16 and bf16 values computes in f32 and rounds once: the
    // same bits as the f32 result cast to the half type, eagerly, under jit and under vmap.
    let mut failures = Vec::new();
    for dtype in [DType::F16, DType::BF16] {
        for row in elementwise_rows() {
            let xs = row.inputs(&[3, 4], 8);
            let (half, wide) = in_half(row.f, &xs, dtype);
            let want = wide.cast(half.dtype());
            if half.dtype() != dtype && half.dtype() != DType::F64 {
                failures.push(format!("{} {dtype}: result is {}", row.name, half.dtype()));
            }
            if bits(&half) != bits(&want) {
                failures.push(format!("{} {dtype}: {half} vs {want}", row.name));
            }
            let f = row.f;
            let h: Vec<Tensor> = xs.iter().map(|x| x.cast(dtype)).collect();
            let jitted = Jit::new(move |x: &[Tensor]| vec![f(x)]).call(&h).remove(0);
            if bits(&jitted) != bits(&half) {
                failures.push(format!(
                    "{} {dtype}: jit {jitted} vs eager {half}",
                    row.name
                ));
            }
            let n = h.len();
            let b: Vec<Tensor> = h.iter().map(|x| x.reshape(&[3, 1, 4])).collect();
            let batched = vmap_n(move |x: &[Tensor]| vec![f(x)], vec![Some(0); n], vec![0])(&b);
            if bits(&batched[0]) != bits(&half.reshape(&[3, 1, 4])) {
                failures.push(format!(
                    "{} {dtype}: vmap {} vs {half}",
                    row.name, batched[0]
                ));
            }
        }
    }
    report("half", failures);
}

#[test]
fn half_precision_gradients_follow_f64_to_the_half_types_precision() {
    // Gradients of half values are half values; each rule's ops round once each, so the
    // gradient agrees with the f64 one to a few units of the type's epsilon.
    let mut failures = Vec::new();
    for (dtype, tol) in [(DType::F16, 1e-2), (DType::BF16, 6e-2)] {
        for row in elementwise_rows().into_iter().filter(|r| r.smooth) {
            let xs = row.inputs(&[3, 4], 9);
            let h: Vec<Tensor> = xs.iter().map(|x| x.cast(dtype)).collect();
            let exact: Vec<Tensor> = h.iter().map(|x| x.cast(DType::F64)).collect();
            let f = row.f;
            let gh = grad_n(move |x: &[Tensor]| f(x).sum())(&h);
            let g64 = grad_n(move |x: &[Tensor]| f(x).sum())(&exact);
            for (i, (a, b)) in gh.iter().zip(&g64).enumerate() {
                if a.dtype() != dtype {
                    failures.push(format!(
                        "{} {dtype}: gradient {i} is {}",
                        row.name,
                        a.dtype()
                    ));
                }
                if let Err(e) = close(row.name, a, &b.to_f64_vec(), tol) {
                    failures.push(format!("{dtype} gradient {i}: {e}"));
                }
            }
        }
    }
    report("half gradients", failures);
}
