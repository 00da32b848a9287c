//! Convolutions and pooling: values by hand and against direct loops, gradients of order 1 and
//! 2 against finite differences, vmap and jit against eager, and errors.

use cotangent::testing::check_grads;
use cotangent::{jit_n, reset_vmap_fallbacks, vmap, vmap_fallbacks, vmap_n, Conv2dOptions, Tensor};

fn t(v: Vec<f64>, s: &[usize]) -> Tensor {
    Tensor::from_vec(v, s)
}

/// Deterministic values in [-1, 1).
fn rand(shape: &[usize], seed: u64) -> Tensor {
    let n: usize = shape.iter().product();
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let v = (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        })
        .collect();
    t(v, shape)
}

/// Direct-loop conv2d (PyTorch semantics).
fn conv_ref(
    x: &Tensor,
    w: &Tensor,
    b: Option<&Tensor>,
    o: Conv2dOptions,
) -> (Vec<f64>, Vec<usize>) {
    let (xd, wd) = (x.dims().to_vec(), w.dims().to_vec());
    let (n, c, h, wi) = (xd[0], xd[1], xd[2], xd[3]);
    let (oc, cg, kh, kw) = (wd[0], wd[1], wd[2], wd[3]);
    let (xv, wv) = (x.to_vec::<f64>(), w.to_vec::<f64>());
    let bv = b.map(|b| b.to_vec::<f64>());
    let ho = (h + 2 * o.padding.0 - o.dilation.0 * (kh - 1) - 1) / o.stride.0 + 1;
    let wo = (wi + 2 * o.padding.1 - o.dilation.1 * (kw - 1) - 1) / o.stride.1 + 1;
    let og = oc / o.groups;
    let mut out = vec![0.0; n * oc * ho * wo];
    for ni in 0..n {
        for oi in 0..oc {
            let g = oi / og;
            for y in 0..ho {
                for z in 0..wo {
                    let mut acc = bv.as_ref().map_or(0.0, |b| b[oi]);
                    for ci in 0..cg {
                        let cin = g * cg + ci;
                        for i in 0..kh {
                            for j in 0..kw {
                                let r = (y * o.stride.0 + i * o.dilation.0) as isize
                                    - o.padding.0 as isize;
                                let q = (z * o.stride.1 + j * o.dilation.1) as isize
                                    - o.padding.1 as isize;
                                if r < 0 || q < 0 || r >= h as isize || q >= wi as isize {
                                    continue;
                                }
                                let xe = xv[((ni * c + cin) * h + r as usize) * wi + q as usize];
                                acc += xe * wv[((oi * cg + ci) * kh + i) * kw + j];
                            }
                        }
                    }
                    out[((ni * oc + oi) * ho + y) * wo + z] = acc;
                }
            }
        }
    }
    (out, vec![n, oc, ho, wo])
}

/// Direct-loop pooling: max (padding -inf) or mean (padding counted as zeros).
fn pool_ref(
    x: &Tensor,
    k: (usize, usize),
    s: (usize, usize),
    p: (usize, usize),
    max: bool,
) -> Vec<f64> {
    let d = x.dims().to_vec();
    let (n, c, h, w) = (d[0], d[1], d[2], d[3]);
    let xv = x.to_vec::<f64>();
    let ho = (h + 2 * p.0 - k.0) / s.0 + 1;
    let wo = (w + 2 * p.1 - k.1) / s.1 + 1;
    let mut out = Vec::new();
    for nc in 0..n * c {
        for y in 0..ho {
            for z in 0..wo {
                let mut acc = if max { f64::NEG_INFINITY } else { 0.0 };
                for i in 0..k.0 {
                    for j in 0..k.1 {
                        let r = (y * s.0 + i) as isize - p.0 as isize;
                        let q = (z * s.1 + j) as isize - p.1 as isize;
                        let v = if r < 0 || q < 0 || r >= h as isize || q >= w as isize {
                            if max {
                                f64::NEG_INFINITY
                            } else {
                                0.0
                            }
                        } else {
                            xv[(nc * h + r as usize) * w + q as usize]
                        };
                        acc = if max { acc.max(v) } else { acc + v };
                    }
                }
                out.push(if max { acc } else { acc / (k.0 * k.1) as f64 });
            }
        }
    }
    out
}

fn max_err(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

#[test]
fn conv2d_by_hand() {
    let x = Tensor::arange(1.0, 10.0, 1.0, cotangent::DType::F64).reshape(&[1, 1, 3, 3]);
    // x[i, j] − x[i+1, j+1] = −4 everywhere.
    let w = t(vec![1.0, 0.0, 0.0, -1.0], &[1, 1, 2, 2]);
    let y = x.conv2d(&w, None, Conv2dOptions::default());
    assert_eq!(y.to_vec::<f64>(), vec![-4.0; 4]);
    // A 3×3 box with padding 1 and a bias of 0.5: neighbourhood sums.
    let ones = Tensor::ones(&[1, 1, 3, 3], cotangent::DType::F64);
    let b = t(vec![0.5], &[1]);
    let y = x.conv2d(&ones, Some(&b), Conv2dOptions::default().padding(1));
    let sums = [12.0, 21.0, 16.0, 27.0, 45.0, 33.0, 24.0, 39.0, 28.0];
    assert_eq!(
        y.to_vec::<f64>(),
        sums.iter().map(|s| s + 0.5).collect::<Vec<_>>()
    );
    // Stride 2 picks the corners' windows.
    let y = x.conv2d(&ones, None, Conv2dOptions::default().padding(1).stride(2));
    assert_eq!(y.to_vec::<f64>(), vec![12.0, 16.0, 24.0, 28.0]);
    // Dilation 2 with a 2×2 kernel of ones: the four corners, 1 + 3 + 7 + 9.
    let w = Tensor::ones(&[1, 1, 2, 2], cotangent::DType::F64);
    let y = x.conv2d(&w, None, Conv2dOptions::default().dilation(2));
    assert_eq!(y.to_vec::<f64>(), vec![20.0]);
}

#[test]
fn conv2d_matches_direct_loops() {
    let cases: Vec<([usize; 4], [usize; 4], Conv2dOptions, bool)> = vec![
        ([2, 3, 5, 6], [4, 3, 3, 2], Conv2dOptions::default(), true),
        (
            [1, 2, 7, 7],
            [3, 2, 3, 3],
            Conv2dOptions::default().stride(2),
            false,
        ),
        (
            [2, 2, 5, 4],
            [2, 2, 3, 3],
            Conv2dOptions::default().padding(1),
            true,
        ),
        (
            [1, 3, 8, 9],
            [2, 3, 3, 2],
            Conv2dOptions::default().dilation(2),
            true,
        ),
        (
            [2, 4, 6, 5],
            [6, 2, 2, 3],
            Conv2dOptions::default().groups(2),
            true,
        ),
        (
            [2, 4, 9, 8],
            [4, 2, 3, 3],
            Conv2dOptions {
                stride: (2, 1),
                padding: (1, 2),
                dilation: (2, 1),
                groups: 2,
            },
            true,
        ),
        (
            [1, 6, 5, 5],
            [6, 1, 3, 3],
            Conv2dOptions::default().groups(6).padding(1),
            false,
        ),
    ];
    let mut worst = 0.0f64;
    for (k, (xs, ws, o, with_bias)) in cases.into_iter().enumerate() {
        let x = rand(&xs, 10 + k as u64);
        let w = rand(&ws, 100 + k as u64);
        let b = rand(&[ws[0]], 1000 + k as u64);
        let b = with_bias.then_some(&b);
        let y = x.conv2d(&w, b, o);
        let (r, shape) = conv_ref(&x, &w, b, o);
        assert_eq!(y.dims(), &shape[..], "case {k}");
        let e = max_err(&y.to_vec::<f64>(), &r);
        assert!(e < 1e-13, "case {k}: error {e}");
        worst = worst.max(e);
        // f32 agrees to single precision.
        let y32 = x
            .cast(cotangent::DType::F32)
            .conv2d(
                &w.cast(cotangent::DType::F32),
                b.map(|b| b.cast(cotangent::DType::F32)).as_ref(),
                o,
            )
            .cast(cotangent::DType::F64);
        assert!(max_err(&y32.to_vec::<f64>(), &r) < 1e-5, "case {k} f32");
    }
    println!("conv2d vs direct loops: max abs error {worst:e}");
}

#[test]
fn conv1d_matches_direct_loops() {
    let x = t(vec![1.0, 2.0, 3.0, 4.0, 5.0], &[1, 1, 5]);
    let w = t(vec![1.0, 0.0, -1.0], &[1, 1, 3]);
    assert_eq!(
        x.conv1d(&w, None, Conv2dOptions::default()).to_vec::<f64>(),
        vec![-2.0; 3]
    );
    let o = Conv2dOptions {
        stride: (1, 2),
        padding: (0, 1),
        dilation: (1, 2),
        groups: 2,
    };
    let x = rand(&[2, 4, 11], 7);
    let w = rand(&[6, 2, 3], 8);
    let b = rand(&[6], 9);
    let y = x.conv1d(&w, Some(&b), o);
    let (r, shape) = conv_ref(&x.unsqueeze(2), &w.unsqueeze(2), Some(&b), o);
    assert_eq!(y.dims(), &[shape[0], shape[1], shape[3]]);
    assert!(max_err(&y.to_vec::<f64>(), &r) < 1e-13);
}

#[test]
fn pooling_by_hand_and_against_loops() {
    let x = t(
        vec![1.0, 3.0, 2.0, 0.0, 5.0, 4.0, -1.0, 8.0, 6.0],
        &[1, 1, 3, 3],
    );
    assert_eq!(
        x.max_pool2d((2, 2), (1, 1), (0, 0)).to_vec::<f64>(),
        vec![5.0, 5.0, 8.0, 8.0]
    );
    assert_eq!(
        x.avg_pool2d((2, 2), (1, 1), (0, 0)).to_vec::<f64>(),
        vec![2.25, 3.5, 3.0, 5.75]
    );
    // Padding 1, stride 2: windows at the corners; max pads with −inf, avg with counted zeros.
    assert_eq!(
        x.max_pool2d((2, 2), (2, 2), (1, 1)).to_vec::<f64>(),
        vec![1.0, 3.0, 0.0, 8.0]
    );
    assert_eq!(
        x.avg_pool2d((2, 2), (2, 2), (1, 1)).to_vec::<f64>(),
        vec![0.25, 1.25, -0.25, 5.75]
    );
    let mut worst = 0.0f64;
    for (k, (xs, ker, st, pd)) in [
        ([2, 3, 6, 7], (2, 2), (2, 2), (0, 0)),
        ([1, 2, 7, 7], (3, 3), (2, 2), (1, 1)),
        ([2, 1, 5, 8], (3, 2), (1, 3), (1, 0)),
    ]
    .into_iter()
    .enumerate()
    {
        let x = rand(&xs, 50 + k as u64);
        let e1 = max_err(
            &x.max_pool2d(ker, st, pd).to_vec::<f64>(),
            &pool_ref(&x, ker, st, pd, true),
        );
        let e2 = max_err(
            &x.avg_pool2d(ker, st, pd).to_vec::<f64>(),
            &pool_ref(&x, ker, st, pd, false),
        );
        assert!(e1 == 0.0 && e2 < 1e-15, "case {k}: {e1} {e2}");
        worst = worst.max(e2);
    }
    println!("avg_pool2d vs direct loops: max abs error {worst:e}");
}

#[test]
fn gradients_of_order_one_and_two() {
    let o = Conv2dOptions {
        stride: (2, 1),
        padding: (1, 1),
        dilation: (1, 2),
        groups: 2,
    };
    let xs = [
        rand(&[1, 2, 4, 5], 1),
        rand(&[2, 1, 2, 2], 2),
        rand(&[2], 3),
    ];
    let f = |v: &[Tensor]| v[0].conv2d(&v[1], Some(&v[2]), o).sin();
    check_grads(f, &xs, 1).unwrap();
    check_grads(f, &xs, 2).unwrap();
    let g = |v: &[Tensor]| {
        v[0].conv1d(&v[1], None, Conv2dOptions::default().padding(1))
            .tanh()
    };
    let ys = [rand(&[2, 2, 5], 4), rand(&[3, 2, 3], 5)];
    check_grads(g, &ys, 2).unwrap();
    let x = [rand(&[1, 2, 5, 5], 6)];
    let mp = |v: &[Tensor]| v[0].max_pool2d((3, 3), (2, 2), (1, 1)).square();
    check_grads(mp, &x, 1).unwrap();
    check_grads(mp, &x, 2).unwrap();
    let ap = |v: &[Tensor]| v[0].avg_pool2d((2, 3), (1, 2), (1, 1)).sin();
    check_grads(ap, &x, 2).unwrap();
}

#[test]
fn vmap_and_jit_match_eager() {
    let o = Conv2dOptions::default().padding(1).stride(2).groups(2);
    let xb = rand(&[3, 2, 4, 5, 5], 20);
    let w = rand(&[4, 2, 3, 3], 21);
    let b = rand(&[4], 22);
    let eager: Vec<Tensor> = (0..3)
        .map(|i| xb.narrow(0, i, 1).squeeze(0).conv2d(&w, Some(&b), o))
        .collect();
    let eager = Tensor::stack(&eager, 0).to_vec::<f64>();
    let (w2, b2) = (w.clone(), b.clone());
    reset_vmap_fallbacks();
    let mapped = vmap(move |x: &Tensor| x.conv2d(&w2, Some(&b2), o), 0, 0)(&xb);
    assert_eq!(mapped.dims(), &[3, 2, 4, 3, 3]);
    assert!(max_err(&mapped.to_vec::<f64>(), &eager) < 1e-14);
    // Batched weights too (a per-example kernel).
    let wb = rand(&[3, 4, 2, 3, 3], 23);
    let per = vmap_n(
        move |v: &[Tensor]| vec![v[0].conv2d(&v[1], None, o)],
        vec![Some(0), Some(0)],
        vec![0],
    )(&[xb.clone(), wb.clone()]);
    for i in 0..3 {
        let e = xb
            .narrow(0, i, 1)
            .squeeze(0)
            .conv2d(&wb.narrow(0, i, 1).squeeze(0), None, o);
        assert!(
            max_err(
                &per[0].narrow(0, i, 1).squeeze(0).to_vec::<f64>(),
                &e.to_vec::<f64>()
            ) < 1e-14
        );
    }
    // Batched by rule, with no per-example fallback.
    assert_eq!(vmap_fallbacks(), 0);
    let f = move |v: &[Tensor]| {
        vec![
            v[0].conv2d(&v[1], Some(&v[2]), o),
            v[0].max_pool2d((2, 2), (2, 2), (1, 1)),
            v[0].avg_pool2d((3, 3), (1, 1), (1, 1)),
        ]
    };
    let x = xb.narrow(0, 0, 1).squeeze(0);
    let args = [x, w, b];
    let e = f(&args);
    let j = jit_n(f);
    for _ in 0..2 {
        let got = j(&args);
        for (g, e) in got.iter().zip(&e) {
            assert_eq!(g.dims(), e.dims());
            assert!(max_err(&g.to_vec::<f64>(), &e.to_vec::<f64>()) < 1e-14);
        }
    }
    // Pooling under vmap.
    let p = vmap(|x: &Tensor| x.max_pool2d((2, 2), (1, 1), (0, 0)), 0, 0)(&xb);
    for i in 0..3 {
        let e = xb
            .narrow(0, i, 1)
            .squeeze(0)
            .max_pool2d((2, 2), (1, 1), (0, 0));
        assert_eq!(
            p.narrow(0, i, 1).squeeze(0).to_vec::<f64>(),
            e.to_vec::<f64>()
        );
    }
}

#[test]
fn errors_name_the_op_and_shapes() {
    let x = rand(&[1, 4, 5, 5], 1);
    let msg = |r: cotangent::Result<Tensor>| r.unwrap_err().to_string();
    let m = msg(x.try_conv2d(&rand(&[2, 3, 3, 3], 2), None, Conv2dOptions::default()));
    assert!(
        m.contains("conv2d") && m.contains("[1, 4, 5, 5]") && m.contains("[2, 3, 3, 3]"),
        "{m}"
    );
    let m = msg(x.try_conv2d(
        &rand(&[3, 2, 3, 3], 2),
        None,
        Conv2dOptions::default().groups(2),
    ));
    assert!(m.contains("groups"), "{m}");
    let m = msg(x.try_conv2d(&rand(&[2, 4, 6, 3], 2), None, Conv2dOptions::default()));
    assert!(m.contains("does not fit"), "{m}");
    let m = msg(x.try_conv2d(
        &rand(&[2, 4, 3, 3], 2),
        Some(&rand(&[3], 3)),
        Conv2dOptions::default(),
    ));
    assert!(m.contains("bias [3]"), "{m}");
    let m = msg(x.try_conv2d(
        &rand(&[2, 4, 3, 3], 2),
        None,
        Conv2dOptions::default().stride(0),
    ));
    assert!(m.contains("at least 1"), "{m}");
    let m = msg(x.try_conv1d(&rand(&[2, 4, 3, 3], 2), None, Conv2dOptions::default()));
    assert!(m.contains("conv1d") && m.contains("[1, 4, 5, 5]"), "{m}");
    let m = msg(x.try_avg_pool2d((2, 2), (1, 1), (2, 2)));
    assert!(m.contains("avg_pool2d") && m.contains("half"), "{m}");
    let m = msg(rand(&[4, 5], 1).try_max_pool2d((2, 2), (1, 1), (0, 0)));
    assert!(m.contains("max_pool2d") && m.contains("[4, 5]"), "{m}");
    let i = Tensor::from_vec(vec![1i64; 4], &[1, 1, 2, 2]);
    assert!(msg(i.try_conv2d(&i, None, Conv2dOptions::default())).contains("conv2d"));
}
