//! The normalization and transposed-convolution layers: the running statistics follow
//! PyTorch's update, eval mode uses them, a CNN with BatchNorm2d and GroupNorm differentiates,
//! and ConvTranspose2d is the adjoint of a Conv2d with the same weight.

use cotangent::{Conv2dOptions, ConvTranspose2dOptions, DType, Tensor, grad, vjp};
use cotangent_nn::{BatchNorm2d, Conv2d, ConvTranspose2d, GroupNorm, Init, Module};

#[test]
fn running_statistics_follow_pytorch_s_update() {
    let mut bn = BatchNorm2d::new(3, &mut Init::new(0, DType::F64));
    let x = Tensor::randn(&[4, 3, 2, 5], 1, DType::F64) * 2.0 + 1.0;
    let (_, stats) = bn.forward_train(&x);
    // Unbiased: the count per channel is 4·2·5 = 40.
    let biased = x.var_axes(&[0, 2, 3], false);
    let want = &biased * (40.0 / 39.0);
    let err = (&stats.var - &want).abs().max().item::<f64>();
    assert!(err < 1e-14, "{err}");
    bn.update_running(&stats);
    bn.update_running(&stats);
    // Two updates with momentum 0.1: 0.81·initial + 0.19·batch.
    let m = x.mean_axes(&[0, 2, 3], false) * 0.19;
    assert!((&bn.running_mean - &m).abs().max().item::<f64>() < 1e-14);
    let v = want * 0.19 + 0.81;
    assert!((&bn.running_var - &v).abs().max().item::<f64>() < 1e-14);
    // Eval mode normalizes by the running statistics: a different output than training mode.
    let train_y = bn.forward(&x);
    bn.set_training(false);
    let eval_y = bn.forward(&x);
    let direct = x.batch_norm_with_stats(&bn.running_mean, &bn.running_var, None, None, 1e-5);
    assert!((&eval_y - &direct).abs().max().item::<f64>() < 1e-14);
    assert!((&eval_y - &train_y).abs().max().item::<f64>() > 0.1);
    // Only weight and bias are parameters.
    let names: Vec<String> = bn.params().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, vec!["weight", "bias"]);
}

#[test]
fn a_normalized_cnn_differentiates() {
    let mut init = Init::new(0, DType::F64);
    let conv = Conv2d::new(2, 4, (3, 3), Conv2dOptions::default().padding(1), &mut init);
    let bn = BatchNorm2d::new(4, &mut init);
    let gn = GroupNorm::new(2, 4, &mut init);
    let x = Tensor::randn(&[3, 2, 5, 5], 2, DType::F64);
    let loss = |w: &Tensor| {
        let c = Conv2d {
            weight: w.clone(),
            ..conv.clone()
        };
        let h = bn.forward(&c.forward(&x)).relu();
        gn.forward(&h).square().mean()
    };
    let g = grad(loss)(&conv.weight);
    // Central differences on a few weight entries.
    let w = conv.weight.to_vec::<f64>();
    for k in [0, 7, 35, 71] {
        let at = |d: f64| {
            let mut v = w.clone();
            v[k] += d;
            loss(&Tensor::from_vec(v, conv.weight.dims())).item::<f64>()
        };
        let fd = (at(1e-6) - at(-1e-6)) / 2e-6;
        let got = g.to_vec::<f64>()[k];
        assert!(
            (fd - got).abs() < 1e-6 * (1.0 + fd.abs()),
            "entry {k}: {got} vs {fd}"
        );
    }
}

#[test]
fn conv_transpose2d_layer_is_the_adjoint_of_conv2d() {
    let mut init = Init::new(3, DType::F64);
    let o = ConvTranspose2dOptions::default()
        .stride(2)
        .padding(1)
        .output_padding(1);
    let up = ConvTranspose2d::new(4, 2, (3, 3), o, &mut init);
    let up = ConvTranspose2d { bias: None, ..up };
    let down = Conv2d::from_tensors(
        up.weight.clone(),
        None,
        Conv2dOptions::default().stride(2).padding(1),
    );
    let x = Tensor::randn(&[1, 2, 8, 8], 4, DType::F64);
    let u = Tensor::randn(&[1, 4, 4, 4], 5, DType::F64);
    let (y, pull) = vjp(|a| down.forward(&a[0]), &[x]);
    assert_eq!(y.dims(), &[1, 4, 4, 4]);
    let want = pull.try_call(&u).unwrap().remove(0);
    let got = up.forward(&u);
    assert!((&got - &want).abs().max().item::<f64>() < 1e-13);
    assert_eq!(up.params().len(), 1);
}
