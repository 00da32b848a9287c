//! `check_grads` (forward and reverse mode against central finite differences, f64) through
//! every layer — with respect to the input and every parameter — and every loss.

mod common;

use common::{fill, fill_scaled};
use cotangent::Tensor;
use cotangent::testing::check_grads;
use cotangent_nn::{
    Activation, Dropout, Embedding, Init, LayerNorm, Linear, Mlp, Module, MultiHeadAttention,
    TransformerBlock, loss,
};

/// `[x, params...]` for a module and an input.
fn inputs(x: &Tensor, m: &impl Module) -> Vec<Tensor> {
    let mut v = vec![x.clone()];
    v.extend(m.param_tensors());
    v
}

fn init() -> Init {
    Init::new(3, cotangent::DType::F64)
}

#[test]
fn linear_order_2() {
    let fc = Linear::new(3, 2, &mut init());
    let f = |xs: &[Tensor]| fc.with_params(&xs[1..]).forward(&xs[0]);
    check_grads(f, &inputs(&fill(&[2, 2, 3], 1.0), &fc), 2).unwrap();
}

#[test]
fn embedding_order_2() {
    let emb = Embedding::new(5, 3, &mut init());
    let ids = Tensor::from_vec(vec![4i64, 0, 4, 2], &[2, 2]);
    let f = |xs: &[Tensor]| emb.with_params(xs).forward(&ids).tanh();
    check_grads(f, &emb.param_tensors(), 2).unwrap();
}

#[test]
fn layer_norm_order_2() {
    let mut ln = LayerNorm::new(4, &mut init());
    ln.gamma = fill(&[4], 2.0) + 1.0;
    ln.beta = fill(&[4], 3.0);
    let f = |xs: &[Tensor]| ln.with_params(&xs[1..]).forward(&xs[0]);
    check_grads(f, &inputs(&fill(&[3, 4], 1.0), &ln), 2).unwrap();
}

#[test]
fn mlp_gelu_and_tanh_order_2() {
    for act in [Activation::Gelu, Activation::Tanh, Activation::Sigmoid] {
        let mlp = Mlp::new(&[3, 4, 2], act, &mut init());
        let f = |xs: &[Tensor]| mlp.with_params(&xs[1..]).forward(&xs[0]);
        check_grads(f, &inputs(&fill(&[2, 3], 1.0), &mlp), 2).unwrap();
    }
}

#[test]
fn mlp_relu_order_1() {
    // Inputs chosen so that no pre-activation sits within the finite-difference step of the kink.
    let mlp = Mlp::new(&[3, 4, 2], Activation::Relu, &mut init());
    let f = |xs: &[Tensor]| mlp.with_params(&xs[1..]).forward(&xs[0]);
    check_grads(f, &inputs(&fill(&[2, 3], 1.0), &mlp), 1).unwrap();
}

#[test]
fn dropout_with_fixed_mask_order_2() {
    let d = Dropout::new(0.4, 0);
    let f = |xs: &[Tensor]| d.forward_with_seed(&xs[0], 11).sin();
    check_grads(f, &[fill(&[10], 1.0)], 2).unwrap();
}

#[test]
fn attention_order_1_and_2() {
    for causal in [false, true] {
        let attn = MultiHeadAttention::new(4, 2, causal, &mut init());
        let f = |xs: &[Tensor]| attn.with_params(&xs[1..]).forward(&xs[0]);
        let xs = inputs(&fill(&[2, 3, 4], 1.0), &attn);
        check_grads(f, &xs, 1).unwrap();
        // Second order with respect to the input only (the weights held fixed) stays cheap.
        let g = |xs: &[Tensor]| attn.forward(&xs[0]);
        check_grads(g, &xs[..1], 2).unwrap();
    }
}

#[test]
fn transformer_block_order_1() {
    let block = TransformerBlock::new(4, 2, 2, true, 0.0, &mut init());
    let f = |xs: &[Tensor]| block.with_params(&xs[1..]).forward(&xs[0]);
    check_grads(f, &inputs(&fill(&[1, 3, 4], 1.0), &block), 1).unwrap();
}

#[test]
fn cross_entropy_order_2() {
    let labels = Tensor::from_vec(vec![0i64, 4, 2, 1, 1, 3], &[2, 3]);
    let f = |xs: &[Tensor]| loss::cross_entropy(&xs[0], &labels);
    check_grads(f, &[fill_scaled(&[2, 3, 5], 1.0, 2.0)], 2).unwrap();
    let g = |xs: &[Tensor]| loss::cross_entropy_smoothed(&xs[0], &labels, 0.1);
    check_grads(g, &[fill_scaled(&[2, 3, 5], 1.0, 2.0)], 2).unwrap();
}

#[test]
fn mse_order_2() {
    let f = |xs: &[Tensor]| loss::mse(&xs[0], &xs[1]);
    check_grads(f, &[fill(&[3, 4], 1.0), fill(&[3, 4], 2.0)], 2).unwrap();
}

#[test]
fn bce_with_logits_order_2() {
    let f = |xs: &[Tensor]| loss::binary_cross_entropy_with_logits(&xs[0], &xs[1]);
    let z = fill_scaled(&[8], 1.0, 3.0);
    let t = fill(&[8], 2.0).abs() * 2.0;
    check_grads(f, &[z, t], 2).unwrap();
}
