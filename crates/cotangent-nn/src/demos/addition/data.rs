//! Encoding addition problems as token sequences, and sampling training batches that avoid a
//! held-out set.

use std::collections::HashSet;

use cotangent::Tensor;

use crate::demos::SplitMix;

/// Tokens: digits `0..=9`, then `+` and `=`.
///
/// ```
/// use cotangent_nn::demos::addition::{encode, VOCAB};
/// assert!(encode(999, 999).iter().all(|&t| (t as usize) < VOCAB));
/// ```
pub const VOCAB: usize = 12;
/// The `+` token.
///
/// ```
/// use cotangent_nn::demos::addition::{encode, PLUS};
/// assert_eq!(encode(1, 2)[3], PLUS);
/// ```
pub const PLUS: i64 = 10;
/// The `=` token.
///
/// ```
/// use cotangent_nn::demos::addition::{encode, EQUALS};
/// assert_eq!(encode(1, 2)[7], EQUALS);
/// ```
pub const EQUALS: i64 = 11;
/// `aaa+bbb=`: the tokens the model is given.
///
/// ```
/// use cotangent_nn::demos::addition::{encode, EQUALS, PROMPT_LEN};
/// assert_eq!(encode(1, 2)[PROMPT_LEN - 1], EQUALS);
/// ```
pub const PROMPT_LEN: usize = 8;
/// Digits of the (reversed, zero-padded) sum.
///
/// ```
/// use cotangent_nn::demos::addition::{encode, ANSWER_LEN, PROMPT_LEN};
/// assert_eq!(&encode(999, 1)[PROMPT_LEN..PROMPT_LEN + ANSWER_LEN], &[0, 0, 0, 1]);
/// ```
pub const ANSWER_LEN: usize = 4;
/// A whole problem.
///
/// ```
/// use cotangent_nn::demos::addition::{encode, SEQ_LEN};
/// assert_eq!(encode(1, 2).len(), SEQ_LEN);
/// ```
pub const SEQ_LEN: usize = PROMPT_LEN + ANSWER_LEN;

/// The tokens of `a + b = (a + b reversed)`, for `a, b < 1000`.
///
/// ```
/// use cotangent_nn::demos::addition::encode;
/// assert_eq!(encode(123, 456), [1, 2, 3, 10, 4, 5, 6, 11, 9, 7, 5, 0]);
/// ```
#[track_caller]
pub fn encode(a: u32, b: u32) -> [i64; SEQ_LEN] {
    assert!(a < 1000 && b < 1000, "encode: operands must be below 1000");
    let digit = |x: u32, p: u32| (x / 10u32.pow(p) % 10) as i64;
    let s = a + b;
    [
        digit(a, 2),
        digit(a, 1),
        digit(a, 0),
        PLUS,
        digit(b, 2),
        digit(b, 1),
        digit(b, 0),
        EQUALS,
        digit(s, 0),
        digit(s, 1),
        digit(s, 2),
        digit(s, 3),
    ]
}

/// The number written by reversed answer digits (least significant first).
///
/// ```
/// assert_eq!(cotangent_nn::demos::addition::decode_answer(&[9, 7, 5, 0]), 579);
/// ```
pub fn decode_answer(reversed: &[i64]) -> u32 {
    reversed
        .iter()
        .rev()
        .fold(0, |acc, &d| acc * 10 + d.clamp(0, 9) as u32)
}

/// A problem and a predicted answer as text: `123+456=579`.
///
/// ```
/// assert_eq!(cotangent_nn::demos::addition::render(7, 5, 12), "007+005=12");
/// ```
pub fn render(a: u32, b: u32, answer: u32) -> String {
    format!("{a:03}+{b:03}={answer}")
}

/// `n` distinct pairs `(a, b)`, `a, b < 1000`, drawn with `seed`: the held-out test problems.
///
/// ```
/// let pairs = cotangent_nn::demos::addition::held_out_pairs(100, 0);
/// assert_eq!(pairs.len(), 100);
/// ```
pub fn held_out_pairs(n: usize, seed: u64) -> Vec<(u32, u32)> {
    let mut rng = SplitMix::new(seed);
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let p = (rng.below(1000) as u32, rng.below(1000) as u32);
        if seen.insert(p) {
            out.push(p);
        }
    }
    out
}

/// Training batches drawn uniformly from all pairs except the held-out ones.
///
/// ```
/// use cotangent_nn::demos::addition::{held_out_pairs, Sampler, SEQ_LEN};
/// let mut s = Sampler::new(1, &held_out_pairs(10, 0));
/// let (x, y) = s.batch(4);
/// assert_eq!((x.dims(), y.dims()), (&[4, SEQ_LEN - 1][..], &[4, 4][..]));
/// ```
#[derive(Debug, Clone)]
pub struct Sampler {
    rng: SplitMix,
    excluded: HashSet<(u32, u32)>,
}

impl Sampler {
    /// A sampler seeded with `seed` that never yields a pair in `excluded`.
    ///
    /// ```
    /// let s = cotangent_nn::demos::addition::Sampler::new(0, &[]);
    /// ```
    pub fn new(seed: u64, excluded: &[(u32, u32)]) -> Sampler {
        Sampler {
            rng: SplitMix::new(seed),
            excluded: excluded.iter().copied().collect(),
        }
    }

    /// The next pair not excluded.
    ///
    /// ```
    /// let mut s = cotangent_nn::demos::addition::Sampler::new(0, &[]);
    /// let (a, b) = s.pair();
    /// assert!(a < 1000 && b < 1000);
    /// ```
    pub fn pair(&mut self) -> (u32, u32) {
        loop {
            let p = (self.rng.below(1000) as u32, self.rng.below(1000) as u32);
            if !self.excluded.contains(&p) {
                return p;
            }
        }
    }

    /// `n` problems: inputs `[n, SEQ_LEN - 1]` (every token but the last) and targets
    /// `[n, ANSWER_LEN]` (the answer digits, which the inputs at positions
    /// `PROMPT_LEN - 1 ..` must predict).
    ///
    /// ```
    /// use cotangent_nn::demos::addition::Sampler;
    /// let (x, y) = Sampler::new(0, &[]).batch(1);
    /// let x = x.to_vec::<i64>();
    /// assert_eq!((x[3], x[7]), (10, 11));
    /// assert!(y.to_vec::<i64>().iter().all(|d| (0..10).contains(d)));
    /// ```
    pub fn batch(&mut self, n: usize) -> (Tensor, Tensor) {
        let mut inputs = Vec::with_capacity(n * (SEQ_LEN - 1));
        let mut targets = Vec::with_capacity(n * ANSWER_LEN);
        for _ in 0..n {
            let (a, b) = self.pair();
            let seq = encode(a, b);
            inputs.extend_from_slice(&seq[..SEQ_LEN - 1]);
            targets.extend_from_slice(&seq[PROMPT_LEN..]);
        }
        (
            Tensor::from_vec(inputs, &[n, SEQ_LEN - 1]),
            Tensor::from_vec(targets, &[n, ANSWER_LEN]),
        )
    }
}
