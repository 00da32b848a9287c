//! Splittable keys (`cotangent::random`): reproducible, independent across splits, fold-ins and
//! shapes, the same under `jit` and `vmap` as eagerly, plausible statistics, clear errors.

use std::cell::Cell;

use cotangent::random::Key;
use cotangent::{tree, DType, Tensor};

fn f64s(t: &Tensor) -> Vec<f64> {
    t.to_vec::<f64>()
}

#[test]
fn the_same_key_draws_the_same_numbers() {
    let a = Key::new(11).normal(&[4, 3], DType::F64);
    let b = Key::new(11).normal(&[4, 3], DType::F64);
    assert_eq!(f64s(&a), f64s(&b));
    assert_ne!(f64s(&a), f64s(&Key::new(12).normal(&[4, 3], DType::F64)));
}

#[test]
fn splitting_is_reproducible_and_gives_distinct_keys() {
    let ks = Key::new(0).split(8);
    let again = Key::new(0).split(8);
    let bits: Vec<i64> = ks.iter().map(|k| k.tensor().item::<i64>()).collect();
    let bits2: Vec<i64> = again.iter().map(|k| k.tensor().item::<i64>()).collect();
    assert_eq!(bits, bits2);
    let mut sorted = bits.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 8, "split keys collide: {bits:?}");
    // No child equals the parent, and split2 agrees with split(2).
    let parent = Key::new(0).tensor().item::<i64>();
    assert!(!bits.contains(&parent));
    let (a, b) = Key::new(0).split2();
    let two = Key::new(0).split(2);
    assert_eq!(a.tensor().item::<i64>(), two[0].tensor().item::<i64>());
    assert_eq!(b.tensor().item::<i64>(), two[1].tensor().item::<i64>());
    // Samples of sibling keys are unrelated.
    let x = ks[0].uniform(&[64], DType::F64);
    let y = ks[1].uniform(&[64], DType::F64);
    let corr = (&(&x - 0.5) * &(&y - 0.5)).mean().item::<f64>() * 12.0;
    assert!(corr.abs() < 0.4, "correlation {corr}");
}

#[test]
fn fold_in_depends_on_the_data() {
    let k = Key::new(5);
    let a = k.fold_in(0).tensor().item::<i64>();
    let b = k.fold_in(1).tensor().item::<i64>();
    assert_ne!(a, b);
    assert_eq!(a, Key::new(5).fold_in(0).tensor().item::<i64>());
}

#[test]
fn different_shapes_draw_different_streams() {
    // The complaint this module answers: with `Tensor::rand(shape, seed)` the same seed at two
    // shapes shares its leading values.
    let k = Key::new(3);
    let a = f64s(&k.uniform(&[3], DType::F64));
    let b = f64s(&k.uniform(&[5], DType::F64));
    let c = f64s(&k.uniform(&[3, 1], DType::F64));
    assert_ne!(a[0], b[0]);
    assert_ne!(a[0], c[0]);
}

#[test]
fn statistics_are_plausible() {
    let k = Key::new(2024).split(5);
    let n = 20_000;
    let u = f64s(&k[0].uniform(&[n], DType::F64));
    assert!(u.iter().all(|&v| (0.0..1.0).contains(&v)));
    let mean = u.iter().sum::<f64>() / n as f64;
    assert!((mean - 0.5).abs() < 0.01, "uniform mean {mean}");

    let z = f64s(&k[1].normal(&[n], DType::F64));
    let m = z.iter().sum::<f64>() / n as f64;
    let v = z.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n as f64;
    assert!(
        m.abs() < 0.03 && (v - 1.0).abs() < 0.04,
        "normal mean {m} var {v}"
    );

    let r = k[2].randint(&[n], -2, 3).to_vec::<i64>();
    for want in -2..3 {
        let c = r.iter().filter(|&&x| x == want).count() as f64 / n as f64;
        assert!((c - 0.2).abs() < 0.015, "randint {want}: {c}");
    }
    assert!(r.iter().all(|x| (-2..3).contains(x)));

    let hits = k[3]
        .bernoulli(0.3, &[n])
        .cast(DType::F64)
        .mean()
        .item::<f64>();
    assert!((hits - 0.3).abs() < 0.015, "bernoulli rate {hits}");

    // A permutation of 10: every position sees many values across keys.
    let keys = k[4].split(200);
    let mut first = [0usize; 10];
    for key in &keys {
        let mut p = key.permutation(10).to_vec::<i64>();
        first[p[0] as usize] += 1;
        p.sort();
        assert_eq!(p, (0..10).collect::<Vec<i64>>());
    }
    assert!(first.iter().all(|&c| c > 5), "first elements {first:?}");
}

#[test]
fn f32_uniform_stays_below_one() {
    let u = Key::new(1).uniform(&[100_000], DType::F32);
    assert_eq!(u.dtype(), DType::F32);
    assert!(u.max().item::<f32>() < 1.0);
}

#[test]
fn jit_draws_what_eager_draws_and_new_keys_do_not_retrace() {
    let traces = Cell::new(0);
    let f = tree::jit(|k: &Key| {
        traces.set(traces.get() + 1);
        let (a, b) = k.split2();
        a.normal(&[3], DType::F64) + b.uniform(&[3], DType::F64)
    });
    for seed in 0..4 {
        let k = Key::new(seed);
        let eager = {
            let (a, b) = k.split2();
            a.normal(&[3], DType::F64) + b.uniform(&[3], DType::F64)
        };
        assert_eq!(f64s(&f(&k)), f64s(&eager), "seed {seed}");
    }
    assert_eq!(traces.get(), 1, "a new key value must not retrace");
    // Different keys give different numbers through the compiled program.
    assert_ne!(f64s(&f(&Key::new(0))), f64s(&f(&Key::new(1))));
}

#[test]
fn vmap_over_keys_matches_a_loop() {
    let keys = Key::new(8).split_keys(4);
    let draw = |k: &Key| {
        let (a, b) = k.split2();
        a.normal(&[2, 3], DType::F64) * b.fold_in(7).uniform(&[3], DType::F64)
    };
    let batched = tree::vmap(draw, 0, 0)(&keys);
    assert_eq!(batched.dims(), &[4, 2, 3]);
    let looped: Vec<Tensor> = Key::new(8).split(4).iter().map(draw).collect();
    assert_eq!(f64s(&batched), f64s(&Tensor::stack(&looped, 0)));
    // Distinct rows: each example got its own key.
    let rows = f64s(&batched);
    assert_ne!(rows[0], rows[6]);
    // A jitted vmap too.
    let jv = tree::jit(|k: &Key| tree::vmap(draw, 0, 0)(k));
    assert_eq!(f64s(&jv(&keys)), rows);
}

#[test]
fn samples_carry_no_gradient_but_do_not_block_one() {
    let x = Tensor::from_vec(vec![1.0f64, 2.0, 3.0], &[3]);
    let g = cotangent::grad(|x: &Tensor| (x * &Key::new(0).uniform(&[3], DType::F64)).sum())(&x);
    assert_eq!(f64s(&g), f64s(&Key::new(0).uniform(&[3], DType::F64)));
}

#[test]
fn bad_keys_and_parameters_are_errors() {
    let e = Key::try_from_tensor(Tensor::scalar(1.0))
        .unwrap_err()
        .to_string();
    assert!(e.contains("i64"), "{e}");
    let k = Key::new(0);
    let e = k.try_uniform(&[2], DType::I64).unwrap_err().to_string();
    assert!(e.contains("float"), "{e}");
    let e = k.try_randint(&[2], 3, 3).unwrap_err().to_string();
    assert!(e.contains("empty"), "{e}");
    let e = k.try_bernoulli(1.5, &[2]).unwrap_err().to_string();
    assert!(e.contains("probability"), "{e}");
    let e = k
        .try_normal(&[usize::MAX, 4], DType::F64)
        .unwrap_err()
        .to_string();
    assert!(!e.is_empty());
    // An impossible allocation is an error, not an abort.
    let e = k.try_uniform(&[1 << 40], DType::F64).unwrap_err();
    assert_eq!(e.kind, cotangent::ErrorKind::OutOfMemory, "{e}");
}
