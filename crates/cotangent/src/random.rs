//! Splittable random keys, as in `jax.random`: a [`Key`] is data (an `i64` tensor), every
//! sampler is a pure function of a key, and new keys come from [`Key::split`] and
//! [`Key::fold_in`]. So the same key draws the same numbers eagerly, under [`jit()`](crate::jit()) and
//! under [`vmap()`](crate::vmap()) (a batch of keys draws a batch of independent samples), and a jitted
//! function that takes a key as an argument draws fresh numbers for each key it is given.
//!
//! Use one key per use: drawing twice from one key gives the same numbers (split it first).
//!
//! ```
//! use cotangent::random::Key;
//! use cotangent::DType;
//!
//! let key = Key::new(0);
//! let (k1, k2) = key.split2();
//! let w = k1.normal(&[3, 2], DType::F32);
//! let drop = k2.bernoulli(0.9, &[3]);
//! assert_eq!(w.dims(), &[3, 2]);
//! assert_eq!(drop.dims(), &[3]);
//! // Reproducible: the same key draws the same numbers.
//! assert_eq!(w.to_vec::<f32>(), Key::new(0).split2().0.normal(&[3, 2], DType::F32).to_vec::<f32>());
//! ```

use std::panic::Location;

use crate::core::{DType, Error, Result, Tensor};
use crate::prim::random::{mix, Derive, Dist, KeyDerive, RandomSample};

/// A random key (or, under `vmap` or after [`Key::split_keys`], a tensor of keys): an `i64`
/// tensor. It is a [`Tree`](crate::tree::Tree) with one leaf, so it passes through `jit`, `vmap` and the tree
/// transformations like any other argument.
///
/// ```
/// use cotangent::random::Key;
/// let k = Key::new(42);
/// assert_eq!(k.tensor().dims(), &[] as &[usize]);
/// assert_ne!(k.fold_in(1).tensor().item::<i64>(), k.fold_in(2).tensor().item::<i64>());
/// ```
#[derive(Clone, Debug, crate::tree::Tree)]
pub struct Key {
    bits: Tensor,
}

fn bind_key(how: Derive, t: &Tensor) -> Result<Tensor> {
    crate::core::bind::bind(KeyDerive { how }, smallvec::smallvec![t.clone()])
}

impl Key {
    /// The key of a seed. Different seeds give unrelated streams.
    ///
    /// ```
    /// use cotangent::random::Key;
    /// assert_eq!(Key::new(7).tensor().item::<i64>(), Key::new(7).tensor().item::<i64>());
    /// ```
    pub fn new(seed: u64) -> Key {
        Key {
            bits: Tensor::from_vec(vec![mix(seed ^ 0x6B65_795F_6E65_7721) as i64], &[]),
        }
    }

    /// Wrap an `i64` tensor of keys (from [`Key::tensor`], or a batch of them).
    ///
    /// ```
    /// use cotangent::random::Key;
    /// let ks = Key::new(0).split_keys(4);
    /// let again = Key::try_from_tensor(ks.tensor().clone()).unwrap();
    /// assert_eq!(again.tensor().dims(), &[4]);
    /// assert!(Key::try_from_tensor(cotangent::Tensor::scalar(1.0)).is_err());
    /// ```
    #[track_caller]
    pub fn try_from_tensor(bits: Tensor) -> Result<Key> {
        if bits.dtype() != DType::I64 {
            return Err(Error::dtype(
                "Key",
                format!("a key is an i64 tensor, got {}", bits.dtype().name()),
            )
            .at(Location::caller()));
        }
        Ok(Key { bits })
    }

    /// The keys as an `i64` tensor (a scalar for one key).
    pub fn tensor(&self) -> &Tensor {
        &self.bits
    }

    /// `n` new keys, independent of each other and of `self`.
    ///
    /// ```
    /// use cotangent::random::Key;
    /// let ks = Key::new(0).split(3);
    /// assert_eq!(ks.len(), 3);
    /// assert_ne!(ks[0].tensor().item::<i64>(), ks[1].tensor().item::<i64>());
    /// ```
    #[track_caller]
    pub fn split(&self, n: usize) -> Vec<Key> {
        let all = self.split_keys(n);
        let axis = all.bits.rank() as isize - 1;
        (0..n)
            .map(|i| Key {
                bits: all.bits.narrow(axis, i, 1).squeeze(axis),
            })
            .collect()
    }

    /// Two new keys (the usual `key, sub = split(key)`).
    #[track_caller]
    pub fn split2(&self) -> (Key, Key) {
        let mut v = self.split(2);
        let b = v.pop().expect("two keys");
        (v.pop().expect("two keys"), b)
    }

    /// `n` new keys as one key tensor with a new last axis of length `n`: hand it to `vmap`
    /// to draw `n` independent samples.
    ///
    /// ```
    /// use cotangent::random::Key;
    /// use cotangent::{tree, DType};
    /// let keys = Key::new(1).split_keys(5);
    /// let draws = tree::vmap(|k: &Key| k.normal(&[2], DType::F64), 0, 0)(&keys);
    /// assert_eq!(draws.dims(), &[5, 2]);
    /// ```
    #[track_caller]
    pub fn split_keys(&self, n: usize) -> Key {
        let bits = bind_key(Derive::Split(n), &self.bits)
            .map_err(|e| e.at(Location::caller()))
            .unwrap_or_else(|e| panic!("{e}"));
        Key { bits }
    }

    /// A new key determined by this key and `data` (a step number, an example index…).
    #[track_caller]
    pub fn fold_in(&self, data: u64) -> Key {
        let bits = bind_key(Derive::FoldIn(data), &self.bits)
            .map_err(|e| e.at(Location::caller()))
            .unwrap_or_else(|e| panic!("{e}"));
        Key { bits }
    }

    #[track_caller]
    fn try_draw(&self, dist: Dist, shape: &[usize]) -> Result<Tensor> {
        let prim = RandomSample {
            dist,
            shape: shape.to_vec(),
        };
        crate::core::bind::bind(prim, smallvec::smallvec![self.bits.clone()])
            .map_err(|e| e.at(Location::caller()))
    }

    /// Uniform samples in `[0, 1)`, of a float dtype.
    ///
    /// ```
    /// use cotangent::random::Key;
    /// use cotangent::DType;
    /// let u = Key::new(3).uniform(&[1000], DType::F64);
    /// assert!(u.min().item::<f64>() >= 0.0 && u.max().item::<f64>() < 1.0);
    /// ```
    #[track_caller]
    pub fn uniform(&self, shape: &[usize], dtype: DType) -> Tensor {
        self.try_uniform(shape, dtype)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Like [`Key::uniform`], with an error for a non-float dtype or an overflowing shape.
    #[track_caller]
    pub fn try_uniform(&self, shape: &[usize], dtype: DType) -> Result<Tensor> {
        self.try_draw(Dist::Uniform(dtype), shape)
    }

    /// Standard normal samples, of a float dtype.
    #[track_caller]
    pub fn normal(&self, shape: &[usize], dtype: DType) -> Tensor {
        self.try_normal(shape, dtype)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Like [`Key::normal`], with an error for a non-float dtype or an overflowing shape.
    #[track_caller]
    pub fn try_normal(&self, shape: &[usize], dtype: DType) -> Result<Tensor> {
        self.try_draw(Dist::Normal(dtype), shape)
    }

    /// Integers uniform in `low..high` (as `i64`).
    ///
    /// ```
    /// use cotangent::random::Key;
    /// let r = Key::new(0).randint(&[100], 3, 6).to_vec::<i64>();
    /// assert!(r.iter().all(|&v| (3..6).contains(&v)));
    /// ```
    #[track_caller]
    pub fn randint(&self, shape: &[usize], low: i64, high: i64) -> Tensor {
        self.try_randint(shape, low, high)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Like [`Key::randint`], with an error for an empty range.
    #[track_caller]
    pub fn try_randint(&self, shape: &[usize], low: i64, high: i64) -> Result<Tensor> {
        self.try_draw(Dist::RandInt { low, high }, shape)
    }

    /// Booleans, `true` with probability `p`.
    #[track_caller]
    pub fn bernoulli(&self, p: f64, shape: &[usize]) -> Tensor {
        self.try_bernoulli(p, shape)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Like [`Key::bernoulli`], with an error when `p` is not in `[0, 1]`.
    #[track_caller]
    pub fn try_bernoulli(&self, p: f64, shape: &[usize]) -> Result<Tensor> {
        self.try_draw(
            Dist::Bernoulli {
                p_bits: p.to_bits(),
            },
            shape,
        )
    }

    /// A uniformly random permutation of `0..n` (as `i64`).
    ///
    /// ```
    /// use cotangent::random::Key;
    /// let mut p = Key::new(9).permutation(6).to_vec::<i64>();
    /// p.sort();
    /// assert_eq!(p, vec![0, 1, 2, 3, 4, 5]);
    /// ```
    #[track_caller]
    pub fn permutation(&self, n: usize) -> Tensor {
        self.try_draw(Dist::Permutation, &[n])
            .unwrap_or_else(|e| panic!("{e}"))
    }
}
