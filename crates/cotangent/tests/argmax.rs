//! `argmax`: values, ties, NaN, views, errors, and no derivative.

use cotangent::*;

#[test]
fn argmax_values_ties_nan_and_views() {
    let x = Tensor::from_vec(vec![1.0, 5.0, 5.0, 4.0, 9.0, -1.0], &[2, 3]);
    assert_eq!(
        x.argmax(1, false).to_vec::<i64>(),
        vec![1, 1],
        "first of a tie wins"
    );
    assert_eq!(x.argmax(0, false).to_vec::<i64>(), vec![1, 1, 0]);
    assert_eq!(
        x.t().argmax(0, false).to_vec::<i64>(),
        vec![1, 1],
        "through a transposed view"
    );
    assert_eq!(x.argmax(-1, true).dims(), &[2, 1]);
    let n = Tensor::from_vec(vec![1.0, f64::NAN, 3.0], &[3]);
    assert_eq!(
        n.argmax(0, false).item::<i64>(),
        1,
        "NaN counts as the largest, as NumPy"
    );
    let i = Tensor::from_vec(vec![3i64, 7, 7], &[3]);
    assert_eq!(i.argmax(0, false).item::<i64>(), 1);
    assert_eq!(
        Tensor::from_vec(vec![2.0f32], &[1]).argmax(0, false).rank(),
        0
    );
}

#[test]
fn argmax_errors_and_gradients() {
    let x = Tensor::zeros(&[2, 0], DType::F64);
    assert_eq!(x.try_argmax(1, false).unwrap_err().kind, ErrorKind::Shape);
    assert_eq!(x.try_argmax(2, false).unwrap_err().kind, ErrorKind::Axis);
    // The index carries no derivative; gradients flow only through the values it selects.
    let f = |x: &Tensor| {
        let i = x.argmax(0, false).unsqueeze(0);
        x.index_select(0, &i).sum() * 2.0
    };
    let g = grad(f)(&Tensor::from_vec(vec![0.5, 3.0, 1.0], &[3]));
    assert_eq!(g.to_vec::<f64>(), vec![0.0, 2.0, 0.0]);
}
