//! The 16-bit floats: `f16` and `bf16` tensors are stored in 16 bits and computed in f32, with
//! f32 accumulation in sums and matmuls. Casts round to nearest-even; gradients of half values
//! are half values; jit, vmap and the linear-algebra ops take them. (The shared table's
//! `half_precision_*` tests check every elementwise primitive bit for bit against the f32
//! result rounded once.)

use cotangent::{bf16, f16, grad, grad_n, jit, linalg, vmap, DType, ErrorKind, Tensor};

fn teaching(x: &[Tensor]) -> Tensor {
    ((&x[0] + &x[1]).square() + (&x[0] * &x[1]).sin()).log()
}

#[test]
fn casts_round_to_nearest_even_and_keep_the_types_range() {
    let x = Tensor::from_vec(vec![0.1, 1.0 + 2f64.powi(-11), 70000.0, 1e30, -0.0], &[5]);
    // f16: 0.1 is 0x2E66; 1 + 2^-11 is a tie that goes to the even 1.0; 70000 overflows.
    let h = x.cast(DType::F16);
    assert_eq!(h.dtype(), DType::F16);
    let hv = h.to_vec::<f16>();
    assert_eq!(hv[0].to_bits(), 0x2E66);
    assert_eq!(
        h.to_f64_vec()[..4],
        [0.0999755859375, 1.0, f64::INFINITY, f64::INFINITY]
    );
    assert!(hv[4].is_sign_negative());
    // bf16 keeps f32's range with 8 significant bits.
    let b = x.cast(DType::BF16);
    assert_eq!(b.to_vec::<bf16>()[0].to_bits(), 0x3DCD);
    assert_eq!(b.to_f64_vec()[0], 0.10009765625);
    let big = b.to_f64_vec()[3];
    assert!((big / 1e30 - 1.0).abs() < 4e-3, "{big}");
    // Every f16 value survives a trip through f32 and back.
    let all: Vec<f16> = (0..=u16::MAX)
        .map(f16::from_bits)
        .filter(|v| !v.is_nan())
        .collect();
    let t = Tensor::from_vec(all.clone(), &[all.len()]);
    let back = t.cast(DType::F32).cast(DType::F16).to_vec::<f16>();
    assert!(back
        .iter()
        .zip(&all)
        .all(|(a, b)| a.to_bits() == b.to_bits()));
    assert_eq!(t.dtype().size_bytes(), 2);
}

#[test]
fn sums_and_matmuls_accumulate_in_f32() {
    // In f16, 2048 + 1 rounds back to 2048: an f16 accumulator stops there.
    let ones = Tensor::ones(&[4096], DType::F16);
    assert_eq!(ones.sum().item_f64(), 4096.0);
    assert_eq!(
        ones.reshape(&[1, 4096])
            .matmul(&ones.reshape(&[4096, 1]))
            .item_f64(),
        4096.0
    );
    assert_eq!(ones.cumsum(0, false).to_f64_vec()[4095], 4096.0);
    assert_eq!(ones.mean().item_f64(), 1.0);
    // 10,000 copies of f16(0.1) sum to 999.7559 exactly; f16 rounds that to 1000 (an f16
    // accumulator stalls near 256, where 0.1 is below half an ulp).
    let tenth = Tensor::full(&[10_000], 0.1, DType::F16);
    assert_eq!(tenth.sum().item_f64(), 1000.0);
    let btenth = Tensor::full(&[10_000], 0.1, DType::BF16);
    // bf16(0.1) · 10^4 = 1000.9766 exactly, which bf16 rounds to 1000.
    assert_eq!(btenth.sum().item_f64(), 1000.0);
    // A matmul's result is the f32 product rounded once.
    let a = Tensor::randn(&[17, 33], 1, DType::F16);
    let b = Tensor::randn(&[33, 9], 2, DType::F16);
    let want = a
        .cast(DType::F32)
        .matmul(&b.cast(DType::F32))
        .cast(DType::F16);
    assert_eq!(a.matmul(&b).to_vec::<f16>(), want.to_vec::<f16>());
    let (a, b) = (a.cast(DType::BF16), b.cast(DType::BF16));
    let want = a
        .cast(DType::F32)
        .matmul(&b.cast(DType::F32))
        .cast(DType::BF16);
    assert_eq!(a.matmul(&b).to_vec::<bf16>(), want.to_vec::<bf16>());
}

#[test]
fn the_teaching_example_in_half_precision() {
    // f = 1.5436482110, df/dx1 = 0.9325462, df/dx2 = 1.0888353 at (1.5, 0.5) (f64).
    for (dtype, tol) in [(DType::F16, 4e-3), (DType::BF16, 3e-2)] {
        let x = [Tensor::full(&[], 1.5, dtype), Tensor::full(&[], 0.5, dtype)];
        let y = teaching(&x);
        assert_eq!(y.dtype(), dtype);
        assert!(
            (y.item_f64() - 1.5436482110).abs() < tol,
            "{dtype}: {}",
            y.item_f64()
        );
        let g = grad_n(teaching)(&x);
        assert_eq!(g[0].dtype(), dtype);
        assert!(
            (g[0].item_f64() - 0.9325462).abs() < tol,
            "{dtype}: {}",
            g[0]
        );
        assert!(
            (g[1].item_f64() - 1.0888353).abs() < tol,
            "{dtype}: {}",
            g[1]
        );
        // Compiled, the same bits as eager (half programs run op by op in the compiler).
        let jg = jit(|v: &Tensor| {
            let parts = [v.narrow(0, 0, 1).squeeze(0), v.narrow(0, 1, 1).squeeze(0)];
            let g = grad_n(teaching)(&parts);
            Tensor::stack(&g, 0)
        })(&Tensor::stack(&x, 0));
        assert_eq!(jg.to_f64_vec(), vec![g[0].item_f64(), g[1].item_f64()]);
    }
}

#[test]
fn scalars_are_weak_and_mixed_half_and_f32_tensors_are_refused() {
    let x = Tensor::from_vec(vec![f16::from_f32(1.5), f16::from_f32(-2.0)], &[2]);
    let y = &x * 2.0 + 1.0;
    assert_eq!(y.dtype(), DType::F16);
    assert_eq!(y.to_f64_vec(), vec![4.0, -3.0]);
    let z = &x * &Tensor::scalar(0.5); // an f64 scalar takes the tensor's dtype
    assert_eq!(z.dtype(), DType::F16);
    let w = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
    let e = x.try_add(&w).unwrap_err();
    assert_eq!(e.kind, ErrorKind::DType);
    let msg = e.to_string();
    assert!(msg.contains("f16") && msg.contains("f32"), "{msg}");
    assert!(
        msg.contains("half.rs"),
        "the error names the caller's line: {msg}"
    );
    // Comparisons give bools, argmax gives i64.
    assert_eq!(
        x.gt(&Tensor::scalar(0.0)).to_vec::<bool>(),
        vec![true, false]
    );
    assert_eq!(x.argmax(0, false).item::<i64>(), 0);
}

#[test]
fn display_random_vmap_and_linear_algebra_take_half_values() {
    let x = Tensor::from_vec(vec![0.1f64, 2.5, -3.0], &[3]).cast(DType::BF16);
    // The shortest decimal that reads back as the same bf16 (bf16(0.1) = 0.10009765625).
    assert_eq!(
        format!("{x}"),
        "tensor([ 0.1,  2.5, -3.0], dtype=bf16, shape=[3])"
    );
    // bf16(1/3) = 0.333984375: 0.334 is the shortest decimal that reads back as it.
    let third = Tensor::full(&[], 1.0 / 3.0, DType::BF16);
    assert_eq!(format!("{third}"), "tensor(0.334, dtype=bf16, shape=[])");
    let h = Tensor::full(&[], 0.1, DType::F16);
    assert_eq!(format!("{h}"), "tensor(0.1, dtype=f16, shape=[])");
    let u = Tensor::rand(&[10_000], 3, DType::F16);
    assert_eq!(u.dtype(), DType::F16);
    let v = u.to_f64_vec();
    assert!(v.iter().all(|&x| (0.0..1.0).contains(&x)));
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    assert!((mean - 0.5).abs() < 0.02, "{mean}");
    let n = Tensor::randn(&[10_000], 4, DType::BF16).to_f64_vec();
    let var = n.iter().map(|x| x * x).sum::<f64>() / n.len() as f64;
    assert!((var - 1.0).abs() < 0.05, "{var}");
    // vmap of a gradient over f16 rows.
    let rows = Tensor::randn(&[4, 5], 5, DType::F16);
    let g = vmap(grad(|r: &Tensor| r.sin().sum()), 0, 0)(&rows);
    assert_eq!(g.dtype(), DType::F16);
    assert_eq!(g.to_vec::<f16>(), rows.cos().to_vec::<f16>());
    // Cholesky of an f16 matrix: factored in f32, rounded once.
    let a = Tensor::from_vec(vec![4.0, 2.0, 2.0, 3.0], &[2, 2]).cast(DType::F16);
    let l = linalg::cholesky(&a);
    assert_eq!(l.dtype(), DType::F16);
    let want = linalg::cholesky(&a.cast(DType::F32)).cast(DType::F16);
    assert_eq!(l.to_vec::<f16>(), want.to_vec::<f16>());
}
