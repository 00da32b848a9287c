//! The `Module` trait: names, order, replacement by position and by name, and the functional
//! training style (gradients over the parameter list, then an optimizer step).

use std::collections::HashMap;

use cotangent::{DType, Tensor, try_value_and_grad_n};
use cotangent_nn::{
    Activation, Init, Mlp, Module, NnError, Optimizer, Sgd, TransformerBlock, loss,
};

#[test]
fn nested_names_are_dotted_and_in_visit_order() {
    let block = TransformerBlock::new(8, 2, 4, true, 0.0, &mut Init::new(0, DType::F32));
    let names: Vec<String> = block.params().into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "ln1.gamma",
            "ln1.beta",
            "attn.qkv.weight",
            "attn.qkv.bias",
            "attn.out.weight",
            "attn.out.bias",
            "ln2.gamma",
            "ln2.beta",
            "mlp.layers.0.weight",
            "mlp.layers.0.bias",
            "mlp.layers.1.weight",
            "mlp.layers.1.bias",
        ]
    );
    let shapes = block.param_shapes();
    assert_eq!(shapes["attn.qkv.weight"], vec![8, 24]);
    assert_eq!(shapes["mlp.layers.0.weight"], vec![8, 32]);
}

#[test]
fn with_params_leaves_the_original_alone() {
    let mlp = Mlp::new(&[2, 3, 1], Activation::Tanh, &mut Init::new(0, DType::F64));
    let zeros: Vec<Tensor> = mlp.param_tensors().iter().map(Tensor::zeros_like).collect();
    let z = mlp.with_params(&zeros);
    let x = Tensor::ones(&[1, 2], DType::F64);
    assert_eq!(z.forward(&x).to_vec::<f64>(), vec![0.0]);
    assert_ne!(mlp.forward(&x).to_vec::<f64>(), vec![0.0]);
}

#[test]
#[should_panic(expected = "set_params: `layers.0.weight` is f64[2, 3] but f64[3, 2] was given")]
fn set_params_rejects_a_wrong_shape() {
    let mut mlp = Mlp::new(&[2, 3, 1], Activation::Tanh, &mut Init::new(0, DType::F64));
    let mut ps = mlp.param_tensors();
    ps[0] = Tensor::zeros(&[3, 2], DType::F64);
    mlp.set_params(&ps);
}

#[test]
#[should_panic(expected = "3 tensors given, the model has 4")]
fn set_params_rejects_too_few() {
    let mut mlp = Mlp::new(&[2, 3, 1], Activation::Tanh, &mut Init::new(0, DType::F64));
    let ps = mlp.param_tensors();
    mlp.set_params(&ps[..3]);
}

#[test]
fn load_params_by_name() {
    let blocks = |seed| -> Vec<TransformerBlock> {
        let mut init = Init::new(seed, DType::F32);
        (0..2)
            .map(|_| TransformerBlock::new(8, 2, 4, true, 0.0, &mut init))
            .collect()
    };
    let (a, mut b) = (blocks(1), blocks(2));
    let named: HashMap<String, Tensor> = a.params().into_iter().collect();
    b.load_params(&named).unwrap();
    assert_eq!(
        a[1].attn.out.weight.to_vec::<f32>(),
        b[1].attn.out.weight.to_vec::<f32>()
    );
    let mut partial = named.clone();
    partial.remove("0.ln2.beta");
    let err = b.load_params(&partial).unwrap_err();
    assert!(matches!(err, NnError::Missing { ref name, .. } if name == "0.ln2.beta"));
}

#[test]
fn functional_training_reduces_a_regression_loss() {
    // Fit y = sin(3x) with a small tanh MLP, full-batch SGD with Nesterov momentum.
    let x = Tensor::linspace(-1.0, 1.0, 32, DType::F64).reshape(&[32, 1]);
    let y = (&x * 3.0).sin();
    let model = Mlp::new(&[1, 16, 1], Activation::Tanh, &mut Init::new(0, DType::F64));
    let mut params = model.param_tensors();
    let mut opt = Sgd::new(0.1).momentum(0.9).nesterov(true);
    let mut losses = Vec::new();
    for _ in 0..200 {
        let (l, g) = try_value_and_grad_n(
            |ps| loss::mse(&model.with_params(ps).forward(&x), &y),
            &params,
        )
        .unwrap();
        losses.push(l.item::<f64>());
        opt.step(&mut params, &g);
    }
    assert!(
        losses[199] < 0.05 * losses[0],
        "{} -> {}",
        losses[0],
        losses[199]
    );
}
