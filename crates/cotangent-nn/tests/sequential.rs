//! `Sequential`: PyTorch's parameter names, a forward pass against the layers applied by hand,
//! gradients shaped like the container, safetensors round trips, train/eval mode reaching the
//! layers, and a jitted forward pass.

use std::cell::Cell;

use cotangent::tree;
use cotangent::{DType, Tensor};
use cotangent_nn::{
    Activation, Dropout, Init, LayerNorm, Linear, Module, NnError, Sequential, load, save,
};

fn net(seed: u64) -> Sequential {
    let mut init = Init::new(seed, DType::F64);
    let mut ln = LayerNorm::new(6, &mut init);
    ln.gamma = Tensor::randn(&[6], seed + 10, DType::F64);
    Sequential::new()
        .append(Linear::new(4, 6, &mut init))
        .append(Activation::Tanh)
        .append(ln)
        .append(Dropout::new(0.5, 3))
        .append(Linear::new(6, 2, &mut init))
}

#[test]
fn parameters_are_named_by_position_like_pytorch() {
    let s = net(0);
    let names: Vec<String> = s.params().into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "0.weight", "0.bias", "2.gamma", "2.beta", "4.weight", "4.bias"
        ]
    );
    assert_eq!(s.num_params(), 4 * 6 + 6 + 6 + 6 + 6 * 2 + 2);
    assert_eq!(tree::paths(&s), names);
    // Nested containers get dotted names.
    let outer = Sequential::new().append(Activation::Relu).append(net(0));
    assert_eq!(outer.params()[0].0, "1.0.weight");
    assert!(format!("{outer:?}").contains("Activation"));
}

#[test]
fn forward_applies_the_layers_in_order() {
    let mut s = net(1);
    s.set_training(false); // dropout off
    let x = Tensor::randn(&[3, 4], 9, DType::F64);
    let l0 = s.get::<Linear>(0).unwrap();
    let ln = s.get::<LayerNorm>(2).unwrap();
    let l4 = s.get::<Linear>(4).unwrap();
    let by_hand = l4.forward(&ln.forward(&l0.forward(&x).tanh()));
    assert_eq!(s.forward(&x).to_vec::<f64>(), by_hand.to_vec::<f64>());
    assert!(s.get::<Linear>(1).is_none());
}

#[test]
fn train_and_eval_mode_reach_the_layers() {
    let mut s = net(1);
    let x = Tensor::randn(&[3, 4], 9, DType::F64);
    assert!(s.get::<Dropout>(3).unwrap().training);
    s.set_training(false);
    assert!(!s.get::<Dropout>(3).unwrap().training);
    assert_eq!(s.forward(&x).to_vec::<f64>(), s.forward(&x).to_vec::<f64>());
    // A clone is a deep copy of the layers.
    let mut c = s.clone();
    c.set_training(true);
    assert!(!s.get::<Dropout>(3).unwrap().training);
}

#[test]
fn gradients_are_shaped_like_the_container() {
    let mut s = net(2);
    s.set_training(false);
    let x = Tensor::randn(&[5, 4], 4, DType::F64);
    let loss = |s: &Sequential| s.forward(&x).square().sum();
    let g = tree::grad(loss)(&s);
    assert_eq!(tree::paths(&g), tree::paths(&s));
    // Against the gradient over the flat parameter list.
    let flat = cotangent::grad_n(|ps: &[Tensor]| loss(&s.with_params(ps)))(&s.param_tensors());
    for (a, b) in tree::flatten(&g).iter().zip(&flat) {
        assert_eq!(a.to_vec::<f64>(), b.to_vec::<f64>());
    }
}

#[test]
fn a_jitted_forward_pass_traces_once() {
    let mut s = net(3);
    s.set_training(false);
    let x = Tensor::randn(&[2, 4], 5, DType::F64);
    let traces = Cell::new(0);
    let f = tree::jit(|s: &Sequential| {
        traces.set(traces.get() + 1);
        s.forward(&x)
    });
    let eager = s.forward(&x).to_vec::<f64>();
    let a = f(&s).to_vec::<f64>();
    let b = f(&s.with_params(&s.param_tensors())).to_vec::<f64>();
    assert_eq!(traces.get(), 1);
    for (p, q) in eager.iter().zip(a.iter().chain(&b)) {
        assert!((p - q).abs() < 1e-12, "{p} vs {q}");
    }
    // Another kind of layer at the same position retraces.
    let other = Sequential::new()
        .append(s.get::<Linear>(0).unwrap().clone())
        .append(Activation::Relu)
        .append(s.get::<LayerNorm>(2).unwrap().clone())
        .append(Activation::Identity)
        .append(s.get::<Linear>(4).unwrap().clone());
    let _ = f(&other);
    assert_eq!(traces.get(), 2);
}

#[test]
fn checkpoints_round_trip_and_check_names() {
    let path = std::env::temp_dir().join(format!(
        "cotangent-nn-test-{}-sequential.safetensors",
        std::process::id()
    ));
    let a = net(4);
    save(&a, &path).unwrap();
    let mut b = net(5);
    assert_ne!(
        a.params()[0].1.to_vec::<f64>(),
        b.params()[0].1.to_vec::<f64>()
    );
    load(&mut b, &path).unwrap();
    for ((n1, t1), (n2, t2)) in a.params().iter().zip(b.params()) {
        assert_eq!((n1, t1.to_vec::<f64>()), (&n2, t2.to_vec::<f64>()));
    }
    // A container with another layout is refused by name.
    let mut init = Init::new(0, DType::F64);
    let mut other = Sequential::new().append(Linear::new(4, 6, &mut init));
    let err = load(&mut other, &path).unwrap_err();
    assert!(
        matches!(err, NnError::Unexpected { ref name } if name == "2.beta"),
        "{err}"
    );
    std::fs::remove_file(path).ok();
}
