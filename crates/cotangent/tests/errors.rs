//! Bad input gets a clear error naming the operation, the shapes or dtypes, and the caller's
//! line; the operator sugar panics with the same message at the caller's line.

use std::panic::{catch_unwind, AssertUnwindSafe};

use cotangent::*;

fn panic_message(f: impl FnOnce()) -> String {
    let err = catch_unwind(AssertUnwindSafe(f)).expect_err("should panic");
    err.downcast_ref::<String>().cloned().unwrap_or_default()
}

#[test]
fn matmul_shape_mismatch_names_both_shapes_and_the_caller() {
    let a = Tensor::zeros(&[2, 3], DType::F64);
    let b = Tensor::zeros(&[4, 5], DType::F64);
    let err = a.try_matmul(&b).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Shape);
    assert_eq!(err.op, "matmul");
    let msg = err.to_string();
    assert!(msg.contains("[2, 3]") && msg.contains("[4, 5]"), "{msg}");
    assert!(msg.contains("tests/errors.rs"), "{msg}");
    let msg = panic_message(|| {
        let _ = a.matmul(&b);
    });
    assert!(
        msg.contains("matmul") && msg.contains("tests/errors.rs"),
        "{msg}"
    );
}

#[test]
fn broadcasting_mismatch_names_both_shapes_and_the_line() {
    let a = Tensor::zeros(&[2, 3], DType::F32);
    let b = Tensor::zeros(&[4], DType::F32);
    let line = line!() + 1;
    let err = a.try_add(&b).unwrap_err();
    let msg = err.to_string();
    assert!(msg.starts_with("add:"), "{msg}");
    assert!(msg.contains("[2, 3]") && msg.contains("[4]"), "{msg}");
    assert_eq!(err.location.unwrap().line(), line, "{msg}");
    let line = line!() + 2;
    let msg = panic_message(|| {
        let _ = &a + &b;
    });
    assert!(msg.contains(&format!("tests/errors.rs:{line}")), "{msg}");
}

#[test]
fn reduction_axis_out_of_range() {
    let x = Tensor::zeros(&[2, 3], DType::F64);
    let err = x.try_sum_axes(&[2], false).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Axis);
    assert!(
        err.to_string().contains("axis 2") && err.to_string().contains("rank 2"),
        "{err}"
    );
    assert!(x.try_max_axes(&[-3], true).is_err());
    assert!(x.try_sum_axes(&[-2], false).is_ok());
}

#[test]
fn dtype_mismatch() {
    let a = Tensor::zeros(&[2], DType::F32);
    let b = Tensor::zeros(&[2], DType::F64);
    let err = a.try_mul(&b).unwrap_err();
    assert_eq!(err.kind, ErrorKind::DType);
    assert!(
        err.to_string().contains("f32") && err.to_string().contains("f64"),
        "{err}"
    );
    let i = Tensor::zeros(&[2], DType::I64);
    assert_eq!(i.try_exp().unwrap_err().kind, ErrorKind::DType);
    assert_eq!(a.try_to_vec::<f64>().unwrap_err().kind, ErrorKind::DType);
}

#[test]
fn other_bad_inputs_are_errors_not_crashes() {
    assert!(Tensor::try_from_vec(vec![1.0f64; 5], &[2, 3]).is_err());
    assert!(
        Tensor::try_full(&[usize::MAX, 2], 0.0, DType::F32).is_err(),
        "overflowing shape"
    );
    let x = Tensor::arange(0.0, 5.0, 1.0, DType::F64);
    assert_eq!(
        x.try_index_select(0, &Tensor::from_vec(vec![5i64], &[1]))
            .unwrap_err()
            .kind,
        ErrorKind::Index
    );
    assert!(x.try_reshape(&[2, 2]).is_err());
    assert!(x.try_narrow(0, 3, 3).is_err());
    assert!(x.try_item::<f64>().is_err());
    assert!(Tensor::try_concat(&[], 0).is_err());
    assert!(x.try_backward().is_err(), "backward needs a scalar");
    let msg = panic_message(|| {
        let _ = grad(|x: &Tensor| x * 2.0)(&x);
    });
    assert!(msg.contains("scalar"), "{msg}");
}

#[test]
fn integer_arguments_cannot_be_differentiated() {
    let i = Tensor::from_vec(vec![1i64, 2], &[2]);
    let err = try_value_and_grad_n(|xs| xs[0].cast(DType::F64).sum(), &[i.clone()]).unwrap_err();
    assert_eq!(err.kind, ErrorKind::DType);
    assert!(err.to_string().contains("argument 0 is i64"), "{err}");
    assert!(try_vjp(|xs| xs[0].cast(DType::F64), &[i]).is_err());
}

#[test]
fn constructors_have_fallible_forms() {
    assert!(Tensor::try_stack(&[], 0).is_err());
    let a = Tensor::zeros(&[2], DType::F64);
    let b = Tensor::zeros(&[3], DType::F64);
    assert_eq!(
        Tensor::try_stack(&[a.clone(), b], 0).unwrap_err().kind,
        ErrorKind::Shape
    );
    assert_eq!(
        Tensor::try_stack(&[a.clone(), a], -1).unwrap().dims(),
        &[2, 2]
    );
    assert!(Tensor::try_eye(usize::MAX, DType::F32).is_err());
    assert!(Tensor::try_linspace(0.0, 1.0, usize::MAX, DType::F64).is_err());
    assert!(Tensor::try_rand(&[usize::MAX, 4], 0, DType::F32).is_err());
    assert!(Tensor::try_randn(&[1 << 40, 1 << 40], 0, DType::F64).is_err());
    assert!(Tensor::try_zeros(&[usize::MAX, 2], DType::F64).is_err());
    assert_eq!(
        Tensor::try_ones(&[2], DType::I64).unwrap().to_vec::<i64>(),
        vec![1, 1]
    );
    assert_eq!(
        Tensor::try_linspace(0.0, 1.0, 3, DType::F64)
            .unwrap()
            .to_vec::<f64>(),
        vec![0.0, 0.5, 1.0]
    );
}
