//! Issue 15's operations: `argsort`, `sort`, `topk`, `take_along_axis`, `einsum` and the
//! indexing sugar `Tensor::i`: values against hand-computed results, ties and NaN, errors (and
//! where they point), gradients, `vmap` and `jit`.

use cotangent::testing::check_grads;
use cotangent::*;

fn t(v: Vec<f64>, dims: &[usize]) -> Tensor {
    Tensor::from_vec(v, dims)
}

// ---- sorting ----

#[test]
fn argsort_is_stable_both_ways_and_puts_nan_with_the_largest() {
    let x = t(vec![2.0, 1.0, 2.0, 0.0, 1.0], &[5]);
    assert_eq!(x.argsort(0, false).to_vec::<i64>(), vec![3, 1, 4, 0, 2]);
    assert_eq!(x.argsort(0, true).to_vec::<i64>(), vec![0, 2, 1, 4, 3]);
    let n = t(vec![1.0, f64::NAN, -1.0], &[3]);
    assert_eq!(n.argsort(0, false).to_vec::<i64>(), vec![2, 0, 1]);
    assert_eq!(n.argsort(0, true).to_vec::<i64>(), vec![1, 0, 2]);
    let m = t(vec![3.0, 1.0, 2.0, 0.0, 5.0, 4.0], &[2, 3]);
    assert_eq!(m.argsort(-1, false).to_vec::<i64>(), vec![1, 2, 0, 0, 2, 1]);
    assert_eq!(m.argsort(0, false).to_vec::<i64>(), vec![1, 0, 0, 0, 1, 1]);
    assert_eq!(m.argsort(1, false).dtype(), DType::I64);
    let i = Tensor::from_vec(vec![5i64, -2, 7], &[3]);
    assert_eq!(i.argsort(0, false).to_vec::<i64>(), vec![1, 0, 2]);
    assert_eq!(m.try_argsort(2, false).unwrap_err().kind, ErrorKind::Axis);
    assert_eq!(
        Tensor::zeros(&[0], DType::F64).argsort(0, false).dims(),
        &[0]
    );
}

#[test]
fn sort_topk_and_take_along_axis_values() {
    let m = t(vec![3.0, 1.0, 2.0, 0.0, 5.0, 4.0], &[2, 3]);
    assert_eq!(
        m.sort(1, false).to_vec::<f64>(),
        vec![1.0, 2.0, 3.0, 0.0, 4.0, 5.0]
    );
    assert_eq!(
        m.sort(1, true).to_vec::<f64>(),
        vec![3.0, 2.0, 1.0, 5.0, 4.0, 0.0]
    );
    assert_eq!(
        m.sort(0, false).to_vec::<f64>(),
        vec![0.0, 1.0, 2.0, 3.0, 5.0, 4.0]
    );
    let (v, i) = m.topk(2, 1);
    assert_eq!(v.to_vec::<f64>(), vec![3.0, 2.0, 5.0, 4.0]);
    assert_eq!(i.to_vec::<i64>(), vec![0, 2, 1, 2]);
    let (v, i) = m.topk(1, 0);
    assert_eq!((v.dims(), i.to_vec::<i64>()), (&[1, 3][..], vec![0, 1, 1]));
    assert_eq!(m.try_topk(4, 1).unwrap_err().kind, ErrorKind::Shape);
    let idx = Tensor::from_vec(vec![2i64, -3, 0, 1, 1, 1], &[2, 3]);
    assert_eq!(
        m.take_along_axis(&idx, 1).to_vec::<f64>(),
        vec![2.0, 3.0, 3.0, 5.0, 5.0, 5.0]
    );
    let idx0 = Tensor::from_vec(vec![1i64, 0, 1], &[1, 3]);
    assert_eq!(
        m.take_along_axis(&idx0, 0).to_vec::<f64>(),
        vec![0.0, 1.0, 4.0]
    );
    // Errors: out of range (eager and traced), wrong shape, wrong dtype.
    let bad = Tensor::from_vec(vec![3i64, 0, 0, 0, 0, 0], &[2, 3]);
    assert_eq!(
        m.try_take_along_axis(&bad, 1).unwrap_err().kind,
        ErrorKind::Index
    );
    let j = Jit::new(|x: &[Tensor]| vec![x[0].take_along_axis(&x[1], 1)]);
    assert!(
        j.try_call(&[m.clone(), bad]).is_err(),
        "traced indices are checked too"
    );
    let short = Tensor::from_vec(vec![0i64, 0], &[2]);
    assert_eq!(
        m.try_take_along_axis(&short, 1).unwrap_err().kind,
        ErrorKind::Shape
    );
    let float = t(vec![0.0; 6], &[2, 3]);
    assert!(m.try_take_along_axis(&float, 1).is_err());
}

#[test]
fn sort_gradients_go_back_to_the_source_positions() {
    let x = t(vec![0.3, -1.0, 2.0, 0.7], &[4]);
    let w = t(vec![1.0, 10.0, 100.0, 1000.0], &[4]);
    let g = grad(|x: &Tensor| (x.sort(0, false) * &w).sum())(&x);
    // Sorted order: x[1], x[0], x[3], x[2].
    assert_eq!(g.to_vec::<f64>(), vec![10.0, 1.0, 1000.0, 100.0]);
    let g = grad(|x: &Tensor| (x.topk(2, 0).0 * &w.narrow(0, 0, 2)).sum())(&x);
    assert_eq!(g.to_vec::<f64>(), vec![0.0, 0.0, 1.0, 10.0]);
    let xs = [t(vec![0.5, 1.7, -0.2, 0.9, 1.1, -1.3], &[2, 3])];
    check_grads(|x: &[Tensor]| x[0].sort(1, true).exp().sum(), &xs, 2).unwrap();
    check_grads(|x: &[Tensor]| x[0].topk(2, 0).0.sin().sum(), &xs, 2).unwrap();
}

#[test]
fn sorting_under_vmap_and_jit() {
    let x = t(vec![3.0, 1.0, 2.0, 0.0, 5.0, 4.0], &[2, 3]);
    let batched = vmap(|r: &Tensor| r.sort(0, true), 0, 0)(&x);
    assert_eq!(batched.to_vec::<f64>(), x.sort(1, true).to_vec::<f64>());
    let batched = vmap(|c: &Tensor| f64_of(c.argsort(0, false)), 1, 0)(&x);
    assert_eq!(batched.to_vec::<f64>(), vec![1.0, 0.0, 0.0, 1.0, 0.0, 1.0]);
    // Indices batched along with the data.
    let idx = Tensor::from_vec(vec![2i64, 2, 0, 1], &[2, 2]);
    let y = vmap_n(
        |a: &[Tensor]| vec![a[0].take_along_axis(&a[1], 0)],
        vec![Some(0), Some(0)],
        vec![0],
    )(&[x.clone(), idx]);
    assert_eq!(y[0].to_vec::<f64>(), vec![2.0, 2.0, 0.0, 5.0]);
    let j = Jit::new(|a: &[Tensor]| {
        let (v, i) = a[0].topk(2, -1);
        vec![v, i]
    });
    let out = j.call(std::slice::from_ref(&x));
    let (v, i) = x.topk(2, -1);
    assert_eq!(out[0].to_vec::<f64>(), v.to_vec::<f64>());
    assert_eq!(out[1].to_vec::<i64>(), i.to_vec::<i64>());
}

fn f64_of(x: Tensor) -> Tensor {
    x.cast(DType::F64)
}

// ---- einsum ----

#[test]
fn einsum_against_hand_computed_results() {
    let a = t(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    let b = t(vec![1.0, 0.0, 2.0, 1.0, 0.0, 3.0], &[3, 2]);
    // [[1+4, 2+0], [4+10, 5+... ]]: a @ b by hand.
    let ab = vec![5.0, 11.0, 14.0, 23.0];
    assert_eq!(einsum("ij,jk->ik", &[&a, &b]).to_vec::<f64>(), ab);
    assert_eq!(
        einsum("ij,jk", &[&a, &b]).to_vec::<f64>(),
        ab,
        "implicit output"
    );
    assert_eq!(
        einsum(" ij , jk -> ki ", &[&a, &b]).to_vec::<f64>(),
        vec![5.0, 14.0, 11.0, 23.0]
    );
    let s = t(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]);
    assert_eq!(einsum("ii->", &[&s]).item::<f64>(), 5.0);
    assert_eq!(einsum("ii->i", &[&s]).to_vec::<f64>(), vec![1.0, 4.0]);
    assert_eq!(
        einsum("ij->ji", &[&s]).to_vec::<f64>(),
        vec![1.0, 3.0, 2.0, 4.0]
    );
    assert_eq!(einsum("ij->", &[&s]).item::<f64>(), 10.0);
    assert_eq!(einsum("ij->j", &[&s]).to_vec::<f64>(), vec![4.0, 6.0]);
    let u = t(vec![1.0, 2.0], &[2]);
    let v = t(vec![3.0, 4.0, 5.0], &[3]);
    assert_eq!(
        einsum("i,j->ij", &[&u, &v]).to_vec::<f64>(),
        vec![3.0, 4.0, 5.0, 6.0, 8.0, 10.0]
    );
    assert_eq!(einsum("i,i->", &[&u, &u]).item::<f64>(), 5.0);
    // u^T a v = [1, 2] · [[1,2,3],[4,5,6]] · [3,4,5] = [9, 12, 15] · [3, 4, 5] = 150.
    assert_eq!(einsum("i,ij,j->", &[&u, &a, &v]).item::<f64>(), 150.0);
    // Batched matmul: two batches, the second b doubled.
    let bb = Tensor::stack(&[b.clone(), &b * 2.0], 0);
    let aa = Tensor::stack(&[a.clone(), a.clone()], 0);
    assert_eq!(
        einsum("bij,bjk->bik", &[&aa, &bb]).to_vec::<f64>(),
        vec![5.0, 11.0, 14.0, 23.0, 10.0, 22.0, 28.0, 46.0]
    );
    // A letter summed inside one operand before the product, and a repeated letter of a
    // 3-axis operand.
    assert_eq!(
        einsum("ij,k->k", &[&s, &u]).to_vec::<f64>(),
        vec![10.0, 20.0]
    );
    let c = Tensor::arange(0.0, 8.0, 1.0, DType::F64).reshape(&[2, 2, 2]);
    assert_eq!(
        einsum("iji->j", &[&c]).to_vec::<f64>(),
        vec![0.0 + 5.0, 2.0 + 7.0]
    );
}

#[test]
fn einsum_errors_name_the_spec_and_column() {
    let a = Tensor::zeros(&[2, 3], DType::F64);
    let b = Tensor::zeros(&[4, 2], DType::F64);
    let msg = |r: Result<Tensor>| r.unwrap_err().to_string();
    let e = msg(try_einsum("ij,jk->ik", &[&a, &b]));
    assert!(e.contains("\"ij,jk->ik\"") && e.contains("column 4"), "{e}");
    assert!(
        e.contains("sort_einsum_index.rs"),
        "located at the caller: {e}"
    );
    let e = msg(try_einsum("i1,jk->ik", &[&a, &b]));
    assert!(e.contains("column 2") && e.contains("'1'"), "{e}");
    let e = msg(try_einsum("ij->ik", &[&a]));
    assert!(e.contains("column 6") && e.contains("'k'"), "{e}");
    let e = msg(try_einsum("ij->ii", &[&a]));
    assert!(e.contains("column 6") && e.contains("twice"), "{e}");
    let e = msg(try_einsum("ij", &[&a, &b]));
    assert!(e.contains("1 terms for 2 operands"), "{e}");
    let e = msg(try_einsum("ijk->i", &[&a]));
    assert!(e.contains("column 1") && e.contains("[2, 3]"), "{e}");
    let e = msg(try_einsum("...ij->ij", &[&a]));
    assert!(e.contains("ellips"), "{e}");
    let e = msg(try_einsum("ij->i->j", &[&a]));
    assert!(e.contains("column 6"), "{e}");
}

#[test]
fn einsum_gradients() {
    let xs = [
        Tensor::randn(&[2, 3], 1, DType::F64),
        Tensor::randn(&[3, 4], 2, DType::F64),
        Tensor::randn(&[4], 3, DType::F64),
    ];
    check_grads(
        |x: &[Tensor]| einsum("ij,jk->ik", &[&x[0], &x[1]]).sin().sum(),
        &xs,
        2,
    )
    .unwrap();
    check_grads(
        |x: &[Tensor]| einsum("ij,jk,k->i", &[&x[0], &x[1], &x[2]]).exp().sum(),
        &xs,
        2,
    )
    .unwrap();
    check_grads(
        |x: &[Tensor]| {
            let sq = x[1].narrow(1, 0, 3);
            einsum("ii->i", &[&sq]).square().sum() + einsum("ii", &[&sq]).sin()
        },
        &xs,
        2,
    )
    .unwrap();
    let batched = [
        Tensor::randn(&[2, 2, 3], 4, DType::F64),
        Tensor::randn(&[2, 3, 2], 5, DType::F64),
    ];
    check_grads(
        |x: &[Tensor]| einsum("bij,bjk->bki", &[&x[0], &x[1]]).tanh().sum(),
        &batched,
        2,
    )
    .unwrap();
}

// ---- indexing sugar ----

#[test]
fn index_sugar_values() {
    let x = Tensor::arange(0.0, 24.0, 1.0, DType::F64).reshape(&[2, 3, 4]);
    assert_eq!(x.i(1).dims(), &[3, 4]);
    assert_eq!(x.i(-1).to_vec::<f64>(), x.i(1).to_vec::<f64>());
    assert_eq!(x.i((0, 1)).to_vec::<f64>(), vec![4.0, 5.0, 6.0, 7.0]);
    assert_eq!(x.i((1, -1, -1)).item::<f64>(), 23.0);
    assert_eq!(x.i((.., 0, 0)).to_vec::<f64>(), vec![0.0, 12.0]);
    assert_eq!(
        x.i((0, 1.., 1..3)).to_vec::<f64>(),
        vec![5.0, 6.0, 9.0, 10.0]
    );
    assert_eq!(x.i((0, ..-2, ..=1)).to_vec::<f64>(), vec![0.0, 1.0]);
    assert_eq!(x.i((0, 0, -3..)).to_vec::<f64>(), vec![1.0, 2.0, 3.0]);
    assert_eq!(x.i((0, 0, ..=-1)).dims(), &[4]);
    assert_eq!(
        x.i((.., .., ..)).dims(),
        &[2, 3, 4],
        "a full index is the tensor"
    );
    assert_eq!(x.i((0, 0, 2..2)).dims(), &[0]);
    assert_eq!(x.i(1..).dims(), &[1, 3, 4]);
    assert_eq!(x.i(2usize..).dims(), &[0, 3, 4]);
    assert_eq!(x.i((1isize, 2i64, 3usize)).item::<f64>(), 23.0);
}

#[test]
fn index_sugar_errors_point_at_the_caller() {
    let x = Tensor::zeros(&[2, 3], DType::F64);
    let (e, line) = (x.try_i(2).unwrap_err(), line!());
    assert_eq!(e.kind, ErrorKind::Index);
    let s = e.to_string();
    assert!(
        s.contains("out of range") && s.contains(&format!("sort_einsum_index.rs:{line}")),
        "{s}"
    );
    assert_eq!(x.try_i(-3).unwrap_err().kind, ErrorKind::Index);
    assert_eq!(x.try_i((0, 0, 0)).unwrap_err().kind, ErrorKind::Index);
    assert_eq!(x.try_i((.., 1..4)).unwrap_err().kind, ErrorKind::Index);
    assert_eq!(x.try_i((.., -4..)).unwrap_err().kind, ErrorKind::Index);
    assert!(x
        .try_i((.., -1..1))
        .unwrap_err()
        .to_string()
        .contains("backwards"));
    let r = std::panic::catch_unwind(|| Tensor::zeros(&[2], DType::F64).i(5));
    assert!(r.is_err());
}

#[test]
fn index_sugar_gradients_vmap_and_jit() {
    let x = Tensor::arange(0.0, 6.0, 1.0, DType::F64).reshape(&[2, 3]);
    let g = grad(|x: &Tensor| (x.i((1, 1..)) * 2.0).sum())(&x);
    assert_eq!(g.to_vec::<f64>(), vec![0.0, 0.0, 0.0, 0.0, 2.0, 2.0]);
    check_grads(
        |x: &[Tensor]| x[0].i((.., -1)).exp().sum(),
        std::slice::from_ref(&x),
        2,
    )
    .unwrap();
    let v = vmap(|r: &Tensor| r.i(-1), 0, 0)(&x);
    assert_eq!(v.to_vec::<f64>(), vec![2.0, 5.0]);
    let j = Jit::new(|a: &[Tensor]| vec![a[0].i((..1, 1..))]);
    assert_eq!(
        j.call(std::slice::from_ref(&x))[0].to_vec::<f64>(),
        vec![1.0, 2.0]
    );
}

// ---- special functions ----

#[test]
fn erfinv_lgamma_and_polygamma_values() {
    let euler = 0.5772156649015329;
    let pi = std::f64::consts::PI;
    let x = t(vec![0.0, 0.5, -0.9, 0.999, 1.0, -1.0, 1.5, f64::NAN], &[8]);
    let y = x.erfinv().to_vec::<f64>();
    assert_eq!(y[0], 0.0);
    for (i, &v) in [0.5, -0.9, 0.999].iter().enumerate() {
        assert!((libm::erf(y[i + 1]) - v).abs() < 1e-15, "erf(erfinv({v}))");
    }
    assert_eq!((y[4], y[5]), (f64::INFINITY, f64::NEG_INFINITY));
    assert!(y[6].is_nan() && y[7].is_nan());
    // Far in the tail the inverse keeps its relative precision (through erfc).
    let tail = t(vec![1.0 - 1e-12], &[1]).erfinv().item::<f64>();
    assert!(((libm::erfc(tail) - 1e-12) / 1e-12).abs() < 1e-3, "{tail}");
    let g = t(vec![1.0, 2.0, 0.5, 10.0, -0.5], &[5])
        .lgamma()
        .to_vec::<f64>();
    let want = [
        0.0,
        0.0,
        pi.sqrt().ln(),
        362880f64.ln(),
        (2.0 * pi.sqrt()).ln(),
    ];
    for (a, b) in g.iter().zip(want) {
        assert!((a - b).abs() < 1e-14, "lgamma {a} vs {b}");
    }
    let d = t(vec![1.0, 0.5, 1.5, -0.5, 0.0, -2.0], &[6])
        .digamma()
        .to_vec::<f64>();
    let want = [
        -euler,
        -euler - 2.0 * 2f64.ln(),
        2.0 - euler - 2.0 * 2f64.ln(),
        2.0 - euler - 2.0 * 2f64.ln(),
    ];
    for (a, b) in d.iter().zip(want) {
        assert!((a - b).abs() < 1e-14, "digamma {a} vs {b}");
    }
    assert!(d[4].is_nan() && d[5].is_nan(), "poles");
    let one = t(vec![1.0, 0.5], &[2]);
    let tg = one.trigamma().to_vec::<f64>();
    assert!((tg[0] - pi * pi / 6.0).abs() < 1e-14 && (tg[1] - pi * pi / 2.0).abs() < 1e-13);
    let p3 = one.polygamma(3).to_vec::<f64>();
    assert!((p3[0] - pi.powi(4) / 15.0).abs() < 1e-12 && (p3[1] - pi.powi(4)).abs() < 1e-11);
    let f32s = Tensor::from_vec(vec![0.5f32], &[1]);
    assert_eq!(f32s.digamma().dtype(), DType::F32);
    assert!(Tensor::from_vec(vec![1i64], &[1]).try_lgamma().is_err());
}

#[test]
fn special_function_derivatives() {
    let pi = std::f64::consts::PI;
    // d/dx lgamma = digamma, d/dx digamma = trigamma, d/dx erfinv = √π/2·exp(erfinv²).
    let g = grad(|x: &Tensor| x.lgamma().sum())(&t(vec![1.0], &[1]));
    assert!((g.item::<f64>() + 0.5772156649015329).abs() < 1e-14);
    let g = grad(|x: &Tensor| x.digamma().sum())(&t(vec![1.0], &[1]));
    assert!((g.item::<f64>() - pi * pi / 6.0).abs() < 1e-14);
    let g = grad(|x: &Tensor| x.erfinv().sum())(&t(vec![0.0], &[1]));
    assert!((g.item::<f64>() - pi.sqrt() / 2.0).abs() < 1e-15);
    // Third order of lgamma is polygamma(2): the order parameter goes up by one each time.
    let g3 =
        grad(|x: &Tensor| grad(|y: &Tensor| grad(|z: &Tensor| z.lgamma().sum())(y).sum())(x).sum());
    assert!((g3(&t(vec![1.0], &[1])).item::<f64>() + 2.0 * 1.2020569031595942).abs() < 1e-13);
    let xs = [t(vec![0.7, 1.3, 2.9, 4.1], &[4])];
    check_grads(|x: &[Tensor]| x[0].trigamma().sum(), &xs, 2).unwrap();
    check_grads(|x: &[Tensor]| (&x[0] * 0.2).erfinv().sum(), &xs, 2).unwrap();
    let v = vmap(|r: &Tensor| r.digamma(), 0, 0)(&t(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]));
    assert_eq!(
        v.to_vec::<f64>(),
        t(vec![1.0, 2.0, 3.0, 4.0], &[4]).digamma().to_vec::<f64>()
    );
}
