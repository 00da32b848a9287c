//! Feeding a training loop: a seeded shuffle ([`shuffled_indices`], [`SplitMix`]) and an
//! iterator of minibatches over an `(inputs, targets)` pair of tensors ([`Minibatches`]).
//!
//! ```
//! use cotangent::{DType, Tensor};
//! use cotangent_nn::data::Minibatches;
//!
//! let x = Tensor::randn(&[10, 3], 0, DType::F32);
//! let y = Tensor::from_vec((0..10).collect::<Vec<i64>>(), &[10]);
//! for epoch in 0..2 {
//!     let batches = Minibatches::new(&x, &y, 4).shuffle(epoch).drop_last(true);
//!     assert_eq!(batches.len(), 2);
//!     for (xb, yb) in batches {
//!         assert_eq!((xb.dims(), yb.dims()), (&[4, 3][..], &[4][..]));
//!     }
//! }
//! ```

mod batches;
mod rng;

pub use batches::Minibatches;
pub use rng::SplitMix;

/// `0..n` in an order drawn from `seed` (Fisher–Yates with [`SplitMix`]): the same seed gives
/// the same order on every platform.
///
/// ```
/// use cotangent_nn::data::shuffled_indices;
/// let a = shuffled_indices(10, 42);
/// assert_eq!(a, shuffled_indices(10, 42));
/// assert_ne!(a, shuffled_indices(10, 43));
/// let mut sorted = a.clone();
/// sorted.sort();
/// assert_eq!(sorted, (0..10).collect::<Vec<usize>>());
/// ```
pub fn shuffled_indices(n: usize, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    SplitMix::new(seed).shuffle(&mut order);
    order
}
