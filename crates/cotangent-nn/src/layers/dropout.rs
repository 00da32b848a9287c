//! [`Dropout`]: zero each element with probability `p` in train mode and scale the rest by
//! `1 / (1 - p)`; the identity in eval mode. Masks come from a seeded stream, so a run is
//! reproducible.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use cotangent::{DType, Tensor};

use crate::module::Module;
use cotangent::tree::Tree;

/// Inverted dropout with a seeded mask stream.
///
/// Each [`Dropout::forward`] in train mode draws the next mask of the stream; copies of the
/// layer (from `clone` or [`Module::with_params`]) share the stream, so a model rebuilt every
/// training step still gets a fresh mask every step. [`Dropout::forward_with_seed`] takes an
/// explicit seed instead (for gradient checks, where the mask must not change between calls).
///
/// ```
/// use cotangent::{DType, Tensor};
/// use cotangent_nn::{Dropout, Module};
/// let mut d = Dropout::new(0.25, 42);
/// let y = d.forward(&Tensor::ones(&[10000], DType::F64)).to_vec::<f64>();
/// let zeros = y.iter().filter(|v| **v == 0.0).count();
/// assert!((2300..2700).contains(&zeros));
/// assert!(y.iter().all(|v| *v == 0.0 || (*v - 1.0 / 0.75).abs() < 1e-12));
/// d.set_training(false);
/// assert_eq!(d.forward(&Tensor::ones(&[3], DType::F64)).to_vec::<f64>(), vec![1.0; 3]);
/// ```
#[derive(Clone, Debug, Tree)]
pub struct Dropout {
    /// The probability of dropping an element.
    pub p: f64,
    /// Train mode (masks applied) or eval mode (identity).
    pub training: bool,
    seed: u64,
    #[tree(skip)]
    calls: Arc<AtomicU64>,
}

impl Dropout {
    /// Dropout with probability `p` (in `[0, 1]`), in train mode, masks seeded by `seed`.
    ///
    /// ```
    /// let d = cotangent_nn::Dropout::new(0.1, 0);
    /// assert!(d.training);
    /// ```
    #[track_caller]
    pub fn new(p: f64, seed: u64) -> Dropout {
        assert!(
            (0.0..=1.0).contains(&p),
            "Dropout: p = {p} is not in [0, 1]"
        );
        Dropout {
            p,
            training: true,
            seed,
            calls: Arc::new(AtomicU64::new(0)),
        }
    }

    /// `x` with the next mask of the stream applied (train mode), or `x` itself (eval mode or
    /// `p = 0`).
    ///
    /// ```
    /// use cotangent::{DType, Tensor};
    /// let d = cotangent_nn::Dropout::new(0.5, 1);
    /// let x = Tensor::ones(&[64], DType::F32);
    /// assert_ne!(d.forward(&x).to_vec::<f32>(), d.forward(&x).to_vec::<f32>());
    /// ```
    #[track_caller]
    pub fn forward(&self, x: &Tensor) -> Tensor {
        if !self.training || self.p == 0.0 {
            return x.clone();
        }
        let n = self.calls.fetch_add(1, Ordering::Relaxed);
        let seed = self
            .seed
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(n.wrapping_mul(0xD1B5_4A32_D192_ED03));
        self.forward_with_seed(x, seed)
    }

    /// `x` with the mask drawn from `seed` applied, whatever the mode: the same seed gives the
    /// same mask.
    ///
    /// ```
    /// use cotangent::{DType, Tensor};
    /// let d = cotangent_nn::Dropout::new(0.5, 0);
    /// let x = Tensor::ones(&[64], DType::F32);
    /// assert_eq!(d.forward_with_seed(&x, 9).to_vec::<f32>(), d.forward_with_seed(&x, 9).to_vec::<f32>());
    /// ```
    #[track_caller]
    pub fn forward_with_seed(&self, x: &Tensor, seed: u64) -> Tensor {
        let keep = 1.0 - self.p;
        if keep <= 0.0 {
            return x * 0.0;
        }
        let u = Tensor::rand(x.dims(), seed, DType::F64);
        let scale = u.lt(&Tensor::scalar(keep)).cast(x.dtype()) * (1.0 / keep);
        x * scale
    }
}

impl Module for Dropout {
    fn set_training(&mut self, training: bool) {
        self.training = training;
    }
}
