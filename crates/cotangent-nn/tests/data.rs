//! `data`: seeded shuffles (deterministic, a permutation, seed-dependent) and minibatches
//! (coverage of every row once per epoch, rows of inputs and targets kept together, the last
//! batch kept or dropped).

use cotangent::{DType, Tensor};
use cotangent_nn::data::{Minibatches, shuffled_indices};

#[test]
fn shuffled_indices_are_a_seeded_permutation() {
    for n in [0, 1, 2, 7, 100] {
        let a = shuffled_indices(n, 5);
        assert_eq!(a, shuffled_indices(n, 5), "deterministic");
        let mut sorted = a.clone();
        sorted.sort_unstable();
        assert_eq!(
            sorted,
            (0..n).collect::<Vec<_>>(),
            "a permutation of 0..{n}"
        );
    }
    assert_ne!(shuffled_indices(100, 1), shuffled_indices(100, 2));
    assert_ne!(shuffled_indices(100, 1), (0..100).collect::<Vec<_>>());
    // Pinned (computed independently from the SplitMix64 reference in Python): the order must
    // not change between versions, or a resumed run would see other batches.
    assert_eq!(shuffled_indices(8, 0), [2, 5, 0, 3, 4, 6, 1, 7]);
}

/// Inputs whose row `i` is `[i, 100 + i]` and targets `i`, so a batch tells which rows it holds.
fn data(n: usize) -> (Tensor, Tensor) {
    let x: Vec<f64> = (0..n).flat_map(|i| [i as f64, 100.0 + i as f64]).collect();
    let y: Vec<i64> = (0..n as i64).collect();
    (Tensor::from_vec(x, &[n, 2]), Tensor::from_vec(y, &[n]))
}

/// The target rows of every batch, after checking that inputs and targets agree.
fn rows(batches: Minibatches) -> Vec<Vec<i64>> {
    batches
        .map(|(xb, yb)| {
            let ids = yb.to_vec::<i64>();
            let xs = xb.to_vec::<f64>();
            assert_eq!(xb.dims(), &[ids.len(), 2]);
            for (k, &i) in ids.iter().enumerate() {
                assert_eq!((xs[2 * k], xs[2 * k + 1]), (i as f64, 100.0 + i as f64));
            }
            ids
        })
        .collect()
}

#[test]
fn in_order_batches_cover_every_row_with_a_short_last_batch() {
    let (x, y) = data(10);
    let b = rows(Minibatches::new(&x, &y, 4));
    assert_eq!(b, vec![vec![0, 1, 2, 3], vec![4, 5, 6, 7], vec![8, 9]]);
    let b = rows(Minibatches::new(&x, &y, 4).drop_last(true));
    assert_eq!(b, vec![vec![0, 1, 2, 3], vec![4, 5, 6, 7]]);
    // An exact division has no short batch to drop.
    let b = rows(Minibatches::new(&x, &y, 5).drop_last(true));
    assert_eq!(b.len(), 2);
    // A batch larger than the data: one short batch, or none.
    assert_eq!(rows(Minibatches::new(&x, &y, 32)).len(), 1);
    assert_eq!(rows(Minibatches::new(&x, &y, 32).drop_last(true)).len(), 0);
}

#[test]
fn shuffled_batches_are_deterministic_and_cover_every_row_once() {
    let (x, y) = data(23);
    let a = rows(Minibatches::new(&x, &y, 5).shuffle(7));
    assert_eq!(a, rows(Minibatches::new(&x, &y, 5).shuffle(7)));
    assert_ne!(a, rows(Minibatches::new(&x, &y, 5).shuffle(8)));
    assert_eq!(a.iter().map(Vec::len).collect::<Vec<_>>(), [5, 5, 5, 5, 3]);
    let mut all: Vec<i64> = a.concat();
    assert_eq!(
        all,
        shuffled_indices(23, 7)
            .iter()
            .map(|&i| i as i64)
            .collect::<Vec<_>>()
    );
    all.sort_unstable();
    assert_eq!(all, (0..23).collect::<Vec<_>>());

    // drop_last drops the rows at the end of the shuffled order.
    let d = rows(Minibatches::new(&x, &y, 5).shuffle(7).drop_last(true));
    assert_eq!(d, a[..4].to_vec());
}

#[test]
fn len_counts_the_batches_still_to_come() {
    let (x, y) = data(10);
    let mut b = Minibatches::new(&x, &y, 3);
    assert_eq!(b.len(), 4);
    b.next();
    assert_eq!(b.len(), 3);
    assert_eq!(Minibatches::new(&x, &y, 3).drop_last(true).len(), 3);
    assert_eq!(b.rows(), 10);
    let empty = Minibatches::new(
        &Tensor::zeros(&[0, 2], DType::F32),
        &Tensor::zeros(&[0], DType::I64),
        4,
    );
    assert_eq!(empty.len(), 0);
}

#[test]
#[should_panic(expected = "different first axes")]
fn mismatched_rows_are_refused() {
    let (x, _) = data(4);
    let (_, y) = data(5);
    let _ = Minibatches::new(&x, &y, 2);
}

#[test]
#[should_panic(expected = "batch_size must be at least 1")]
fn a_zero_batch_size_is_refused() {
    let (x, y) = data(4);
    let _ = Minibatches::new(&x, &y, 0);
}
