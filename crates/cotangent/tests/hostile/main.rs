//! Hostile and edge inputs, each through the `try_` API (which must never panic) and, where it
//! makes sense, through `grad` / `jvp` / `backward` too: zero-size dims, rank 0 and rank 8,
//! non-contiguous views, broadcasting corners, shapes whose element count overflows, NaN and
//! infinities, and misuse that must come back as an `Err` of the right kind.
//!
//! NaN/inf conventions checked here (the JAX / IEEE ones): `max`/`maximum` propagate NaN,
//! `relu(NaN)` is NaN, a sum with `inf` is `inf` (and `inf + -inf` is NaN), the max of an empty
//! axis is an error, its sum is 0, its mean is NaN (0/0), `logsumexp` of an empty axis is `-inf`,
//! `softmax([inf, 1])` is NaN everywhere (`inf - inf`), float→int casts saturate with NaN → 0.

use cotangent::testing::check_grads;
use cotangent::*;

mod levels;
mod memory;
mod misuse;
mod numerics;

const F: DType = DType::F64;

fn t(data: Vec<f64>, shape: &[usize]) -> Tensor {
    Tensor::try_from_vec(data, shape).unwrap()
}

fn i64s(data: Vec<i64>) -> Tensor {
    let n = data.len();
    Tensor::try_from_vec(data, &[n]).unwrap()
}

fn randn(shape: &[usize], seed: u64) -> Tensor {
    Tensor::randn(shape, seed, F)
}

/// A contiguous copy with no storage shared with `x`.
fn copy(x: &Tensor) -> Tensor {
    Tensor::try_from_vec(x.to_vec::<f64>(), x.dims()).unwrap()
}

fn v(x: &Tensor) -> Vec<f64> {
    x.to_f64_vec()
}

/// Equal values (NaN equal to NaN, signed infinities exact), within `tol` otherwise.
#[track_caller]
fn assert_close(got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "got {got:?}, want {want:?}");
    for (g, w) in got.iter().zip(want) {
        let ok = (g.is_nan() && w.is_nan())
            || g == w
            || (g.is_finite() && w.is_finite() && (g - w).abs() <= tol * (1.0 + w.abs()));
        assert!(ok, "got {got:?}, want {want:?}");
    }
}

#[track_caller]
fn assert_same(a: &Tensor, b: &Tensor) {
    assert_eq!(a.dims(), b.dims(), "shapes differ");
    assert_eq!(a.dtype(), b.dtype(), "dtypes differ");
    assert_close(&v(a), &v(b), 1e-12);
}

#[track_caller]
fn assert_kind<T: std::fmt::Debug>(r: Result<T>, kind: ErrorKind) -> Error {
    let e = r.expect_err("expected an error");
    assert_eq!(e.kind, kind, "{e}");
    e
}

/// Sum of all elements as a scalar (for gradients of tensor-valued functions).
fn total(x: Tensor) -> Tensor {
    x.try_sum().unwrap()
}

// ---------------------------------------------------------------------------------------------
// Zero-size dimensions.
// ---------------------------------------------------------------------------------------------

const EMPTY_SHAPES: [&[usize]; 4] = [&[0], &[3, 0], &[0, 4], &[2, 0, 3]];

type Unary = fn(&Tensor) -> Result<Tensor>;

const UNARY: [(&str, Unary); 28] = [
    ("exp", Tensor::try_exp),
    ("log", Tensor::try_log),
    ("sin", Tensor::try_sin),
    ("cos", Tensor::try_cos),
    ("tan", Tensor::try_tan),
    ("asin", Tensor::try_asin),
    ("acos", Tensor::try_acos),
    ("atan", Tensor::try_atan),
    ("sinh", Tensor::try_sinh),
    ("cosh", Tensor::try_cosh),
    ("tanh", Tensor::try_tanh),
    ("asinh", Tensor::try_asinh),
    ("atanh", Tensor::try_atanh),
    ("sqrt", Tensor::try_sqrt),
    ("expm1", Tensor::try_expm1),
    ("log1p", Tensor::try_log1p),
    ("abs", Tensor::try_abs),
    ("sign", Tensor::try_sign),
    ("erf", Tensor::try_erf),
    ("erfc", Tensor::try_erfc),
    ("floor", Tensor::try_floor),
    ("round", Tensor::try_round),
    ("neg", Tensor::try_neg),
    ("recip", Tensor::try_recip),
    ("relu", Tensor::try_relu),
    ("sigmoid", Tensor::try_sigmoid),
    ("softplus", Tensor::try_softplus),
    ("gelu", Tensor::try_gelu),
];

type Binary = fn(&Tensor, &Tensor) -> Result<Tensor>;

const BINARY: [(&str, Binary); 8] = [
    ("add", Tensor::try_add),
    ("sub", Tensor::try_sub),
    ("mul", Tensor::try_mul),
    ("div", Tensor::try_div),
    ("pow", Tensor::try_pow),
    ("maximum", Tensor::try_maximum),
    ("minimum", Tensor::try_minimum),
    ("atan2", Tensor::try_atan2),
];

const COMPARE: [(&str, Binary); 6] = [
    ("eq", Tensor::try_eq),
    ("ne", Tensor::try_ne),
    ("lt", Tensor::try_lt),
    ("le", Tensor::try_le),
    ("gt", Tensor::try_gt),
    ("ge", Tensor::try_ge),
];

#[test]
fn empty_tensors_through_every_elementwise_op_and_their_derivatives() {
    for shape in EMPTY_SHAPES {
        let x = Tensor::try_full(shape, 0.5, F).unwrap();
        assert_eq!(x.numel(), 0);
        for (name, op) in UNARY {
            let y = op(&x).unwrap_or_else(|e| panic!("{name}{shape:?}: {e}"));
            assert_eq!(y.dims(), shape, "{name}");
            let g = grad(|x: &Tensor| total(op(x).unwrap()))(&x);
            assert_eq!(g.dims(), shape, "grad of {name}");
            let (_, tan) = jvp(
                |xs: &[Tensor]| op(&xs[0]).unwrap(),
                &[x.clone()],
                &[x.clone()],
            );
            assert_eq!(tan.dims(), shape, "jvp of {name}");
        }
        for (name, op) in BINARY {
            let y = op(&x, &x).unwrap_or_else(|e| panic!("{name}{shape:?}: {e}"));
            assert_eq!(y.dims(), shape, "{name}");
            // With a scalar on either side (broadcast to the empty shape).
            let s = Tensor::scalar(2.0);
            assert_eq!(op(&x, &s).unwrap().dims(), shape, "{name}");
            assert_eq!(op(&s, &x).unwrap().dims(), shape, "{name}");
            let gs =
                grad_n(|xs: &[Tensor]| total(op(&xs[0], &xs[1]).unwrap()))(&[x.clone(), s.clone()]);
            assert_eq!(gs[0].dims(), shape, "grad of {name}");
            assert_eq!(v(&gs[1]), vec![0.0], "grad of {name} wrt the scalar");
        }
        for (name, op) in COMPARE {
            let c = op(&x, &x).unwrap();
            assert_eq!((c.dims(), c.dtype()), (shape, DType::Bool), "{name}");
            let sel = c.try_select(&x, &Tensor::scalar(1.0)).unwrap();
            assert_eq!(sel.dims(), shape);
        }
        for dt in [DType::F32, DType::I64, DType::Bool] {
            assert_eq!(x.try_cast(dt).unwrap().dims(), shape);
        }
        check_grads(
            |xs: &[Tensor]| (xs[0].sin() * &xs[0]).sum(),
            &[x.clone()],
            2,
        )
        .unwrap();
        let leaf = x.requires_grad();
        let gr = (leaf.exp() * 3.0).sum().backward();
        assert_eq!(gr.wrt(&leaf).dims(), shape);
    }
}

#[test]
fn broadcasting_with_empty_dims() {
    let a = Tensor::zeros(&[0, 3], F);
    let b = randn(&[1, 3], 1);
    assert_eq!(a.try_add(&b).unwrap().dims(), &[0, 3]);
    assert_eq!(b.try_mul(&a).unwrap().dims(), &[0, 3]);
    assert_eq!(a.try_add(&randn(&[3], 2)).unwrap().dims(), &[0, 3]);
    // A size-1 dim stretches to 0; a size-2 dim does not.
    assert_eq!(
        randn(&[1], 3)
            .try_add(&Tensor::zeros(&[0], F))
            .unwrap()
            .dims(),
        &[0]
    );
    let e = assert_kind(
        Tensor::zeros(&[0], F).try_add(&randn(&[2], 4)),
        ErrorKind::Shape,
    );
    assert!(
        e.to_string().contains("[0]") && e.to_string().contains("[2]"),
        "{e}"
    );
    // The broadcast operand gets a zero gradient of its own shape.
    let g = grad_n(|xs: &[Tensor]| (&xs[0] * &xs[1]).sum())(&[a.clone(), b.clone()]);
    assert_eq!(g[0].dims(), &[0, 3]);
    assert_eq!((g[1].dims(), v(&g[1])), (&[1usize, 3][..], vec![0.0; 3]));
    let (_, tan) = jvp(
        |xs: &[Tensor]| (&xs[0] + &xs[1]).sum_axes(&[0], false),
        &[a.clone(), b.clone()],
        &[a.clone(), b.ones_like()],
    );
    assert_eq!(
        v(&tan),
        vec![0.0; 3],
        "summing an empty axis of the tangent"
    );
    assert_eq!(
        Tensor::scalar(1.0)
            .try_broadcast_to(&[2, 0])
            .unwrap()
            .dims(),
        &[2, 0]
    );
}

#[test]
fn reductions_over_empty_axes() {
    let x = Tensor::zeros(&[3, 0], F);
    // Sum over the empty axis is 0; over the non-empty axis it is empty.
    assert_eq!(v(&x.try_sum_axes(&[1], false).unwrap()), vec![0.0; 3]);
    assert_eq!(x.try_sum_axes(&[1], true).unwrap().dims(), &[3, 1]);
    assert_eq!(x.try_sum_axes(&[0], false).unwrap().dims(), &[0]);
    assert_eq!(v(&x.try_sum().unwrap()), vec![0.0]);
    assert_eq!(v(&Tensor::zeros(&[0], F).try_sum().unwrap()), vec![0.0]);
    // Max of nothing is an error (JAX and PyTorch raise too), naming the empty axis.
    let e = assert_kind(x.try_max_axes(&[1], false), ErrorKind::Shape);
    assert!(
        e.to_string().contains("axis 1 of shape [3, 0] is empty"),
        "{e}"
    );
    assert_kind(x.try_max_axes(&[-1], true), ErrorKind::Shape);
    assert_eq!(x.try_max_axes(&[0], false).unwrap().dims(), &[0]);
    assert_kind(Tensor::zeros(&[0], F).try_max(), ErrorKind::Shape);
    // Mean and variance of nothing are 0/0 = NaN (as NumPy and JAX).
    assert!(v(&x.try_mean_axes(&[1], false).unwrap())
        .iter()
        .all(|m| m.is_nan()));
    assert!(v(&Tensor::zeros(&[0], F).try_mean().unwrap())[0].is_nan());
    assert_eq!(x.try_mean_axes(&[0], false).unwrap().dims(), &[0]);
    assert!(v(&x.try_var_axes(&[1], false).unwrap())
        .iter()
        .all(|m| m.is_nan()));
    // logsumexp of nothing is log(0) = -inf; softmax of an empty axis is empty.
    assert_eq!(
        v(&x.try_logsumexp(&[1], false).unwrap()),
        vec![f64::NEG_INFINITY; 3]
    );
    assert_eq!(x.try_logsumexp(&[1], true).unwrap().dims(), &[3, 1]);
    assert_eq!(x.try_logsumexp(&[0], false).unwrap().dims(), &[0]);
    assert_eq!(x.try_softmax(1).unwrap().dims(), &[3, 0]);
    assert_eq!(x.try_softmax(0).unwrap().dims(), &[3, 0]);
    assert_eq!(x.try_log_softmax(-1).unwrap().dims(), &[3, 0]);
    // Derivatives: empty gradients of the input's shape, zero tangents for empty sums.
    type Red = fn(&Tensor) -> Tensor;
    let fns: [Red; 6] = [
        |x| x.sum_axes(&[1], false).sum(),
        |x| {
            x.max_axes(&[if x.dims()[0] == 0 { 1 } else { 0 }], false)
                .sum()
        },
        |x| x.mean_axes(&[0], true).sum(),
        |x| x.logsumexp(&[0], false).sum(),
        |x| x.softmax(1).sum(),
        |x| x.log_softmax(0).sum(),
    ];
    for (i, f) in fns.iter().enumerate() {
        for shape in [&[3usize, 0][..], &[0, 4]] {
            let z = Tensor::zeros(shape, F);
            let g = grad(f)(&z);
            assert_eq!(g.dims(), shape, "reduction {i}");
            let (y, tan) = jvp(|xs: &[Tensor]| f(&xs[0]), &[z.clone()], &[z.ones_like()]);
            assert_eq!(y.rank(), 0);
            assert!(v(&tan)[0] == 0.0 || v(&tan)[0].is_nan(), "reduction {i}");
        }
    }
    // The -inf of an empty max flows into a finite result where it should not matter.
    let m = grad(|x: &Tensor| x.sum_axes(&[1], false).exp().sum())(&x);
    assert_eq!(m.dims(), &[3, 0]);
}

#[test]
fn matmul_with_zero_sized_dims() {
    let zeros_k = Tensor::zeros(&[2, 0], F)
        .try_matmul(&Tensor::zeros(&[0, 3], F))
        .unwrap();
    assert_eq!(
        (zeros_k.dims(), v(&zeros_k)),
        (&[2usize, 3][..], vec![0.0; 6])
    );
    // k = 0 through a transposed view, and batched.
    let tk = Tensor::zeros(&[0, 2], F)
        .t()
        .try_matmul(&Tensor::zeros(&[0, 3], F))
        .unwrap();
    assert_eq!(v(&tk), vec![0.0; 6]);
    let bk = Tensor::zeros(&[4, 2, 0], F)
        .try_matmul(&Tensor::zeros(&[0, 3], F))
        .unwrap();
    assert_eq!((bk.dims(), v(&bk)), (&[4usize, 2, 3][..], vec![0.0; 24]));
    let cases: [(&[usize], &[usize], &[usize]); 7] = [
        (&[0, 3], &[3, 2], &[0, 2]),
        (&[2, 3], &[3, 0], &[2, 0]),
        (&[0, 2, 3], &[0, 3, 4], &[0, 2, 4]),
        (&[0, 2, 3], &[3, 4], &[0, 2, 4]),
        (&[0], &[0], &[]),
        (&[0], &[0, 3], &[3]),
        (&[2, 0], &[0], &[2]),
    ];
    for (a, b, out) in cases {
        let (x, y) = (randn(a, 1), randn(b, 2));
        let z = x.try_matmul(&y).unwrap();
        assert_eq!(z.dims(), out, "{a:?} @ {b:?}");
        assert!(v(&z).iter().all(|&e| e == 0.0), "{a:?} @ {b:?}");
        let g = grad_n(|xs: &[Tensor]| xs[0].matmul(&xs[1]).sum())(&[x.clone(), y.clone()]);
        assert_eq!((g[0].dims(), g[1].dims()), (a, b));
        assert!(v(&g[0]).iter().chain(&v(&g[1])).all(|&e| e == 0.0));
        check_grads(|xs: &[Tensor]| xs[0].matmul(&xs[1]), &[x, y], 2).unwrap();
    }
    // m = 0 against a non-empty rhs: the rhs gradient is zeros, not garbage.
    let w = randn(&[3, 2], 5);
    let gw = grad(|w: &Tensor| Tensor::zeros(&[0, 3], F).matmul(w).sum())(&w);
    assert_eq!(v(&gw), vec![0.0; 6]);
}

#[test]
fn shape_ops_on_and_to_empty_tensors() {
    let e = Tensor::zeros(&[0, 3], F);
    assert_eq!(e.try_reshape(&[3, 0, 5]).unwrap().dims(), &[3, 0, 5]);
    assert_eq!(e.try_reshape(&[0]).unwrap().dims(), &[0]);
    assert_kind(e.try_reshape(&[1]), ErrorKind::Shape);
    assert_eq!(e.try_permute(&[1, 0]).unwrap().dims(), &[3, 0]);
    assert_eq!(e.try_transpose(0, 1).unwrap().dims(), &[3, 0]);
    assert_eq!(e.try_unsqueeze(1).unwrap().dims(), &[0, 1, 3]);
    assert_eq!(
        e.try_unsqueeze(0).unwrap().try_squeeze(0).unwrap().dims(),
        &[0, 3]
    );
    assert_kind(e.try_squeeze(0), ErrorKind::Shape);
    assert_eq!(e.try_broadcast_to(&[2, 0, 3]).unwrap().dims(), &[2, 0, 3]);
    // Slices and narrows down to length 0, at the start, the middle and the very end.
    let x = randn(&[4, 3], 7);
    assert_eq!(x.try_slice_axis(0, 2, 2, 1).unwrap().dims(), &[0, 3]);
    assert_eq!(x.try_slice_axis(1, 3, 10, 2).unwrap().dims(), &[4, 0]);
    assert_eq!(x.try_slice_axis(0, -1, 0, 1).unwrap().dims(), &[0, 3]);
    assert_eq!(x.try_narrow(0, 4, 0).unwrap().dims(), &[0, 3]);
    assert_eq!(x.try_narrow(1, 0, 0).unwrap().dims(), &[4, 0]);
    assert_kind(x.try_narrow(0, 5, 0), ErrorKind::Shape);
    let g = grad(|x: &Tensor| x.narrow(1, 1, 0).sum() + x.slice_axis(0, 3, 1, 1).sum())(&x);
    assert_eq!((g.dims(), v(&g)), (&[4usize, 3][..], vec![0.0; 12]));
    // Padding an empty tensor gives a tensor of the fill value.
    let p = e.try_pad(&[(1, 1), (0, 1)], 5.0).unwrap();
    assert_eq!((p.dims(), v(&p)), (&[2usize, 4][..], vec![5.0; 8]));
    let gp = grad(|x: &Tensor| x.pad(&[(1, 1), (0, 1)], 5.0).sum())(&e);
    assert_eq!(gp.dims(), &[0, 3]);
    let (_, tp) = jvp(
        |xs: &[Tensor]| xs[0].pad(&[(2, 0), (0, 0)], 1.0),
        &[e.clone()],
        &[e.clone()],
    );
    assert_eq!((tp.dims(), v(&tp)), (&[2usize, 3][..], vec![0.0; 6]));
    // Concat with an empty part, in any position, and of empty parts only.
    for parts in [
        vec![x.clone(), e.clone()],
        vec![e.clone(), x.clone()],
        vec![e.clone(), x.clone(), e.clone()],
    ] {
        let c = Tensor::try_concat(&parts, 0).unwrap();
        assert_same(&c, &x);
        let gs = grad_n(|xs: &[Tensor]| (Tensor::concat(xs, 0) * 2.0).sum())(&parts);
        for (g, p) in gs.iter().zip(&parts) {
            assert_eq!(g.dims(), p.dims());
            assert!(v(g).iter().all(|&e| e == 2.0));
        }
    }
    assert_eq!(
        Tensor::try_concat(&[e.clone(), e.clone()], 0)
            .unwrap()
            .dims(),
        &[0, 3]
    );
    assert_eq!(
        Tensor::try_concat(&[e.clone(), e.clone()], 1)
            .unwrap()
            .dims(),
        &[0, 6]
    );
    assert_kind(
        Tensor::try_concat(&[e.clone(), x.clone()], 1),
        ErrorKind::Shape,
    );
}

#[test]
fn index_ops_with_empty_indices_and_empty_sources() {
    let none = i64s(vec![]);
    let x = randn(&[3, 2], 1);
    assert_eq!(x.try_index_select(0, &none).unwrap().dims(), &[0, 2]);
    assert_eq!(x.try_index_select(-1, &none).unwrap().dims(), &[3, 0]);
    let g = grad(|x: &Tensor| x.index_select(0, &none).sum())(&x);
    assert_eq!(v(&g), vec![0.0; 6]);
    check_grads(
        |xs: &[Tensor]| xs[0].index_select(1, &none),
        &[x.clone()],
        2,
    )
    .unwrap();
    // Gathering along the non-empty axis of an empty tensor.
    let e = Tensor::zeros(&[0, 3], F);
    assert_eq!(
        e.try_index_select(1, &i64s(vec![2, 0, 2])).unwrap().dims(),
        &[0, 3]
    );
    // Any index into an empty axis is out of range.
    assert_kind(e.try_index_select(0, &i64s(vec![0])), ErrorKind::Index);
    // Scatter with nothing to add leaves the base.
    let s = x
        .try_scatter_add(0, &none, &Tensor::zeros(&[0, 2], F))
        .unwrap();
    assert_same(&s, &x);
    let gs = grad_n(|xs: &[Tensor]| xs[0].scatter_add(0, &none, &xs[1]).sum())(&[
        x.clone(),
        Tensor::zeros(&[0, 2], F),
    ]);
    assert_eq!((v(&gs[0]), gs[1].dims()), (vec![1.0; 6], &[0usize, 2][..]));
    // One-hot and cross-entropy of an empty batch (the mean of nothing is NaN, as PyTorch).
    assert_eq!(none.try_one_hot(4, F).unwrap().dims(), &[0, 4]);
    let ce = Tensor::zeros(&[0, 3], F).try_cross_entropy(&none).unwrap();
    assert!(ce.try_item::<f64>().unwrap().is_nan());
}

#[test]
fn every_transformation_of_empty_functions() {
    let e = Tensor::zeros(&[0], F);
    let x = randn(&[3], 1);
    // Jacobians with an empty input or an empty output, both modes.
    assert_eq!(jacrev(|x: &Tensor| x.sin())(&e).dims(), &[0, 0]);
    assert_eq!(jacfwd(|x: &Tensor| x.sin())(&e).dims(), &[0, 0]);
    assert_eq!(jacobian(|x: &Tensor| x.exp())(&e).dims(), &[0, 0]);
    assert_eq!(jacrev(|x: &Tensor| x.narrow(0, 0, 0))(&x).dims(), &[0, 3]);
    assert_eq!(jacfwd(|x: &Tensor| x.narrow(0, 0, 0))(&x).dims(), &[0, 3]);
    assert_eq!(hessian(|x: &Tensor| x.sin().sum())(&e).dims(), &[0, 0]);
    assert_eq!(hvp(|x: &Tensor| x.sin().sum(), &e, &e).dims(), &[0]);
    // Tape, checkpoint and custom rules.
    let tape = GradientTape::new();
    let w = tape.watch(&e);
    let y = w.exp().sum();
    assert_eq!(tape.try_gradient(&y, &[&w]).unwrap()[0].dims(), &[0]);
    let ck = checkpoint(|xs: &[Tensor]| xs[0].sin());
    assert_eq!(grad(|x: &Tensor| ck(&[x.clone()]).sum())(&e).dims(), &[0]);
    let cv = custom_vjp(
        |xs: &[Tensor]| xs[0].sin(),
        |xs: &[Tensor], _: &Tensor, g: &Tensor| vec![g * &xs[0].cos()],
    );
    assert_eq!(grad(|x: &Tensor| cv(&[x.clone()]).sum())(&e).dims(), &[0]);
    let (y, pb) = vjp(
        |xs: &[Tensor]| xs[0].sum_axes(&[0], false),
        &[Tensor::zeros(&[0, 2], F)],
    );
    assert_eq!(v(&y), vec![0.0, 0.0]);
    assert_eq!(pb.call(&Tensor::ones(&[2], F))[0].dims(), &[0, 2]);
    let (_, lin) = linearize(|xs: &[Tensor]| xs[0].exp(), &[e.clone()]);
    assert_eq!(lin.call(&[e.clone()]).dims(), &[0]);
    // Empty constructors.
    assert_eq!(Tensor::linspace(0.0, 1.0, 0, F).dims(), &[0]);
    assert_eq!(Tensor::eye(0, F).dims(), &[0, 0]);
    assert_eq!(Tensor::try_arange(0.0, 0.0, 1.0, F).unwrap().dims(), &[0]);
    assert_eq!(Tensor::try_arange(0.0, -1.0, 1.0, F).unwrap().dims(), &[0]);
    // Zero classes: every label is out of range (an error, as in PyTorch and cross_entropy).
    assert_kind(i64s(vec![0, 1]).try_one_hot(0, F), ErrorKind::Index);
    assert_eq!(i64s(vec![]).try_one_hot(0, F).unwrap().dims(), &[0, 0]);
    // Zero classes: every label is out of range.
    assert_kind(
        Tensor::zeros(&[2, 0], F).try_cross_entropy(&i64s(vec![0, 0])),
        ErrorKind::Index,
    );
    assert_eq!(Tensor::stack(&[e.clone(), e.clone()], 0).dims(), &[2, 0]);
}

// ---------------------------------------------------------------------------------------------
// Rank 0 and rank 8.
// ---------------------------------------------------------------------------------------------

#[test]
fn rank_zero_tensors_everywhere() {
    let x = Tensor::scalar(0.7);
    let y = Tensor::scalar(-1.3);
    for (name, op) in UNARY {
        let r = op(&x).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(r.rank(), 0, "{name}");
    }
    for (name, op) in BINARY.iter().chain(&COMPARE) {
        assert_eq!(op(&x, &y).unwrap().rank(), 0, "{name}");
    }
    // Reductions over no axes are the identity; over all axes of a scalar too.
    assert_same(&x.try_sum().unwrap(), &x);
    assert_same(&x.try_sum_axes(&[], true).unwrap(), &x);
    assert_same(&x.try_max().unwrap(), &x);
    assert_same(&x.try_mean().unwrap(), &x);
    assert_same(&x.try_logsumexp(&[], false).unwrap(), &x);
    assert_eq!(v(&x.try_var_axes(&[], false).unwrap()), vec![0.0]);
    assert_kind(x.try_sum_axes(&[0], false), ErrorKind::Axis);
    assert_kind(x.try_softmax(0), ErrorKind::Axis);
    // Shape ops: reshape to and from ones, empty permutation, unsqueeze, empty padding.
    assert_eq!(x.try_reshape(&[1, 1]).unwrap().dims(), &[1, 1]);
    assert_eq!(
        x.try_reshape(&[1, 1])
            .unwrap()
            .try_reshape(())
            .unwrap()
            .rank(),
        0
    );
    assert_same(&x.try_permute(&[]).unwrap(), &x);
    assert_eq!(x.try_unsqueeze(0).unwrap().dims(), &[1]);
    assert_eq!(x.try_unsqueeze(-1).unwrap().dims(), &[1]);
    assert_same(&x.try_pad(&[], 3.0).unwrap(), &x);
    assert_eq!(x.try_broadcast_to(&[2, 3]).unwrap().numel(), 6);
    assert_same(&x.t(), &x);
    assert_kind(Tensor::try_concat(&[x.clone()], -1), ErrorKind::Axis);
    assert_kind(x.try_transpose(0, 0), ErrorKind::Axis);
    assert_kind(x.try_slice_axis(0, 0, 1, 1), ErrorKind::Axis);
    assert_kind(x.try_narrow(0, 0, 1), ErrorKind::Axis);
    assert_kind(x.try_squeeze(0), ErrorKind::Axis);
    assert_kind(x.try_pad(&[(1, 1)], 0.0), ErrorKind::Shape);
    assert_kind(
        Tensor::try_concat(&[x.clone(), y.clone()], 0),
        ErrorKind::Axis,
    );
    assert_kind(x.try_index_select(0, &i64s(vec![0])), ErrorKind::Axis);
    assert_kind(x.try_matmul(&y), ErrorKind::Shape);
    assert_kind(x.try_matmul(&Tensor::ones(&[1], F)), ErrorKind::Shape);
    assert_eq!(x.try_item::<f64>().unwrap(), 0.7);
    assert_eq!(x.try_cast(DType::I64).unwrap().to_vec::<i64>(), vec![0]);
    // Rank-0 with broadcasting and one-hot of a rank-0 label.
    assert_eq!(x.try_add(&randn(&[2, 2], 1)).unwrap().dims(), &[2, 2]);
    assert_eq!(
        Tensor::scalar(2i64)
            .try_one_hot(3, F)
            .unwrap()
            .to_vec::<f64>(),
        vec![0.0, 0.0, 1.0]
    );
    // Every derivative mode on a rank-0 program.
    let f = |xs: &[Tensor]| {
        (xs[0].sin() * &xs[1] + xs[0].reshape(&[1]).sum()).softplus() / (xs[1].square() + 1.0)
    };
    check_grads(f, &[x.clone(), y.clone()], 2).unwrap();
    let g = grad_n(f)(&[x.clone(), y.clone()]);
    let (lx, ly) = (x.requires_grad(), y.requires_grad());
    let gb = f(&[lx.clone(), ly.clone()]).backward();
    assert_same(&gb.wrt(&lx), &g[0]);
    assert_same(&gb.wrt(&ly), &g[1]);
    let h = hessian(|x: &Tensor| x.powf(3.0))(&x);
    assert_close(&v(&h), &[6.0 * 0.7], 1e-12);
}

#[test]
fn rank_eight_tensors() {
    let s8 = [1, 2, 1, 2, 1, 2, 1, 2];
    let a = randn(&s8, 1);
    let b = randn(&[2, 1, 1, 1, 2, 1, 2, 1], 2);
    // Elementwise and broadcasting against lower ranks and another rank 8.
    let sum = a.try_add(&b).unwrap();
    assert_eq!(sum.dims(), &[2, 2, 1, 2, 2, 2, 2, 2]);
    assert_eq!(a.try_mul(&randn(&[2], 3)).unwrap().dims(), &s8);
    // Every element by hand (a size-1 dim is read at index 0).
    let at = |x: &Tensor, idx: &[usize]| {
        let flat = idx
            .iter()
            .zip(x.dims())
            .fold(0, |f, (&i, &d)| f * d + if d == 1 { 0 } else { i });
        x.to_vec::<f64>()[flat]
    };
    let out = sum.to_vec::<f64>();
    let mut idx = [0usize; 8];
    for (k, &got) in out.iter().enumerate() {
        let mut rest = k;
        for d in (0..8).rev() {
            idx[d] = rest % sum.dims()[d];
            rest /= sum.dims()[d];
        }
        assert_eq!(got, at(&a, &idx) + at(&b, &idx), "at {idx:?}");
    }
    // Reductions over several scattered axes, with keepdim.
    let r = a.try_sum_axes(&[1, 3, -1], true).unwrap();
    assert_eq!(r.dims(), &[1, 1, 1, 1, 1, 2, 1, 1]);
    let full: f64 = a.to_vec::<f64>().iter().sum();
    assert_close(&[r.try_sum().unwrap().item::<f64>()], &[full], 1e-12);
    assert_eq!(
        a.try_max_axes(&[0, 2, 4, 6], false).unwrap().dims(),
        &[2, 2, 2, 2]
    );
    // Permute (reversal) and back.
    let p = a.try_permute(&[7, 6, 5, 4, 3, 2, 1, 0]).unwrap();
    assert_eq!(p.dims(), &[2, 1, 2, 1, 2, 1, 2, 1]);
    assert_same(&p.try_permute(&[7, 6, 5, 4, 3, 2, 1, 0]).unwrap(), &a);
    // Batched matmul with broadcast batch dims, against an elementwise formulation.
    let m = randn(&[1, 2, 1, 2, 1, 2, 2, 3], 4);
    let n = randn(&[2, 1, 1, 1, 2, 1, 3, 2], 5);
    let mm = m.try_matmul(&n).unwrap();
    assert_eq!(mm.dims(), &[2, 2, 1, 2, 2, 2, 2, 2]);
    let reference = (m.unsqueeze(-1) * n.unsqueeze(-3)).sum_axes(&[-2], false);
    assert_same(&mm, &reference);
    // Derivatives through all of it.
    let f = |xs: &[Tensor]| {
        let y = (&xs[0] * &xs[1]).tanh();
        let z = y.permute(&[7, 6, 5, 4, 3, 2, 1, 0]).sum_axes(&[0, 5], true);
        z.matmul(&z.transpose(-1, -2)).softmax(-1)
    };
    check_grads(f, &[a.clone(), b.clone()], 2).unwrap();
    let g = grad_n(|xs: &[Tensor]| xs[0].matmul(&xs[1]).sum())(&[m.clone(), n.clone()]);
    assert_eq!((g[0].dims(), g[1].dims()), (m.dims(), n.dims()));
}

// ---------------------------------------------------------------------------------------------
// Non-contiguous views.
// ---------------------------------------------------------------------------------------------

/// `[4, 3]` views of every kind over storage they share with another tensor.
fn views() -> Vec<(&'static str, Tensor)> {
    vec![
        ("transposed", randn(&[3, 4], 11).t()),
        ("strided rows", randn(&[8, 3], 12).slice_axis(0, 1, 8, 2)),
        (
            "doubly strided",
            randn(&[6, 7], 13)
                .t()
                .slice_axis(0, 1, 5, 1)
                .slice_axis(1, 0, 6, 2),
        ),
        ("offset columns", randn(&[4, 5], 14).narrow(1, 1, 3)),
        ("broadcast rows", randn(&[1, 3], 15).broadcast_to(&[4, 3])),
        ("broadcast cols", randn(&[4, 1], 16).broadcast_to(&[4, 3])),
        (
            "broadcast scalar",
            Tensor::scalar(0.3).broadcast_to(&[4, 3]),
        ),
        ("offset transposed", randn(&[5, 4], 17).narrow(0, 1, 3).t()),
    ]
}

type ViewOp = fn(&Tensor, &Tensor) -> Tensor;

/// Every op family, applied to a `[4, 3]` input `x` (and a `[4, 3]` partner `y`).
fn view_ops() -> Vec<(&'static str, ViewOp)> {
    vec![
        ("exp", |x, _| x.exp()),
        ("sin tanh", |x, _| x.sin().tanh()),
        ("sqrt abs", |x, _| x.abs().sqrt()),
        ("relu", |x, _| x.relu()),
        ("sigmoid softplus", |x, _| x.sigmoid() + x.softplus()),
        ("scalar ops", |x, _| (x * 2.0 - 1.0) / 3.0),
        ("add", |x, y| x + y),
        ("mul", |x, y| x * y),
        ("div", |x, y| x / &(y.square() + 1.0)),
        ("maximum", |x, y| x.maximum(y)),
        ("pow", |x, y| x.abs().pow(y)),
        ("atan2", |x, y| x.atan2(y)),
        ("self op", |x, _| x * x),
        ("owned chain", |x, y| {
            (x.clone() * y.clone() + x.clone()) * 0.5
        }),
        ("compare select", |x, y| x.gt(y).select(x, y)),
        ("sum", |x, _| x.sum()),
        ("sum axis 0", |x, _| x.sum_axes(&[0], false)),
        ("sum axis 1 keep", |x, _| x.sum_axes(&[1], true)),
        ("max axis 0", |x, _| x.max_axes(&[0], true)),
        ("mean", |x, _| x.mean_axes(&[1], false)),
        ("var", |x, _| x.var_axes(&[0], false)),
        ("logsumexp", |x, _| x.logsumexp(&[1], false)),
        ("softmax 0", |x, _| x.softmax(0)),
        ("log_softmax 1", |x, _| x.log_softmax(1)),
        ("reshape", |x, _| x.reshape(&[2, 6])),
        ("flatten", |x, _| x.flatten()),
        ("permute", |x, _| x.permute(&[1, 0])),
        ("slice step", |x, _| x.slice_axis(0, 0, 4, 3)),
        ("narrow", |x, _| x.narrow(1, 1, 2)),
        ("pad", |x, _| x.pad(&[(1, 0), (2, 1)], -1.0)),
        ("concat 0", |x, y| {
            Tensor::concat(&[x.clone(), y.clone()], 0)
        }),
        ("concat 1", |x, y| {
            Tensor::concat(&[y.clone(), x.clone()], 1)
        }),
        ("stack", |x, y| Tensor::stack(&[x.clone(), y.clone()], 1)),
        ("unsqueeze", |x, _| x.unsqueeze(1)),
        ("broadcast", |x, _| x.broadcast_to(&[2, 4, 3])),
        ("index_select", |x, _| {
            x.index_select(0, &i64s(vec![3, 0, 3]))
        }),
        ("index_select 1", |x, _| {
            x.index_select(1, &i64s(vec![2, 2]))
        }),
        ("scatter_add base", |x, y| {
            x.scatter_add(0, &i64s(vec![1, 1]), &y.narrow(0, 0, 2))
        }),
        ("scatter_add updates", |x, y| {
            y.narrow(1, 0, 2).scatter_add(1, &i64s(vec![0, 0, 1]), x)
        }),
        ("matmul right", |x, y| x.matmul(&y.t())),
        ("matmul left", |x, y| y.t().matmul(x)),
        ("matmul self", |x, _| x.t().matmul(x)),
        ("matmul vec", |x, _| x.matmul(&Tensor::ones(&[3], F))),
        ("batched matmul", |x, y| {
            Tensor::stack(&[x.clone(), y.clone()], 0).matmul(&x.t())
        }),
        ("cast", |x, _| x.cast(DType::F32).cast(F)),
        ("mse", |x, y| x.mse(y)),
        ("cross_entropy", |x, _| {
            x.cross_entropy(&i64s(vec![0, 2, 1, 2]))
        }),
    ]
}

#[test]
fn non_contiguous_views_match_contiguous_copies() {
    let partners = views();
    for (vname, x) in views() {
        let xc = copy(&x);
        for (pname, y) in &partners {
            let yc = copy(y);
            for (oname, op) in view_ops() {
                let what = format!("{oname}({vname}, {pname})");
                let got = op(&x, y);
                let want = op(&xc, &yc);
                assert_eq!(got.dims(), want.dims(), "{what}");
                assert_close(&v(&got), &v(&want), 1e-12);
            }
        }
    }
}

#[test]
fn gradients_at_non_contiguous_views_match_contiguous_copies() {
    let y = randn(&[4, 3], 99);
    for (vname, x) in views() {
        let xc = copy(&x);
        for (oname, op) in view_ops() {
            let f = |xs: &[Tensor]| (op(&xs[0], &xs[1]) * 1.5).sum();
            let g = grad_n(f)(&[x.clone(), y.clone()]);
            let gc = grad_n(f)(&[xc.clone(), y.clone()]);
            for (a, b) in g.iter().zip(&gc) {
                assert_eq!(a.dims(), b.dims(), "{oname} at {vname}");
                assert_close(&v(a), &v(b), 1e-12);
            }
            let (_, t) = jvp(
                |xs: &[Tensor]| op(&xs[0], &xs[1]),
                &[x.clone(), y.clone()],
                &[x.clone(), y.clone()],
            );
            let (_, tc) = jvp(
                |xs: &[Tensor]| op(&xs[0], &xs[1]),
                &[xc.clone(), y.clone()],
                &[xc.clone(), y.clone()],
            );
            assert_close(&v(&t), &v(&tc), 1e-12);
        }
    }
}

#[test]
fn ops_on_views_never_write_into_shared_storage() {
    let base = randn(&[4, 4], 3);
    let before = base.to_vec::<f64>();
    let views = [
        base.t(),
        base.narrow(0, 1, 2),
        base.slice_axis(1, 0, 4, 2),
        base.reshape(&[16]),
        base.narrow(0, 0, 1).broadcast_to(&[3, 4]),
    ];
    for view in views {
        // Owned operands may have their buffer reused in place; a view's buffer is shared.
        let _ = (view.clone() * 2.0).exp() + view.clone();
        let _ = -view.clone();
        let _ = view.clone().sin() / view.clone();
    }
    assert_eq!(base.to_vec::<f64>(), before);
    // An owned result reused in place still leaves its sources alone.
    let a = randn(&[3], 1);
    let a_before = a.to_vec::<f64>();
    let b = &a * 2.0;
    let c = b * 3.0 + &a;
    assert_eq!(a.to_vec::<f64>(), a_before);
    assert_close(
        &v(&c),
        &a_before.iter().map(|x| x * 6.0 + x).collect::<Vec<_>>(),
        1e-15,
    );
}

// ---------------------------------------------------------------------------------------------
// Broadcasting corners.
// ---------------------------------------------------------------------------------------------

#[test]
fn broadcasting_edge_cases() {
    let cases: [(&[usize], &[usize], &[usize]); 7] = [
        (&[1], &[], &[1]),
        (&[], &[1], &[1]),
        (&[1, 1], &[3], &[1, 3]),
        (&[2, 1, 3], &[4, 1], &[2, 4, 3]),
        (&[4, 1], &[2, 1, 3], &[2, 4, 3]),
        (&[1, 1, 1], &[], &[1, 1, 1]),
        (&[5, 1, 1, 2], &[3, 1], &[5, 1, 3, 2]),
    ];
    for (a, b, out) in cases {
        let (x, y) = (randn(a, 1), randn(b, 2));
        for (name, op) in BINARY.iter().chain(&COMPARE) {
            assert_eq!(op(&x, &y).unwrap().dims(), out, "{name} {a:?} {b:?}");
        }
        // Values: against explicitly broadcast operands.
        let s = x.try_add(&y).unwrap();
        let xe = x.try_broadcast_to(out).unwrap();
        let ye = y.try_broadcast_to(out).unwrap();
        assert_same(&s, &copy(&xe).add(&copy(&ye)));
        // Gradients have each operand's own shape, summed over the broadcast dims.
        let g = grad_n(|xs: &[Tensor]| (&xs[0] * &xs[1]).sum())(&[x.clone(), y.clone()]);
        assert_eq!((g[0].dims(), g[1].dims()), (a, b));
        // Each element of the broadcast `y` meets exactly one element of `x`.
        let gsum: f64 = v(&g[0]).iter().sum();
        assert_close(&[gsum], &[v(&ye).iter().sum()], 1e-12);
        check_grads(
            |xs: &[Tensor]| (&xs[0] * &xs[1]).sin() + xs[0].atan2(&xs[1]),
            &[x, y],
            2,
        )
        .unwrap();
    }
    for (a, b) in [
        (&[3][..], &[4][..]),
        (&[2, 3], &[3, 2]),
        (&[2, 1, 3], &[4, 2]),
        (&[0], &[3]),
    ] {
        let (x, y) = (Tensor::zeros(a, F), Tensor::zeros(b, F));
        for (name, op) in BINARY.iter().chain(&COMPARE) {
            let e = assert_kind(op(&x, &y), ErrorKind::Shape);
            let msg = e.to_string();
            let (sa, sb) = (format!("{a:?}"), format!("{b:?}"));
            assert!(msg.contains(&sa) && msg.contains(&sb), "{name}: {msg}");
        }
        let e = assert_kind(Tensor::scalar(true).try_select(&x, &y), ErrorKind::Shape);
        assert!(e.to_string().contains("select"), "{e}");
        assert_kind(x.try_broadcast_to(b), ErrorKind::Shape);
    }
    // broadcast_to never drops dims nor shrinks them.
    assert_kind(randn(&[2, 3], 1).try_broadcast_to(&[3]), ErrorKind::Shape);
    assert_kind(randn(&[2], 1).try_broadcast_to(&[1]), ErrorKind::Shape);
    // select broadcasts all three operands.
    let c = t(vec![1.0, 0.0, 1.0], &[3]).try_cast(DType::Bool).unwrap();
    let r = c
        .try_unsqueeze(1)
        .unwrap()
        .try_select(
            &Tensor::scalar(1.0),
            &randn(&[1, 2], 3).mul(&Tensor::scalar(0.0)),
        )
        .unwrap();
    assert_eq!(
        (r.dims(), v(&r)),
        (&[3usize, 2][..], vec![1.0, 1.0, 0.0, 0.0, 1.0, 1.0])
    );
}

// ---------------------------------------------------------------------------------------------
// Shapes whose element count overflows or cannot be allocated.
// ---------------------------------------------------------------------------------------------

#[test]
fn overflowing_shapes_are_errors_not_wraparounds_or_huge_allocations() {
    let huge = usize::MAX;
    for shape in [
        &[huge, 2][..],
        &[2, huge],
        &[huge],
        &[1 << 32, 1 << 32],
        &[0, huge, 2],
        &[huge, 0, huge],
        &[1 << 62],
    ] {
        for dt in [DType::F32, F, DType::I64, DType::Bool] {
            assert_kind(Tensor::try_full(shape, 0.0, dt), ErrorKind::Shape);
        }
        assert_kind(
            Tensor::try_from_vec(Vec::<f64>::new(), shape),
            ErrorKind::Shape,
        );
        assert_kind(Tensor::zeros(&[0], F).try_reshape(shape), ErrorKind::Shape);
        assert_kind(
            Tensor::scalar(1.0).try_broadcast_to(shape),
            ErrorKind::Shape,
        );
    }
    // An empty shape with a moderate extra dim is fine.
    assert_eq!(
        Tensor::try_full(&[0, 1 << 40], 0.0, F).unwrap().dims(),
        &[0, 1 << 40]
    );
    let x = randn(&[3, 4], 1);
    assert_kind(x.try_reshape(&[huge, 12]), ErrorKind::Shape);
    assert_kind(x.try_pad(&[(huge, 1), (0, 0)], 0.0), ErrorKind::Shape);
    assert_kind(x.try_pad(&[(huge - 3, 0), (0, 0)], 0.0), ErrorKind::Shape);
    assert_kind(
        x.try_pad(&[(1 << 31, 0), (1 << 31, 0)], 0.0),
        ErrorKind::Shape,
    );
    assert_kind(x.try_narrow(0, huge, 2), ErrorKind::Shape);
    assert_kind(x.try_narrow(1, 2, huge), ErrorKind::Shape);
    // A step past the end takes one element (and strides must not overflow).
    let s = x.try_slice_axis(0, 0, 3, huge).unwrap();
    assert_same(&s, &x.narrow(0, 0, 1));
    let s = x.try_slice_axis(1, 1, isize::MAX, huge).unwrap();
    assert_same(&s, &x.narrow(1, 1, 1));
    let g = grad(|x: &Tensor| x.slice_axis(1, -1, isize::MAX, usize::MAX).sum())(&x);
    assert_eq!(
        v(&g),
        vec![0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]
    );
    assert_eq!(
        v(&x.try_slice_axis(0, isize::MIN, isize::MAX, 1).unwrap()),
        v(&x)
    );
    // Results whose shape overflows although every operand's shape is fine.
    let wide = Tensor::try_full(&[0, 1 << 40], 0.0, F).unwrap();
    assert_kind(
        Tensor::try_full(&[1 << 40, 0], 0.0, F)
            .unwrap()
            .try_matmul(&wide),
        ErrorKind::Shape,
    );
    let half = Tensor::try_full(&[0, 1 << 59], 0.0, F).unwrap();
    assert_kind(
        Tensor::try_concat(&[half.clone(), half.clone()], 1),
        ErrorKind::Shape,
    );
    let tall = Tensor::try_full(&[3, 1 << 58, 0], 0.0, F).unwrap();
    assert_kind(
        tall.try_index_select(0, &i64s(vec![0, 1, 2, 0, 1, 2, 0, 1])),
        ErrorKind::Shape,
    );
    assert_kind(
        Tensor::try_full(&[1 << 59, 1, 0], 0.0, F)
            .unwrap()
            .try_add(&Tensor::zeros(&[4, 0], F)),
        ErrorKind::Shape,
    );
    // Ranges and one-hot encodings too large to allocate.
    assert_kind(Tensor::try_arange(0.0, 1e300, 1.0, F), ErrorKind::Shape);
    assert_kind(
        Tensor::try_arange(-1e308, 1e308, 1e-300, F),
        ErrorKind::Shape,
    );
    assert_kind(i64s(vec![1]).try_one_hot(huge, F), ErrorKind::Shape);
    assert_kind(
        Tensor::try_arange(0.0, f64::INFINITY, 1.0, F),
        ErrorKind::Usage,
    );
    assert_kind(Tensor::try_arange(0.0, 1.0, f64::NAN, F), ErrorKind::Usage);
    assert_kind(Tensor::try_arange(0.0, 1.0, 0.0, F), ErrorKind::Usage);
}

// ---------------------------------------------------------------------------------------------
// NaN and infinities.
// ---------------------------------------------------------------------------------------------

#[test]
fn nan_and_inf_propagate_as_ieee_and_jax_say() {
    let nan = f64::NAN;
    let inf = f64::INFINITY;
    let x = t(vec![1.0, nan, 2.0], &[3]);
    // max / maximum / minimum propagate NaN, whatever the position.
    assert!(x.try_max().unwrap().item::<f64>().is_nan());
    assert!(t(vec![nan, 1.0], &[2])
        .try_max()
        .unwrap()
        .item::<f64>()
        .is_nan());
    assert!(t(vec![1.0, nan], &[2])
        .try_max()
        .unwrap()
        .item::<f64>()
        .is_nan());
    let long: Vec<f64> = (0..20)
        .map(|i| if i == 13 { nan } else { i as f64 })
        .collect();
    assert!(t(long, &[20]).try_max().unwrap().item::<f64>().is_nan());
    let a = t(vec![1.0, nan, nan, -inf], &[4]);
    let b = t(vec![nan, 1.0, nan, inf], &[4]);
    let mx = v(&a.try_maximum(&b).unwrap());
    assert!(mx[..3].iter().all(|m| m.is_nan()) && mx[3] == inf);
    let mn = v(&a.try_minimum(&b).unwrap());
    assert!(mn[..3].iter().all(|m| m.is_nan()) && mn[3] == -inf);
    // relu(NaN) is NaN (JAX: `maximum(x, 0)`), relu(±inf) is inf / 0.
    let r = v(&t(vec![nan, inf, -inf, -0.0], &[4]).try_relu().unwrap());
    assert!(r[0].is_nan());
    assert_eq!(&r[1..], &[inf, 0.0, 0.0]);
    // Sums: inf stays inf, inf - inf is NaN; the mean too.
    assert_eq!(
        t(vec![1.0, inf], &[2]).try_sum().unwrap().item::<f64>(),
        inf
    );
    assert!(t(vec![inf, -inf], &[2])
        .try_sum()
        .unwrap()
        .item::<f64>()
        .is_nan());
    assert_eq!(
        t(vec![1.0, inf], &[2]).try_mean().unwrap().item::<f64>(),
        inf
    );
    assert!(x.try_sum().unwrap().item::<f64>().is_nan());
    // Unary functions at the edges of their domains.
    let edge = t(vec![0.0, -1.0, inf, -inf, nan], &[5]);
    let cases: [(Unary, [f64; 5]); 10] = [
        (Tensor::try_exp, [1.0, (-1f64).exp(), inf, 0.0, nan]),
        (Tensor::try_log, [-inf, nan, inf, nan, nan]),
        (Tensor::try_sqrt, [0.0, nan, inf, nan, nan]),
        (Tensor::try_tanh, [0.0, (-1f64).tanh(), 1.0, -1.0, nan]),
        (
            Tensor::try_sigmoid,
            [0.5, 1.0 / (1.0 + 1f64.exp()), 1.0, 0.0, nan],
        ),
        (
            Tensor::try_softplus,
            [2f64.ln(), (1.0 + (-1f64).exp()).ln(), inf, 0.0, nan],
        ),
        (Tensor::try_sign, [0.0, -1.0, 1.0, -1.0, nan]),
        (Tensor::try_abs, [0.0, 1.0, inf, inf, nan]),
        (Tensor::try_floor, [0.0, -1.0, inf, -inf, nan]),
        (Tensor::try_recip, [inf, -1.0, 0.0, -0.0, nan]),
    ];
    for (op, want) in cases {
        assert_close(&v(&op(&edge).unwrap()), &want, 1e-15);
    }
    // Stable composites: softmax with inf is NaN (inf - inf, as jax.nn.softmax), logsumexp
    // with inf is inf and of all -inf is -inf (as jax.nn.logsumexp).
    assert!(v(&t(vec![inf, 1.0], &[2]).try_softmax(0).unwrap())
        .iter()
        .all(|p| p.is_nan()));
    assert_eq!(
        v(&t(vec![-inf, 0.0], &[2]).try_softmax(0).unwrap()),
        vec![0.0, 1.0]
    );
    assert_eq!(
        t(vec![inf, 1.0], &[2])
            .try_logsumexp(&[0], false)
            .unwrap()
            .item::<f64>(),
        inf
    );
    assert_eq!(
        t(vec![-inf, -inf], &[2])
            .try_logsumexp(&[0], false)
            .unwrap()
            .item::<f64>(),
        -inf
    );
    assert!(x.try_logsumexp(&[0], false).unwrap().item::<f64>().is_nan());
    // Matmul: NaN and inf·0 give NaN, as IEEE.
    let m = t(vec![inf, 0.0, nan, 1.0], &[2, 2])
        .try_matmul(&t(vec![0.0, 1.0], &[2, 1]))
        .unwrap();
    assert!(v(&m).iter().all(|e| e.is_nan()), "{:?}", v(&m));
    // Casts saturate; NaN becomes 0 (XLA's convert) and `true` for bool (nonzero).
    let c = t(vec![nan, inf, -inf, 2.9, -2.9], &[5]);
    assert_eq!(
        c.try_cast(DType::I64).unwrap().to_vec::<i64>(),
        vec![0, i64::MAX, i64::MIN, 2, -2]
    );
    assert_eq!(
        c.try_cast(DType::Bool).unwrap().to_vec::<bool>(),
        vec![true; 5]
    );
    assert!(c.try_cast(DType::F32).unwrap().to_vec::<f32>()[0].is_nan());
    // Comparisons with NaN are false, except `ne`.
    let n = Tensor::scalar(nan);
    for (name, op) in COMPARE {
        let want = name == "ne";
        assert_eq!(op(&n, &n).unwrap().item::<bool>(), want, "{name}");
        assert_eq!(
            op(&n, &Tensor::scalar(1.0)).unwrap().item::<bool>(),
            want,
            "{name}"
        );
    }
    // Derivatives: NaN where the function is NaN; JAX-style tie splitting makes the gradient
    // of a max over a NaN NaN everywhere (no position equals the NaN maximum: 0/0).
    let gmax = grad(|x: &Tensor| x.max())(&x);
    assert!(v(&gmax).iter().all(|g| g.is_nan()), "{:?}", v(&gmax));
    let gsum = grad(|x: &Tensor| x.sum())(&x);
    assert_eq!(
        v(&gsum),
        vec![1.0; 3],
        "sum's gradient does not look at values"
    );
    let gsqrt = grad(|x: &Tensor| x.sqrt().sum())(&t(vec![0.0, 4.0], &[2]));
    assert_eq!(v(&gsqrt), vec![inf, 0.25]);
    let glog = grad(|x: &Tensor| x.log().sum())(&t(vec![0.0, inf], &[2]));
    assert_eq!(v(&glog), vec![inf, 0.0]);
    let (_, tn) = jvp(|xs: &[Tensor]| xs[0].exp(), &[x.clone()], &[x.ones_like()]);
    assert!(v(&tn)[1].is_nan() && v(&tn)[0] == 1f64.exp());
    // Derivatives at the edges of pow and atan2 follow JAX: d(0^b)/db is 0, d(x^0)/dx at 0 is
    // 0·0⁻¹ = NaN (JAX's rule for a float exponent has no guard),
    // d((-2)^b)/db = log(-2)·out is NaN, and atan2 at the origin has NaN partials (0/0).
    let gp = grad_n(|xs: &[Tensor]| xs[0].pow(&xs[1]))(&[Tensor::scalar(0.0), Tensor::scalar(2.0)]);
    assert_eq!((v(&gp[0]), v(&gp[1])), (vec![0.0], vec![0.0]));
    let gp = grad_n(|xs: &[Tensor]| xs[0].pow(&xs[1]))(&[Tensor::scalar(0.0), Tensor::scalar(0.0)]);
    assert!(v(&gp[0])[0].is_nan());
    assert_eq!(v(&gp[1]), vec![0.0]);
    let gp =
        grad_n(|xs: &[Tensor]| xs[0].pow(&xs[1]))(&[Tensor::scalar(-2.0), Tensor::scalar(2.0)]);
    assert_eq!(v(&gp[0]), vec![-4.0]);
    assert!(v(&gp[1])[0].is_nan());
    assert_eq!(v(&Tensor::scalar(0.0).try_powf(-1.0).unwrap()), vec![inf]);
    assert!(v(&Tensor::scalar(-1.0).try_powf(0.5).unwrap())[0].is_nan());
    let ga =
        grad_n(|xs: &[Tensor]| xs[0].atan2(&xs[1]))(&[Tensor::scalar(0.0), Tensor::scalar(0.0)]);
    assert!(v(&ga[0])[0].is_nan() && v(&ga[1])[0].is_nan());
    assert_eq!(
        v(&Tensor::scalar(0.0).try_atan2(&Tensor::scalar(0.0)).unwrap()),
        vec![0.0]
    );
    let leaf = t(vec![nan, -inf, inf], &[3]).requires_grad();
    // (At NaN itself the gradient of relu is 1 here; JAX's custom rule gives 0. Either way the
    // output is NaN, so only the infinities are pinned down.)
    let gb = leaf.try_relu().unwrap().sum().backward().wrt(&leaf);
    assert_eq!(v(&gb)[1..], [0.0, 1.0]);
}

// ---------------------------------------------------------------------------------------------
// Misuse.
// ---------------------------------------------------------------------------------------------

#[test]
fn misuse_is_an_error_of_the_right_kind() {
    let x = randn(&[3, 4], 1);
    // Index dtype and rank, out-of-range and negative indices.
    assert_kind(x.try_index_select(0, &t(vec![0.0], &[1])), ErrorKind::DType);
    assert_kind(
        x.try_index_select(0, &Tensor::scalar(0i64)),
        ErrorKind::DType,
    );
    assert_kind(
        x.try_index_select(0, &Tensor::zeros(&[1, 1], DType::I64)),
        ErrorKind::DType,
    );
    // Negative indices count from the end (NumPy, JAX); below -len they are out of range.
    assert_eq!(
        v(&x.try_index_select(0, &i64s(vec![-1, -3])).unwrap()),
        v(&x.try_index_select(0, &i64s(vec![2, 0])).unwrap())
    );
    for bad in [3i64, -4, i64::MAX, i64::MIN] {
        let e = assert_kind(x.try_index_select(0, &i64s(vec![0, bad])), ErrorKind::Index);
        assert!(e.to_string().contains(&bad.to_string()), "{e}");
        assert_kind(
            x.try_scatter_add(0, &i64s(vec![bad]), &Tensor::zeros(&[1, 4], F)),
            ErrorKind::Index,
        );
    }
    // Inside a transformation too (the input is tracked there).
    let (_, pb) = vjp(
        |xs: &[Tensor]| {
            let e = assert_kind(xs[0].try_index_select(1, &i64s(vec![4])), ErrorKind::Index);
            assert!(e.to_string().contains('4'), "{e}");
            xs[0].clone()
        },
        &[x.clone()],
    );
    assert_eq!(pb.call(&x.ones_like())[0].dims(), x.dims());
    // grad of a non-scalar is an error, not a panic, through the `try_` entry point.
    assert_kind(
        try_value_and_grad_n(|xs: &[Tensor]| xs[0].clone(), &[x.clone()]).map(|_| ()),
        ErrorKind::Shape,
    );
    // Axes out of range, in every op that takes one.
    assert_kind(x.try_sum_axes(&[2], false), ErrorKind::Axis);
    assert_kind(x.try_sum_axes(&[-3], false), ErrorKind::Axis);
    assert_kind(x.try_sum_axes(&[isize::MIN], false), ErrorKind::Axis);
    assert_kind(x.try_max_axes(&[isize::MAX], false), ErrorKind::Axis);
    assert_kind(x.try_mean_axes(&[5], true), ErrorKind::Axis);
    assert_kind(x.try_var_axes(&[2], true), ErrorKind::Axis);
    assert_kind(x.try_logsumexp(&[2], false), ErrorKind::Axis);
    assert_kind(x.try_softmax(2), ErrorKind::Axis);
    assert_kind(x.try_log_softmax(-3), ErrorKind::Axis);
    assert_kind(x.try_transpose(0, 2), ErrorKind::Axis);
    assert_kind(x.try_permute(&[0, 2]), ErrorKind::Axis);
    assert_kind(x.try_permute(&[0, 0]), ErrorKind::Shape);
    assert_kind(x.try_permute(&[0]), ErrorKind::Shape);
    assert_kind(x.try_slice_axis(2, 0, 1, 1), ErrorKind::Axis);
    assert_kind(x.try_slice_axis(0, 0, 1, 0), ErrorKind::Shape);
    assert_kind(x.try_narrow(-3, 0, 1), ErrorKind::Axis);
    assert_kind(x.try_unsqueeze(3), ErrorKind::Axis);
    assert_kind(x.try_unsqueeze(-4), ErrorKind::Axis);
    assert_kind(x.try_squeeze(2), ErrorKind::Axis);
    assert_kind(
        Tensor::try_concat(&[x.clone(), x.clone()], 2),
        ErrorKind::Axis,
    );
    assert_kind(x.try_index_select(2, &i64s(vec![0])), ErrorKind::Axis);
    assert_kind(x.try_scatter_add(-3, &i64s(vec![0]), &x), ErrorKind::Axis);
    // Repeated axes.
    assert_kind(x.try_sum_axes(&[1, -1], false), ErrorKind::Shape);
    // Dtype mismatches and dtypes an op does not take.
    let x32 = x.try_cast(DType::F32).unwrap();
    let xi = Tensor::zeros(&[3, 4], DType::I64);
    let xb = Tensor::zeros(&[3, 4], DType::Bool);
    for (name, op) in BINARY {
        assert_kind(op(&x, &x32), ErrorKind::DType);
        // Integers have exact arithmetic (true division and atan2 through f64); pow is float
        // only.
        if name == "pow" {
            assert_kind(op(&xi, &xi), ErrorKind::DType);
        } else {
            assert!(op(&xi, &xi).is_ok(), "{name} on i64");
        }
        assert_kind(op(&xb, &xb), ErrorKind::DType);
    }
    for (_, op) in COMPARE {
        assert_kind(op(&x, &xi), ErrorKind::DType);
        assert!(op(&xi, &xi).is_ok() && op(&xb, &xb).is_ok());
    }
    for (name, op) in UNARY {
        // neg is defined on i64; relu is a comparison and a select, defined on every dtype;
        // recip is a true division, f64 for integers.
        if name != "neg" && name != "relu" && name != "recip" {
            assert_kind(op(&xi), ErrorKind::DType);
        }
        if name != "relu" {
            assert_kind(op(&xb), ErrorKind::DType);
        }
    }
    assert_kind(x.try_matmul(&x32.t()), ErrorKind::DType);
    assert_kind(xi.try_matmul(&xi.t()), ErrorKind::DType);
    // Integer sums are exact (bool sums count), max stays float only.
    assert_eq!(xi.try_sum().unwrap().item::<i64>(), 0);
    assert_kind(xb.try_max(), ErrorKind::DType);
    assert_kind(
        Tensor::try_concat(&[x.clone(), x32.clone()], 0),
        ErrorKind::DType,
    );
    assert_kind(
        Tensor::zeros(&[3, 4], F).try_scatter_add(0, &i64s(vec![0]), &x32.narrow(0, 0, 1)),
        ErrorKind::DType,
    );
    assert_kind(x.try_to_vec::<f32>(), ErrorKind::DType);
    assert_kind(x.try_item::<f64>(), ErrorKind::Shape);
    // select needs a bool condition and branches of one dtype.
    let cond = x.try_gt(&Tensor::scalar(0.0)).unwrap();
    assert_kind(x.try_select(&x, &x), ErrorKind::DType);
    assert_kind(xi.try_select(&x, &x), ErrorKind::DType);
    assert_kind(cond.try_select(&x, &x32), ErrorKind::DType);
    assert!(cond.try_select(&xi, &xi).is_ok());
    // cross_entropy: label dtype, label shape, logits rank, out-of-range labels.
    let logits = randn(&[2, 3], 2);
    let e = assert_kind(
        logits.try_cross_entropy(&t(vec![0.0, 1.0], &[2])),
        ErrorKind::DType,
    );
    assert!(e.to_string().contains("i64"), "{e}");
    for labels in [
        i64s(vec![0, 1, 2]),
        Tensor::scalar(0i64),
        Tensor::zeros(&[2, 1], DType::I64),
    ] {
        let e = assert_kind(logits.try_cross_entropy(&labels), ErrorKind::Shape);
        assert!(e.to_string().contains("[2, 3]"), "{e}");
    }
    assert_kind(
        randn(&[2], 3).try_cross_entropy(&i64s(vec![0, 1])),
        ErrorKind::Shape,
    );
    for bad in [3i64, -1, -100] {
        let e = assert_kind(
            logits.try_cross_entropy(&i64s(vec![0, bad])),
            ErrorKind::Index,
        );
        assert!(e.to_string().contains(&bad.to_string()), "{e}");
    }
    assert!(logits.try_cross_entropy(&i64s(vec![2, 0])).is_ok());
    // Reverse mode needs a float scalar (or a matching seed); forward mode matching tangents.
    assert_kind(
        x.requires_grad().try_backward().map(|_| ()),
        ErrorKind::Shape,
    );
    assert_kind(Tensor::scalar(1i64).try_requires_grad(), ErrorKind::DType);
    assert!(x
        .requires_grad()
        .try_backward_with(&Tensor::zeros(&[4, 3], F), false)
        .is_err());
    assert!(x.requires_grad().try_backward_with(&x32, false).is_err());
    assert_kind(
        try_jvp(|xs: &[Tensor]| xs[0].clone(), &[x.clone()], &[x.t()]).map(|_| ()),
        ErrorKind::Shape,
    );
    assert_kind(
        try_jvp(|xs: &[Tensor]| xs[0].clone(), &[x.clone()], &[x32.clone()]).map(|_| ()),
        ErrorKind::Shape,
    );
    assert_kind(
        try_jvp(|xs: &[Tensor]| xs[0].clone(), &[x.clone()], &[]).map(|_| ()),
        ErrorKind::Shape,
    );
    let (_, pb) = vjp(|xs: &[Tensor]| xs[0].sin(), &[x.clone()]);
    assert!(pb.try_call(&Tensor::zeros(&[4, 3], F)).is_err());
    assert!(pb.try_call(&x32).is_err());
    // Creation misuse.
    assert_kind(
        Tensor::try_from_vec(vec![1.0; 5], &[2, 3]),
        ErrorKind::Shape,
    );
    assert_kind(
        Tensor::try_from_vec(vec![1.0], &[]).and_then(|s| s.try_reshape(&[2])),
        ErrorKind::Shape,
    );
}

#[test]
fn printing_reads_only_the_shown_elements() {
    // A broadcast view of 10^12 elements prints without materializing it.
    let huge = Tensor::scalar(1.5f32).broadcast_to(&[1_000_000, 1_000_000]);
    let s = huge.to_string();
    assert!(
        s.contains("...") && s.contains("1.5") && s.contains("shape=[1000000, 1000000]"),
        "{s}"
    );
    let t = Tensor::from_vec(vec![1.0, 2.5, 3.0, 4.0, 5.0, 6.0], &[2, 3]).t();
    assert_eq!(
        t.to_string(),
        "tensor([[1.0, 4.0],\n        [2.5, 5.0],\n        [3.0, 6.0]], dtype=f64, shape=[3, 2])"
    );
}

/// The 16-bit floats at their corners: overflow, subnormals, ties, non-finite casts, empty
/// reductions, mixed dtypes, and stable composites that must not overflow where a naive formula
/// would.
#[test]
fn half_precision_corners() {
    let (nan, inf) = (f64::NAN, f64::INFINITY);
    let h = |data: Vec<f64>, d: DType| t(data.clone(), &[data.len()]).try_cast(d).unwrap();
    // f16: 65504 is the largest finite value, 65520 rounds to inf; the smallest subnormal
    // 2^-24 survives, half of it is a tie that goes to the even 0.
    let x = h(
        vec![65504.0, 65520.0, 2f64.powi(-24), 2f64.powi(-25), -0.0],
        DType::F16,
    );
    assert_eq!(v(&x)[..4], [65504.0, inf, 2f64.powi(-24), 0.0]);
    assert!(v(&x)[4] == 0.0 && v(&x)[4].is_sign_negative());
    // bf16 has 8 significant bits: 257 is a tie that goes to 256, 259 rounds to 260.
    assert_eq!(
        v(&h(vec![257.0, 259.0, 1e38], DType::BF16))[..2],
        [256.0, 260.0]
    );
    // Casts of non-finite half values saturate as the f64 ones do.
    for d in [DType::F16, DType::BF16] {
        let c = h(vec![nan, inf, -inf, 2.9, -2.9], d);
        assert_eq!(
            c.try_cast(DType::I64).unwrap().to_vec::<i64>(),
            vec![0, i64::MAX, i64::MIN, 2, -2],
            "{d}"
        );
        // Empty axes: the sum is 0, the mean NaN, the max an error.
        let empty = Tensor::try_zeros(&[0, 3], d).unwrap();
        assert_eq!(v(&empty.try_sum_axes(&[0], false).unwrap()), vec![0.0; 3]);
        assert!(v(&empty.try_mean().unwrap())[0].is_nan());
        assert_kind(empty.try_max_axes(&[0], false), ErrorKind::Shape);
        // Two tensors of different float types are refused, naming both.
        let other = if d == DType::F16 {
            DType::BF16
        } else {
            DType::F32
        };
        let e = assert_kind(
            c.try_add(&Tensor::try_zeros(&[5], other).unwrap()),
            ErrorKind::DType,
        );
        assert!(e.to_string().contains(d.name()), "{e}");
        // Out-of-range indices are errors in every dtype.
        assert_kind(c.try_index_select(0, &i64s(vec![5])), ErrorKind::Index);
    }
    // logsumexp and softmax subtract the maximum first: no overflow at f16's top.
    let big = h(vec![60000.0, 60000.0], DType::F16);
    let lse = big.try_logsumexp(&[0], false).unwrap();
    assert_eq!((lse.dtype(), v(&lse)), (DType::F16, vec![60000.0]));
    let sm = h(vec![10000.0, 0.0], DType::F16).try_softmax(0).unwrap();
    assert_eq!(v(&sm), vec![1.0, 0.0]);
    // The gradient of an f16 input through an f32 computation is f16.
    let g = grad(|x: &Tensor| x.cast(DType::F32).square().sum())(&h(vec![1.5], DType::F16));
    assert_eq!((g.dtype(), v(&g)), (DType::F16, vec![3.0]));
}
