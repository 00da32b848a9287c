//! [`SplitMix`]: a tiny seeded generator for shuffling and sampling (the same numbers on every
//! platform and every version, which a general-purpose generator crate does not promise for
//! its shuffle).

/// SplitMix64 (Steele, Lea and Flood 2014).
///
/// ```
/// use cotangent_nn::data::SplitMix;
/// let mut a = SplitMix::new(1);
/// let mut b = SplitMix::new(1);
/// assert_eq!(a.next_u64(), b.next_u64());
/// ```
#[derive(Debug, Clone)]
pub struct SplitMix {
    state: u64,
}

impl SplitMix {
    /// A generator seeded with `seed`.
    ///
    /// ```
    /// let mut r = cotangent_nn::data::SplitMix::new(0);
    /// assert!(r.below(10) < 10);
    /// ```
    pub fn new(seed: u64) -> SplitMix {
        SplitMix { state: seed }
    }

    /// The next 64 random bits.
    ///
    /// ```
    /// let mut r = cotangent_nn::data::SplitMix::new(0);
    /// assert_ne!(r.next_u64(), r.next_u64());
    /// ```
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`; the bias of the modulo is below 2⁻⁴⁰ for the sizes used
    /// here).
    ///
    /// ```
    /// let mut r = cotangent_nn::data::SplitMix::new(3);
    /// assert!((0..100).all(|_| r.below(7) < 7));
    /// ```
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// Shuffle `items` in place (Fisher–Yates).
    ///
    /// ```
    /// let mut v: Vec<u32> = (0..10).collect();
    /// cotangent_nn::data::SplitMix::new(0).shuffle(&mut v);
    /// let mut sorted = v.clone();
    /// sorted.sort();
    /// assert_eq!(sorted, (0..10).collect::<Vec<u32>>());
    /// ```
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}
