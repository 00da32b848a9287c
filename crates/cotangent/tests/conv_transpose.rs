//! Transposed convolutions and the normalization layers: closed-form values, the adjoint
//! identity with `conv2d` over a grid of options, and the statistics batch and group
//! normalization give. (Derivatives at orders 1 and 2, vmap and jit: their rows in table.rs.)

use cotangent::*;

fn close(got: &Tensor, want: &Tensor, tol: f64, what: &str) {
    assert_eq!(got.dims(), want.dims(), "{what}: shapes");
    let (g, w) = (got.to_vec::<f64>(), want.to_vec::<f64>());
    let err = g
        .iter()
        .zip(&w)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(err <= tol, "{what}: max error {err:e} > {tol:e}");
}

/// For every option set, `conv_transpose2d(u, w)` is the VJP of `x ↦ conv2d(x, w)` at
/// cotangent `u`, with the output padding that gives back `x`'s size.
#[test]
fn conv_transpose2d_is_the_adjoint_of_conv2d() {
    let mut seed = 0;
    let mut checked = 0;
    for (h, w) in [(7, 6), (8, 5)] {
        for stride in [(1, 1), (2, 2), (3, 2)] {
            for padding in [(0, 0), (1, 2)] {
                for dilation in [(1, 1), (2, 1)] {
                    for groups in [1, 2] {
                        seed += 1;
                        let (c, o, k) = (2 * groups, 3 * groups, (3, 2));
                        let x = Tensor::randn(&[2, c, h, w], seed, DType::F64);
                        let wt = Tensor::randn(&[o, c / groups, k.0, k.1], seed + 100, DType::F64);
                        let copts = Conv2dOptions {
                            stride,
                            padding,
                            dilation,
                            groups,
                        };
                        let Ok(y) = x.try_conv2d(&wt, None, copts) else {
                            continue;
                        };
                        let u = Tensor::randn(y.dims(), seed + 200, DType::F64);
                        let (_, pull) = vjp(|a| a[0].conv2d(&wt, None, copts), &[x.clone()]);
                        let want = &pull.try_call(&u).unwrap()[0];
                        // The output padding that recovers x's size.
                        let base = |n: usize, k: usize, s: usize, p: usize, d: usize, m: usize| {
                            n - ((m - 1) * s + d * (k - 1) + 1 - 2 * p)
                        };
                        let (ho, wo) = (y.dims()[2], y.dims()[3]);
                        let op = (
                            base(h, k.0, stride.0, padding.0, dilation.0, ho),
                            base(w, k.1, stride.1, padding.1, dilation.1, wo),
                        );
                        let topts = ConvTranspose2dOptions {
                            stride,
                            padding,
                            output_padding: op,
                            dilation,
                            groups,
                        };
                        let got = u.conv_transpose2d(&wt, None, topts);
                        close(
                            &got,
                            want,
                            1e-12,
                            &format!("{copts:?}, output padding {op:?}"),
                        );
                        checked += 1;
                    }
                }
            }
        }
    }
    assert!(checked >= 40, "only {checked} option sets ran");
}

#[test]
fn conv_transpose2d_values_by_hand() {
    // One input pixel of value 1 stamps the kernel; padding 1 crops the border.
    let w = Tensor::arange(1.0, 10.0, 1.0, DType::F64).reshape(&[1, 1, 3, 3]);
    let one = Tensor::ones(&[1, 1, 1, 1], DType::F64);
    let stamp = one.conv_transpose2d(&w, None, ConvTranspose2dOptions::default());
    close(&stamp, &w, 0.0, "stamp");
    let cropped = one.conv_transpose2d(&w, None, ConvTranspose2dOptions::default().padding(1));
    close(
        &cropped,
        &Tensor::full(&[1, 1, 1, 1], 5.0, DType::F64),
        0.0,
        "crop",
    );
    // Stride 2 with overlapping 1×3 stamps of two pixels, plus a bias per output channel.
    let x = Tensor::from_vec(vec![1.0, 10.0], &[1, 1, 1, 2]);
    let y = x.conv_transpose2d(
        &Tensor::ones(&[1, 2, 1, 3], DType::F64),
        Some(&Tensor::from_vec(vec![0.0, 100.0], &[2])),
        ConvTranspose2dOptions {
            output_padding: (0, 1),
            ..ConvTranspose2dOptions::default().stride(2)
        },
    );
    let want = Tensor::from_vec(
        vec![
            1.0, 1.0, 11.0, 10.0, 10.0, 0.0, //
            101.0, 101.0, 111.0, 110.0, 110.0, 100.0,
        ],
        &[1, 2, 1, 6],
    );
    close(&y, &want, 0.0, "stride 2, output padding, bias");
}

#[test]
fn conv_transpose1d_matches_the_2d_form() {
    let x = Tensor::randn(&[2, 4, 5], 1, DType::F64);
    let w = Tensor::randn(&[4, 3, 3], 2, DType::F64);
    let o = ConvTranspose2dOptions {
        stride: (1, 2),
        padding: (0, 1),
        output_padding: (0, 1),
        dilation: (1, 2),
        groups: 2,
    };
    let one = x.conv_transpose1d(&w, None, o);
    let two = x
        .unsqueeze(2)
        .conv_transpose2d(&w.unsqueeze(2), None, o)
        .squeeze(2);
    close(&one, &two, 0.0, "1-D against 2-D");
    // (5 − 1)·2 − 2·1 + 2·(3 − 1) + 1 + 1
    assert_eq!(one.dims(), &[2, 6, 12]);
}

#[test]
fn conv_transpose_errors_name_the_op_and_shapes() {
    let x = Tensor::ones(&[1, 2, 3, 3], DType::F64);
    let o = ConvTranspose2dOptions::default();
    let e = x
        .try_conv_transpose2d(&Tensor::ones(&[3, 1, 2, 2], DType::F64), None, o)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("conv_transpose2d") && e.contains("[1, 2, 3, 3]") && e.contains("[3, 1, 2, 2]"),
        "{e}"
    );
    let w = Tensor::ones(&[2, 1, 2, 2], DType::F64);
    let e = x
        .try_conv_transpose2d(&w, None, o.output_padding(1))
        .unwrap_err()
        .to_string();
    assert!(e.contains("output padding"), "{e}");
    let e = x
        .try_conv_transpose2d(&w, None, o.padding(3))
        .unwrap_err()
        .to_string();
    assert!(e.contains("removes the whole output"), "{e}");
    let e = x
        .try_conv_transpose2d(&w, Some(&Tensor::ones(&[2], DType::F64)), o)
        .unwrap_err()
        .to_string();
    assert!(e.contains("bias [2]"), "{e}");
    let line = line!() + 1;
    let e = x.try_conv_transpose1d(&w, None, o).unwrap_err();
    assert!(e.to_string().contains("conv_transpose1d"));
    assert_eq!(e.location.map(|l| l.line()), Some(line), "{e:?}");
}

#[test]
fn batch_norm_normalizes_each_channel() {
    let x = Tensor::randn(&[8, 3, 4, 5], 3, DType::F64) * 3.0 + 7.0;
    let y = x.batch_norm(None, None, 0.0);
    let (m, v) = y.batch_stats();
    close(&m, &Tensor::zeros(&[3], DType::F64), 1e-13, "mean 0");
    close(&v, &Tensor::ones(&[3], DType::F64), 1e-12, "variance 1");
    // With the batch's own statistics given, the eval form is the same.
    let (bm, bv) = x.batch_stats();
    let g = Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3]);
    let b = Tensor::from_vec(vec![-1.0, 0.0, 1.0], &[3]);
    close(
        &x.batch_norm_with_stats(&bm, &bv, Some(&g), Some(&b), 1e-5),
        &x.batch_norm(Some(&g), Some(&b), 1e-5),
        1e-13,
        "eval form with batch statistics",
    );
    // The gradient of any loss through batch norm without affine is orthogonal to constant
    // and linear-in-x shifts of a channel (normalization removes them).
    let u = Tensor::randn(&[8, 3, 4, 5], 4, DType::F64);
    let gx = grad(|a: &Tensor| (a.batch_norm(None, None, 1e-5) * &u).sum())(&x);
    let s = gx.sum_axes(&[0, 2, 3], false);
    close(
        &s,
        &Tensor::zeros(&[3], DType::F64),
        1e-12,
        "gradient sums to 0 per channel",
    );
}

#[test]
fn group_norm_covers_layer_and_instance_norm() {
    let x = Tensor::randn(&[2, 6, 3, 3], 5, DType::F64) * 2.0 - 1.0;
    // One group: each example normalized over [C, H, W].
    let one = x.group_norm(1, None, None, 1e-5);
    let flat = x.reshape(&[2, 54]);
    let d = &flat - &flat.mean_axes(&[1], true);
    let ln = (&d / &(d.square().mean_axes(&[1], true) + 1e-5).sqrt()).reshape(&[2, 6, 3, 3]);
    close(&one, &ln, 1e-13, "one group = layer norm");
    // C groups: each (example, channel) normalized over [H, W].
    let inst = x.group_norm(6, None, None, 1e-5);
    let m = inst.mean_axes(&[2, 3], false);
    close(
        &m,
        &Tensor::zeros(&[2, 6], DType::F64),
        1e-13,
        "instance means",
    );
    // Three groups of two channels, then the affine part per channel.
    let w = Tensor::arange(1.0, 7.0, 1.0, DType::F64);
    let y = x.group_norm(3, Some(&w), None, 1e-5);
    let z = x.group_norm(3, None, None, 1e-5) * w.reshape(&[1, 6, 1, 1]);
    close(&y, &z, 1e-13, "affine per channel");
    let g = y.reshape(&[2, 3, 18]);
    let unscaled = x.group_norm(3, None, None, 1e-5).reshape(&[2, 3, 18]);
    close(
        &unscaled.mean_axes(&[2], false),
        &Tensor::zeros(&[2, 3], DType::F64),
        1e-13,
        "group means",
    );
    assert_eq!(g.dims(), &[2, 3, 18]);
}
