//! TensorFlow-style gradient tape: `watch` tensors, compute, then ask the tape for gradients.
//! Recording happens only for watched tensors and what is computed from them while the tape is
//! alive. A plain tape answers once; a persistent one any number of times.

use crate::core::error::AtCaller;
use std::cell::Cell;
use std::panic::Location;

use crate::core::level::Level;
use crate::core::{Error, Result, Tensor};
use crate::transform::backward::backward;
use crate::transform::{alias, exit};

/// A scoped recorder of operations on watched tensors.
///
/// ```
/// use cotangent::{GradientTape, Tensor};
/// let tape = GradientTape::new();
/// let x = tape.watch(&Tensor::scalar(3.0));
/// let y = &x * &x;
/// let g = tape.gradient(&y, &[&x]);
/// assert_eq!(g[0].item::<f64>(), 6.0);
/// ```
pub struct GradientTape {
    level: Level,
    persistent: bool,
    used: Cell<bool>,
}

impl Default for GradientTape {
    fn default() -> Self {
        Self::new()
    }
}

impl GradientTape {
    /// A tape that can be asked for gradients once.
    #[track_caller]
    pub fn new() -> GradientTape {
        Self::with_persistence(false)
    }

    /// A tape that can be asked for gradients any number of times.
    ///
    /// ```
    /// use cotangent::{GradientTape, Tensor};
    /// let tape = GradientTape::persistent();
    /// let x = tape.watch(&Tensor::scalar(2.0));
    /// let (y, z) = (&x * &x, x.powf(3.0));
    /// assert_eq!(tape.gradient(&y, &[&x])[0].item::<f64>(), 4.0);
    /// assert_eq!(tape.gradient(&z, &[&x])[0].item::<f64>(), 12.0);
    /// ```
    #[track_caller]
    pub fn persistent() -> GradientTape {
        Self::with_persistence(true)
    }

    #[track_caller]
    fn with_persistence(persistent: bool) -> GradientTape {
        let level = Level::new().unwrap_or_else(|e| panic!("{}", e.at(Location::caller())));
        GradientTape {
            level,
            persistent,
            used: Cell::new(false),
        }
    }

    /// A watched alias of `x`: operations on it are recorded on this tape.
    ///
    /// Panics (at the caller) on an integer or bool tensor; see [`GradientTape::try_watch`].
    #[track_caller]
    pub fn watch(&self, x: &Tensor) -> Tensor {
        self.try_watch(x).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Like [`GradientTape::watch`], with an error for a tensor that is not floating-point
    /// (only those can be differentiated; TensorFlow's tape ignores them silently).
    ///
    /// ```
    /// use cotangent::{GradientTape, Tensor};
    /// let tape = GradientTape::new();
    /// assert!(tape.try_watch(&Tensor::from_vec(vec![1i64], &[1])).is_err());
    /// ```
    #[track_caller]
    pub fn try_watch(&self, x: &Tensor) -> Result<Tensor> {
        crate::transform::grad::check_float_inputs("watch", std::slice::from_ref(x)).at_caller()?;
        Ok(alias(x, self.level.bit))
    }

    /// Gradients of the scalar `y` with respect to each of `xs` (watched tensors or anything
    /// computed from them on this tape); zeros where `y` does not depend on one.
    #[track_caller]
    pub fn try_gradient(&self, y: &Tensor, xs: &[&Tensor]) -> Result<Vec<Tensor>> {
        let loc = Location::caller();
        if self.used.replace(true) && !self.persistent {
            return Err(Error::usage(
                "gradient",
                "a GradientTape can be asked for gradients once; use GradientTape::persistent()",
            )
            .at(loc));
        }
        if y.numel() != 1 || !y.dtype().is_float() {
            return Err(Error::shape(
                "gradient",
                format!(
                    "the target must be a float scalar, got {}{}",
                    y.dtype(),
                    y.shape()
                ),
            )
            .at(loc));
        }
        let stops: Vec<Tensor> = xs.iter().map(|&x| x.clone()).collect();
        let bit = self.level.bit;
        let mut map = backward(
            std::slice::from_ref(y),
            &[y.ones_like()],
            bit,
            &stops,
            false,
        )?;
        Ok(stops
            .iter()
            .map(|x| {
                map.remove(&x.id())
                    .map(|(_, g)| g)
                    .unwrap_or_else(|| x.zeros_like())
            })
            .map(|g| exit(g, bit))
            .collect())
    }

    /// Like [`GradientTape::try_gradient`], panicking on misuse.
    #[track_caller]
    pub fn gradient(&self, y: &Tensor, xs: &[&Tensor]) -> Vec<Tensor> {
        self.try_gradient(y, xs).unwrap_or_else(|e| panic!("{e}"))
    }
}
