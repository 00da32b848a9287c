//! [`Activation`]: the elementwise nonlinearity between layers, as a value.

use cotangent::Tensor;

/// An elementwise nonlinearity.
///
/// ```
/// use cotangent::Tensor;
/// use cotangent_nn::Activation;
/// let x = Tensor::from_vec(vec![-1.0, 2.0], &[2]);
/// assert_eq!(Activation::Relu.apply(&x).to_vec::<f64>(), vec![0.0, 2.0]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// `max(x, 0)`.
    Relu,
    /// Exact GELU, `x · Φ(x)`.
    Gelu,
    /// GELU with the tanh approximation (GPT-2).
    GeluTanh,
    /// `tanh(x)`.
    Tanh,
    /// `1 / (1 + e^-x)`.
    Sigmoid,
    /// `x` unchanged.
    Identity,
}

impl Activation {
    /// Apply to every element of `x`.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// use cotangent_nn::Activation;
    /// assert_eq!(Activation::Sigmoid.apply(&Tensor::scalar(0.0)).item::<f64>(), 0.5);
    /// ```
    #[track_caller]
    pub fn apply(self, x: &Tensor) -> Tensor {
        match self {
            Activation::Relu => x.relu(),
            Activation::Gelu => x.gelu(),
            Activation::GeluTanh => x.gelu_tanh(),
            Activation::Tanh => x.tanh(),
            Activation::Sigmoid => x.sigmoid(),
            Activation::Identity => x.clone(),
        }
    }
}

/// An activation is static data in a tree: no leaves, and its kind keys `jit`'s cache.
impl cotangent::tree::Tree for Activation {
    fn visit_leaves(&self, _: &str, _: &mut dyn FnMut(&str, &Tensor)) {}
    fn visit_leaves_mut(&mut self, _: &str, _: &mut dyn FnMut(&str, &mut Tensor)) {}
    fn hash_static(&self, state: &mut dyn std::hash::Hasher) {
        state.write_u8(*self as u8);
    }
}

impl crate::Module for Activation {}
