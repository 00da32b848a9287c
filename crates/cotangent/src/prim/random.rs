//! Counter-based random numbers: `random` draws samples from a key, `key_derive` makes new keys
//! from old ones (`split`, `fold_in`). A key is an `i64` tensor; every element of it is one key,
//! and the output has the key's shape followed by the sample's, so a batch of keys (under
//! `vmap`) draws a batch of samples with no extra rule. Each sample is a pure function of its
//! key, the distribution and the sample shape: the same key draws the same numbers in eager
//! code, under `jit` and under `vmap`, and two different shapes draw unrelated streams. Not
//! differentiable (the key is an integer and the samples do not depend on any float input).
//!
//! The stream of one key is SplitMix64 run as a counter: element `i` is the SplitMix64 output
//! mixer applied to `s + (i + 1)·γ`, with `s` the key mixed with the distribution and shape.

use crate::backend::cpu::dispatch::dispatch_float;
use crate::core::shape::Dims;
use crate::core::{DType, Error, Real, Result, Shape, Tensor, Value};
use crate::prim::batching::{bind1, first_batched, Batched};
use crate::prim::{Aval, AvalRef, Primitive};

/// SplitMix64's increment (the golden ratio in 64 bits).
const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// SplitMix64's output mixer: a bijection of `u64` with good avalanche.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Element `i` of the stream that starts at `s`.
fn bits(s: u64, i: u64) -> u64 {
    mix(s.wrapping_add(i.wrapping_add(1).wrapping_mul(GAMMA)))
}

/// A uniform integer in `0..range` from 64 random bits (Lemire's multiply-shift).
fn below(b: u64, range: u64) -> u64 {
    ((b as u128 * range as u128) >> 64) as u64
}

/// A uniform float in `[0, 1)` with 53 random bits.
fn unit_f64(b: u64) -> f64 {
    (b >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// What [`RandomSample`] draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dist {
    /// Uniform in `[0, 1)`, of a float dtype (drawn in that dtype, so never 1.0 after rounding).
    Uniform(DType),
    /// Standard normal, of a float dtype (Box–Muller in f64).
    Normal(DType),
    /// Integers uniform in `low..high`, as i64.
    RandInt {
        /// Smallest value.
        low: i64,
        /// One past the largest value.
        high: i64,
    },
    /// `true` with probability `p` (given as the bits of an `f64`, so the parameters hash).
    Bernoulli {
        /// `f64::to_bits` of the probability.
        p_bits: u64,
    },
    /// A uniformly random permutation of `0..n` (the sample shape is `[n]`), as i64.
    Permutation,
}

impl Dist {
    fn tag(&self) -> u64 {
        match self {
            Dist::Uniform(_) => 1,
            Dist::Normal(_) => 2,
            Dist::RandInt { .. } => 3,
            Dist::Bernoulli { .. } => 4,
            Dist::Permutation => 5,
        }
    }

    fn dtype(&self) -> DType {
        match self {
            Dist::Uniform(d) | Dist::Normal(d) => *d,
            Dist::RandInt { .. } | Dist::Permutation => DType::I64,
            Dist::Bernoulli { .. } => DType::Bool,
        }
    }
}

/// Samples of a distribution, one set per key element: output shape `key.shape ++ shape`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RandomSample {
    /// The distribution.
    pub dist: Dist,
    /// The shape of one key's sample.
    pub shape: Vec<usize>,
}

fn key_error(op: &'static str, a: AvalRef<'_>) -> Error {
    Error::dtype(
        op,
        format!(
            "a key is an i64 tensor (made by Key::new), got {} {}",
            a.dtype.name(),
            a.shape
        ),
    )
}

fn with_suffix(key: &Shape, suffix: &[usize]) -> Result<Shape> {
    let dims: Dims = key.iter().copied().chain(suffix.iter().copied()).collect();
    Shape::try_new(&dims)
}

/// The stream of one key for one distribution and sample shape.
fn stream(key: i64, tag: u64, shape: &[usize]) -> u64 {
    let mut s = mix(key as u64 ^ mix(tag));
    s = mix(s ^ shape.len() as u64);
    for &d in shape {
        s = mix(s ^ d as u64);
    }
    s
}

impl RandomSample {
    /// Uniform draws use as many random bits as the dtype has significant digits (53 for f64,
    /// 24 for f32, 11 for f16, 8 for bf16), so that every draw is exact and never 1.0.
    fn fill_float<T: Real>(&self, keys: &[i64], n: usize, normal: bool, digits: u32) -> Vec<T> {
        let mut out: Vec<T> = Vec::with_capacity(keys.len() * n);
        for &k in keys {
            let s = stream(k, self.dist.tag(), &self.shape);
            for i in 0..n as u64 {
                let v = if normal {
                    let u1 = 1.0 - unit_f64(bits(s, 2 * i));
                    let u2 = unit_f64(bits(s, 2 * i + 1));
                    T::from_f64((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos())
                } else {
                    T::from_f64((bits(s, i) >> (64 - digits)) as f64 / (1u64 << digits) as f64)
                };
                out.push(v);
            }
        }
        out
    }
}

impl Primitive for RandomSample {
    crate::prim::typed_params!();
    fn native_half(&self) -> bool {
        // 16-bit draws are made in f32 and rounded in `eval` itself.
        true
    }
    fn name(&self) -> &'static str {
        "random"
    }
    fn params(&self) -> String {
        format!("{:?} shape={:?}", self.dist, self.shape)
    }
    fn abstract_eval(&self, inputs: &[AvalRef<'_>]) -> Result<Aval> {
        let k = inputs[0];
        if k.dtype != DType::I64 {
            return Err(key_error("random", k));
        }
        match self.dist {
            Dist::Uniform(d) | Dist::Normal(d) if !d.is_float() => {
                return Err(Error::dtype(
                    "random",
                    format!("uniform and normal samples are floats, not {}", d.name()),
                ));
            }
            Dist::RandInt { low, high } if low >= high => {
                return Err(Error::usage(
                    "randint",
                    format!("the range {low}..{high} is empty"),
                ));
            }
            Dist::Bernoulli { p_bits } if !(0.0..=1.0).contains(&f64::from_bits(p_bits)) => {
                return Err(Error::usage(
                    "bernoulli",
                    format!("p = {} is not a probability", f64::from_bits(p_bits)),
                ));
            }
            Dist::Permutation if self.shape.len() != 1 => {
                return Err(Error::shape(
                    "permutation",
                    format!("a permutation has shape [n], not {:?}", self.shape),
                ));
            }
            _ => {}
        }
        Ok(Aval {
            shape: with_suffix(k.shape, &self.shape)?,
            dtype: self.dist.dtype(),
        })
    }
    fn eval(&self, inputs: &[&Value]) -> Result<Value> {
        let key = inputs[0];
        let keys = key.elements::<i64>();
        let shape = with_suffix(key.shape(), &self.shape)?;
        let n: usize = self.shape.iter().product();
        let tag = self.dist.tag();
        let v = match self.dist {
            Dist::Uniform(d) | Dist::Normal(d) => {
                let normal = matches!(self.dist, Dist::Normal(_));
                let digits = d.digits();
                if d.is_half() {
                    // Drawn in f32 with the half type's digits, then rounded (normal draws).
                    let wide = self.fill_float::<f32>(&keys, n, normal, digits);
                    let wide = Value::from_vec(wide, shape);
                    return crate::core::opmath::narrow("random", &wide, d);
                }
                dispatch_float!("random", d, T => Value::from_vec(
                    self.fill_float::<T>(&keys, n, normal, digits), shape
                ))
            }
            Dist::RandInt { low, high } => {
                let range = high.wrapping_sub(low) as u64;
                let mut out = Vec::with_capacity(keys.len() * n);
                for &k in keys.iter() {
                    let s = stream(k, tag, &self.shape);
                    out.extend(
                        (0..n as u64).map(|i| low.wrapping_add(below(bits(s, i), range) as i64)),
                    );
                }
                Value::from_vec(out, shape)
            }
            Dist::Bernoulli { p_bits } => {
                let p = f64::from_bits(p_bits);
                let mut out = Vec::with_capacity(keys.len() * n);
                for &k in keys.iter() {
                    let s = stream(k, tag, &self.shape);
                    out.extend((0..n as u64).map(|i| unit_f64(bits(s, i)) < p));
                }
                Value::from_vec(out, shape)
            }
            Dist::Permutation => {
                let mut out = Vec::with_capacity(keys.len() * n);
                for &k in keys.iter() {
                    let s = stream(k, tag, &self.shape);
                    let mut p: Vec<i64> = (0..n as i64).collect();
                    for i in (1..n).rev() {
                        let j = below(bits(s, i as u64), i as u64 + 1) as usize;
                        p.swap(i, j);
                    }
                    out.extend(p);
                }
                Value::from_vec(out, shape)
            }
        };
        Ok(v)
    }
    crate::prim::no_derivatives!(1);
    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], _: usize) -> Batched {
        // Output = key shape ++ sample shape: the key's batch axis stays where it is.
        let b = first_batched(dims);
        Ok(Some((bind1(self.clone(), &args[0])?, Some(b))))
    }
}

/// How [`KeyDerive`] makes new keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Derive {
    /// `n` new independent keys per key: output shape `key.shape ++ [n]`.
    Split(usize),
    /// One new key per key, determined by the key and `data`: same shape.
    FoldIn(u64),
}

/// New keys from keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyDerive {
    /// Split or fold in.
    pub how: Derive,
}

const SPLIT: u64 = 0x5EED_0000_0000_0001;
const FOLD: u64 = 0x5EED_0000_0000_0002;

impl Primitive for KeyDerive {
    crate::prim::typed_params!();
    fn name(&self) -> &'static str {
        "key_derive"
    }
    fn params(&self) -> String {
        format!("{:?}", self.how)
    }
    fn abstract_eval(&self, inputs: &[AvalRef<'_>]) -> Result<Aval> {
        let k = inputs[0];
        if k.dtype != DType::I64 {
            return Err(key_error("key_derive", k));
        }
        let shape = match self.how {
            Derive::Split(n) => with_suffix(k.shape, &[n])?,
            Derive::FoldIn(_) => k.shape.clone(),
        };
        Ok(Aval {
            shape,
            dtype: DType::I64,
        })
    }
    fn eval(&self, inputs: &[&Value]) -> Result<Value> {
        let key = inputs[0];
        let keys = key.elements::<i64>();
        match self.how {
            Derive::Split(n) => {
                let mut out = Vec::with_capacity(keys.len() * n);
                for &k in keys.iter() {
                    let s = mix(k as u64 ^ SPLIT);
                    out.extend((0..n as u64).map(|j| bits(s, j) as i64));
                }
                Ok(Value::from_vec(out, with_suffix(key.shape(), &[n])?))
            }
            Derive::FoldIn(d) => {
                let out: Vec<i64> = keys
                    .iter()
                    .map(|&k| mix(mix(k as u64 ^ FOLD) ^ mix(d)) as i64)
                    .collect();
                Ok(Value::from_vec(out, key.shape().clone()))
            }
        }
    }
    crate::prim::no_derivatives!(1);
    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], _: usize) -> Batched {
        let b = first_batched(dims);
        Ok(Some((bind1(*self, &args[0])?, Some(b))))
    }
}

/// The primitives this module registers (with example parameters).
pub(crate) fn instances() -> Vec<std::sync::Arc<dyn Primitive>> {
    vec![
        std::sync::Arc::new(RandomSample {
            dist: Dist::Uniform(DType::F64),
            shape: vec![2],
        }),
        std::sync::Arc::new(KeyDerive {
            how: Derive::Split(2),
        }),
    ]
}
