//! `Conv2d` and `MaxPool2d`: shapes and init, agreement with the functional ops, a small CNN in
//! `Sequential` (parameter names, gradients against finite differences, jit), and the stride
//! and padding fields reaching `jit`'s cache.

use cotangent::testing::check_grads;
use cotangent::tree;
use cotangent::{Conv2dOptions, DType, Tensor};
use cotangent_nn::{Activation, Conv2d, Init, MaxPool2d, Module, Sequential};

fn cnn(seed: u64) -> Sequential {
    let mut init = Init::new(seed, DType::F64);
    let mut c1 = Conv2d::new(2, 4, (3, 3), Conv2dOptions::default().padding(1), &mut init);
    c1.bias = Some(Tensor::randn(&[4], seed + 1, DType::F64));
    Sequential::new()
        .append(c1)
        .append(Activation::Tanh)
        .append(MaxPool2d::new((2, 2)))
        .append(Conv2d::new(
            4,
            2,
            (2, 2),
            Conv2dOptions::default().groups(2),
            &mut init,
        ))
}

#[test]
fn init_and_forward_match_the_functional_ops() {
    let mut init = Init::new(0, DType::F64);
    let c = Conv2d::new(4, 6, (3, 3), Conv2dOptions::default().groups(2), &mut init);
    assert_eq!(c.weight.dims(), &[6, 2, 3, 3]);
    // Kaiming uniform, fan-in 2·3·3 = 18: bound √2·√(3/18).
    let bound = (2.0f64 * 3.0 / 18.0).sqrt();
    let w = c.weight.to_vec::<f64>();
    assert!(w.iter().all(|v| v.abs() <= bound) && w.iter().any(|v| v.abs() > bound / 2.0));
    let x = Tensor::randn(&[2, 4, 5, 5], 3, DType::F64);
    let y = c.forward(&x);
    let e = x.conv2d(&c.weight, c.bias.as_ref(), c.options());
    assert_eq!(y.to_vec::<f64>(), e.to_vec::<f64>());
    assert_eq!(c.params().len(), 2);
    let p = MaxPool2d::new((2, 2));
    assert!(p.params().is_empty());
    assert_eq!(p.forward(&x).dims(), &[2, 4, 2, 2]);
}

#[test]
fn a_small_cnn_in_sequential() {
    let s = cnn(5);
    let names: Vec<String> = s.params().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["0.weight", "0.bias", "3.weight", "3.bias"]);
    let x = Tensor::randn(&[2, 2, 6, 6], 7, DType::F64);
    assert_eq!(s.forward(&x).dims(), &[2, 2, 2, 2]);
    // Gradients of order 1 and 2 w.r.t. every parameter, against finite differences.
    let f = |ps: &[Tensor]| s.with_params(ps).forward(&x).sin();
    check_grads(f, &s.param_tensors(), 2).unwrap();
    let g = tree::grad(|s: &Sequential| s.forward(&x).square().sum())(&s);
    assert_eq!(tree::paths(&g), tree::paths(&s));
    // jit equals eager, and a different stride is a different program.
    let jf = tree::jit(|s: &Sequential| s.forward(&x));
    let (a, b) = (jf(&s).to_vec::<f64>(), s.forward(&x).to_vec::<f64>());
    assert!(a.iter().zip(&b).all(|(p, q)| (p - q).abs() < 1e-12));
    let mut c = s.get::<Conv2d>(0).unwrap().clone();
    c.stride = (2, 2);
    let other = Sequential::new().append(c).append(MaxPool2d::new((3, 3)));
    assert_eq!(jf(&other).dims(), &[2, 4, 1, 1]);
}
