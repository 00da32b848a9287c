//! Scalars and dtypes that do not get in the way: weakly typed rank-0 operands, exact integer
//! arithmetic, bool sums that count, `reshape` with one `-1`, and `+=`-style operators.

use cotangent::{grad, jit, tree, vmap, DType, Tensor};

fn f32s(t: &Tensor) -> Vec<f32> {
    t.to_vec::<f32>()
}

#[test]
fn a_scalar_tensor_takes_the_dtype_of_an_f32_tensor() {
    let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]);
    let two = Tensor::scalar(2.0); // f64
    for (y, want) in [
        (&x * &two, vec![2.0f32, 4.0, 6.0]),
        (&two * &x, vec![2.0, 4.0, 6.0]),
        (&x + &two, vec![3.0, 4.0, 5.0]),
        (&two - &x, vec![1.0, 0.0, -1.0]),
        (x.maximum(&two), vec![2.0, 2.0, 3.0]),
        (&x * 2.0, vec![2.0, 4.0, 6.0]),
    ] {
        assert_eq!(y.dtype(), DType::F32);
        assert_eq!(f32s(&y), want);
    }
    // Comparisons and where_ with scalar branches keep f32 too.
    let m = x.gt(&two);
    assert_eq!(m.to_vec::<bool>(), vec![false, false, true]);
    let r = cotangent::where_(&m, &x, &Tensor::scalar(0.0));
    assert_eq!(r.dtype(), DType::F32);
    // An integer scalar with an f32 tensor: f32.
    let y = &x * &Tensor::from_vec(vec![3i64], &[]);
    assert_eq!((y.dtype(), f32s(&y)), (DType::F32, vec![3.0, 6.0, 9.0]));
    // Gradients flow through the cast scalar, in f32 and back to the scalar's own dtype.
    let g = grad(|s: &Tensor| (&x * s).sum())(&Tensor::scalar(2.0));
    assert_eq!((g.dtype(), g.item::<f64>()), (DType::F64, 6.0));
    // The same rule under jit and vmap.
    let f = jit(|a: &Tensor| a * &Tensor::scalar(0.5) + 1.0);
    let out = f(&x);
    assert_eq!((out.dtype(), f32s(&out)), (DType::F32, vec![1.5, 2.0, 2.5]));
    let v = vmap(|row: &Tensor| row * &Tensor::scalar(3.0), 0, 0)(&x.reshape(&[3, 1]));
    assert_eq!(v.dtype(), DType::F32);
}

#[test]
fn tensors_of_two_ranks_and_dtypes_still_disagree() {
    let a = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
    let b = Tensor::from_vec(vec![1.0f64, 2.0], &[2]);
    let e = a.try_add(&b).unwrap_err().to_string();
    assert!(e.contains("f32") && e.contains("f64"), "{e}");
}

#[test]
fn integer_arithmetic_is_exact() {
    let big = (1i64 << 60) + 1;
    let a = Tensor::from_vec(vec![big, -7, 7], &[3]);
    let b = Tensor::from_vec(vec![1i64, 2, -2], &[3]);
    assert_eq!((&a + &b).to_vec::<i64>(), vec![big + 1, -5, 5]);
    assert_eq!((&a - &b).to_vec::<i64>(), vec![big - 1, -9, 9]);
    assert_eq!((&a * &b).to_vec::<i64>(), vec![big, -14, -14]);
    assert_eq!(
        (&a * 3.0).to_vec::<i64>(),
        vec![big.wrapping_mul(3), -21, 21]
    );
    assert_eq!((-&a).to_vec::<i64>(), vec![-big, 7, -7]);
    assert_eq!(a.maximum(&b).to_vec::<i64>(), vec![big, 2, 7]);
    assert_eq!(a.minimum(&b).to_vec::<i64>(), vec![1, -7, -2]);
    assert_eq!(a.floor_divide(&b).to_vec::<i64>(), vec![big, -4, -4]);
    assert_eq!(a.remainder(&b).to_vec::<i64>(), vec![0, 1, -1]);
    assert_eq!((&a + 1.0).dtype(), DType::I64);
    // True division and non-integral Rust numbers give f64.
    let q = &a.narrow(0, 1, 2) / &b.narrow(0, 1, 2);
    assert_eq!(
        (q.dtype(), q.to_vec::<f64>()),
        (DType::F64, vec![-3.5, -3.5])
    );
    assert_eq!((&a * 0.5).dtype(), DType::F64);
    // Broadcasting, and a zero divisor is an error.
    let row = Tensor::from_vec(vec![10i64, 20], &[1, 2]);
    let col = Tensor::from_vec(vec![1i64, 2, 3], &[3, 1]);
    assert_eq!((&row + &col).to_vec::<i64>(), vec![11, 21, 12, 22, 13, 23]);
    let e = a
        .try_floor_divide(&Tensor::from_vec(vec![0i64], &[]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("division by zero"), "{e}");
    // Under jit and vmap.
    let f = jit(|t: &Tensor| t * &Tensor::from_vec(vec![2i64], &[]) + 1.0);
    assert_eq!(f(&a).to_vec::<i64>(), vec![(big * 2) + 1, -13, 15]);
    let v = vmap(|t: &Tensor| t + &Tensor::from_vec(vec![5i64], &[]), 0, 0)(&col);
    assert_eq!(v.to_vec::<i64>(), vec![6, 7, 8]);
}

#[test]
fn float_floor_divide_and_remainder_follow_python() {
    let a = Tensor::from_vec(vec![7.5f64, -7.5], &[2]);
    let b = Tensor::scalar(2.0);
    assert_eq!(a.floor_divide(&b).to_vec::<f64>(), vec![3.0, -4.0]);
    assert_eq!(a.remainder(&b).to_vec::<f64>(), vec![1.5, 0.5]);
}

#[test]
fn sum_of_a_bool_tensor_counts() {
    let x = Tensor::from_vec(vec![0.5f64, 2.0, 3.0, -1.0], &[2, 2]);
    let n = x.gt(&Tensor::scalar(1.0)).sum();
    assert_eq!((n.dtype(), n.item::<i64>()), (DType::I64, 2));
    let per_row = x.gt(&Tensor::scalar(0.0)).sum_axes(&[1], false);
    assert_eq!(per_row.to_vec::<i64>(), vec![2, 1]);
    let ints = Tensor::from_vec(vec![(1i64 << 55) + 1, 1], &[2]).sum();
    assert_eq!(ints.item::<i64>(), (1i64 << 55) + 2);
    // The mean of a mask is a rate, as f64.
    let rate = x.gt(&Tensor::scalar(1.0)).mean();
    assert_eq!((rate.dtype(), rate.item::<f64>()), (DType::F64, 0.5));
}

#[test]
fn reshape_infers_one_minus_one() {
    let x = Tensor::arange(0.0, 12.0, 1.0, DType::F64);
    assert_eq!(x.reshape(&[-1, 4]).dims(), &[3, 4]);
    assert_eq!(x.reshape(&[2, -1, 3]).dims(), &[2, 2, 3]);
    assert_eq!(x.reshape(&[3, 4]).reshape(&[-1]).dims(), &[12]);
    assert_eq!(Tensor::scalar(1.0).reshape(()).dims(), &[] as &[usize]);
    let dims: Vec<usize> = vec![4, 3];
    assert_eq!(x.reshape(&dims).dims(), &[4, 3]);
    let e = x.try_reshape(&[-1, -1]).unwrap_err().to_string();
    assert!(e.contains("-1"), "{e}");
    let e = x.try_reshape(&[-1, 5]).unwrap_err().to_string();
    assert!(e.contains("12") && e.contains("5"), "{e}");
    let e = x.try_reshape(&[-2, 6]).unwrap_err().to_string();
    assert!(e.contains("-2"), "{e}");
}

#[test]
fn compound_assignment_builds_new_nodes() {
    let mut x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
    let old = x.clone();
    x += 1.0;
    x *= &Tensor::scalar(2.0);
    x -= Tensor::from_vec(vec![1.0f32, 1.0], &[2]);
    x /= 2.0;
    assert_eq!(f32s(&x), vec![1.5, 2.5]);
    assert_eq!(f32s(&old), vec![1.0, 2.0]);
    // Differentiable as the spelled-out expression.
    let g = grad(|w: &Tensor| {
        let mut acc = w.clone();
        acc *= w;
        acc += w;
        acc.sum()
    })(&Tensor::from_vec(vec![3.0f64], &[1]));
    assert_eq!(g.to_vec::<f64>(), vec![7.0]);
    // And on trees' leaves.
    let mut p = (Tensor::scalar(1.0), vec![Tensor::scalar(2.0)]);
    tree::Tree::for_each_leaf_mut(&mut p, &mut |t: &mut Tensor| *t += 1.0);
    assert_eq!(p.1[0].item::<f64>(), 3.0);
}
