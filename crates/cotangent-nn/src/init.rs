//! Parameter initializers: Xavier/Glorot (uniform and normal), Kaiming/He (uniform and normal),
//! a normal with a given standard deviation, constants — all seeded (ChaCha8, so the same seed
//! gives the same numbers everywhere) — and [`Init`], a stream of seeds plus a dtype that layer
//! constructors draw from.
//!
//! Weights in this crate are stored `[in, out]` (a layer computes `x @ W`), so for a shape
//! `[d0, …, dn]` the fan-out is the last dim and the fan-in the product of the others.

use cotangent::{DType, Tensor};

/// `(fan_in, fan_out)` of a weight stored `[in, out]`: the fan-out is the last dim, the fan-in
/// the product of the others (a vector has fan-in = fan-out = its length).
///
/// ```
/// assert_eq!(cotangent_nn::init::fans(&[64, 10]), (64, 10));
/// assert_eq!(cotangent_nn::init::fans(&[7]), (7, 7));
/// ```
pub fn fans(shape: &[usize]) -> (usize, usize) {
    match shape {
        [] => (1, 1),
        [n] => (*n, *n),
        [rest @ .., last] => (rest.iter().product(), *last),
    }
}

/// Uniform samples in `[-bound, bound)`.
///
/// ```
/// use cotangent::DType;
/// let w = cotangent_nn::init::uniform(&[1000], 0.5, 7, DType::F64);
/// assert!(w.to_vec::<f64>().iter().all(|v| v.abs() <= 0.5));
/// ```
pub fn uniform(shape: &[usize], bound: f64, seed: u64, dtype: DType) -> Tensor {
    let u = Tensor::rand(shape, seed, DType::F64);
    ((u * (2.0 * bound)) - bound).cast(dtype)
}

/// Normal samples with mean 0 and standard deviation `std`.
///
/// ```
/// use cotangent::DType;
/// let w = cotangent_nn::init::normal(&[4000], 0.02, 3, DType::F64);
/// let sd = w.var_axes(&[0], false).sqrt().item::<f64>();
/// assert!((sd - 0.02).abs() < 0.002);
/// ```
pub fn normal(shape: &[usize], std: f64, seed: u64, dtype: DType) -> Tensor {
    (Tensor::randn(shape, seed, DType::F64) * std).cast(dtype)
}

/// Xavier/Glorot uniform: `U(-b, b)` with `b = gain · √(6 / (fan_in + fan_out))`.
///
/// ```
/// use cotangent::DType;
/// let w = cotangent_nn::init::xavier_uniform(&[30, 20], 1.0, 0, DType::F64);
/// let b = (6.0f64 / 50.0).sqrt();
/// assert!(w.to_vec::<f64>().iter().all(|v| v.abs() <= b));
/// ```
pub fn xavier_uniform(shape: &[usize], gain: f64, seed: u64, dtype: DType) -> Tensor {
    let (fi, fo) = fans(shape);
    uniform(shape, gain * (6.0 / (fi + fo) as f64).sqrt(), seed, dtype)
}

/// Xavier/Glorot normal: `N(0, σ²)` with `σ = gain · √(2 / (fan_in + fan_out))`.
///
/// ```
/// use cotangent::DType;
/// let w = cotangent_nn::init::xavier_normal(&[100, 100], 1.0, 0, DType::F64);
/// let sd = w.flatten().var_axes(&[0], false).sqrt().item::<f64>();
/// assert!((sd - 0.1).abs() < 0.005);
/// ```
pub fn xavier_normal(shape: &[usize], gain: f64, seed: u64, dtype: DType) -> Tensor {
    let (fi, fo) = fans(shape);
    normal(shape, gain * (2.0 / (fi + fo) as f64).sqrt(), seed, dtype)
}

/// Kaiming/He uniform (fan-in mode): `U(-b, b)` with `b = gain · √(3 / fan_in)`; use
/// `gain = √2` before a ReLU.
///
/// ```
/// use cotangent::DType;
/// let w = cotangent_nn::init::kaiming_uniform(&[96, 10], 2f64.sqrt(), 0, DType::F64);
/// assert!(w.to_vec::<f64>().iter().all(|v| v.abs() <= 0.25)); // √2 · √(3/96)
/// ```
pub fn kaiming_uniform(shape: &[usize], gain: f64, seed: u64, dtype: DType) -> Tensor {
    let (fi, _) = fans(shape);
    uniform(shape, gain * (3.0 / fi as f64).sqrt(), seed, dtype)
}

/// Kaiming/He normal (fan-in mode): `N(0, σ²)` with `σ = gain / √fan_in`; use `gain = √2`
/// before a ReLU.
///
/// ```
/// use cotangent::DType;
/// let w = cotangent_nn::init::kaiming_normal(&[200, 50], 2f64.sqrt(), 0, DType::F64);
/// let sd = w.flatten().var_axes(&[0], false).sqrt().item::<f64>();
/// assert!((sd - 0.1).abs() < 0.005);
/// ```
pub fn kaiming_normal(shape: &[usize], gain: f64, seed: u64, dtype: DType) -> Tensor {
    let (fi, _) = fans(shape);
    normal(shape, gain / (fi as f64).sqrt(), seed, dtype)
}

/// How to fill a new weight, for layers that take a choice ([`crate::Linear::with_init`]).
///
/// ```
/// use cotangent::DType;
/// use cotangent_nn::init::WeightInit;
/// let w = WeightInit::Constant(0.5).make(&[2], 0, DType::F32);
/// assert_eq!(w.to_vec::<f32>(), vec![0.5, 0.5]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum WeightInit {
    /// [`xavier_uniform`] with gain 1.
    XavierUniform,
    /// [`xavier_normal`] with gain 1.
    XavierNormal,
    /// [`kaiming_uniform`] with gain √2 (for ReLU).
    KaimingUniform,
    /// [`kaiming_normal`] with gain √2 (for ReLU).
    KaimingNormal,
    /// [`normal`] with this standard deviation.
    Normal(f64),
    /// Every element equal to this value.
    Constant(f64),
}

impl WeightInit {
    /// A tensor of `shape` drawn with `seed`.
    ///
    /// ```
    /// use cotangent::DType;
    /// use cotangent_nn::init::WeightInit;
    /// assert_eq!(WeightInit::KaimingNormal.make(&[3, 4], 1, DType::F64).dims(), &[3, 4]);
    /// ```
    pub fn make(self, shape: &[usize], seed: u64, dtype: DType) -> Tensor {
        let relu_gain = std::f64::consts::SQRT_2;
        match self {
            WeightInit::XavierUniform => xavier_uniform(shape, 1.0, seed, dtype),
            WeightInit::XavierNormal => xavier_normal(shape, 1.0, seed, dtype),
            WeightInit::KaimingUniform => kaiming_uniform(shape, relu_gain, seed, dtype),
            WeightInit::KaimingNormal => kaiming_normal(shape, relu_gain, seed, dtype),
            WeightInit::Normal(std) => normal(shape, std, seed, dtype),
            WeightInit::Constant(c) => Tensor::full(shape, c, dtype),
        }
    }
}

/// A seeded stream of initializer seeds plus the dtype of new parameters: layer constructors
/// take `&mut Init`, so building the same model from the same `Init::new(seed, dtype)` gives
/// the same weights.
///
/// ```
/// use cotangent::DType;
/// use cotangent_nn::{Init, Linear};
/// let a = Linear::new(3, 3, &mut Init::new(5, DType::F32));
/// let b = Linear::new(3, 3, &mut Init::new(5, DType::F32));
/// assert_eq!(a.weight.to_vec::<f32>(), b.weight.to_vec::<f32>());
/// ```
#[derive(Debug, Clone)]
pub struct Init {
    state: u64,
    dtype: DType,
}

impl Init {
    /// A stream starting from `seed`, making parameters of `dtype`.
    ///
    /// ```
    /// let init = cotangent_nn::Init::new(0, cotangent::DType::F64);
    /// assert_eq!(init.dtype(), cotangent::DType::F64);
    /// ```
    pub fn new(seed: u64, dtype: DType) -> Init {
        Init { state: seed, dtype }
    }

    /// The dtype of the parameters this stream makes.
    ///
    /// ```
    /// assert_eq!(cotangent_nn::Init::new(0, cotangent::DType::F32).dtype(), cotangent::DType::F32);
    /// ```
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// The next seed (SplitMix64 over the state).
    ///
    /// ```
    /// let mut init = cotangent_nn::Init::new(0, cotangent::DType::F32);
    /// assert_ne!(init.next_seed(), init.next_seed());
    /// ```
    pub fn next_seed(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A new parameter of `shape` filled by `how`, with the next seed.
    ///
    /// ```
    /// use cotangent_nn::{init::WeightInit, Init};
    /// let mut init = Init::new(0, cotangent::DType::F32);
    /// assert_eq!(init.make(WeightInit::XavierNormal, &[2, 3]).dims(), &[2, 3]);
    /// ```
    pub fn make(&mut self, how: WeightInit, shape: &[usize]) -> Tensor {
        let seed = self.next_seed();
        how.make(shape, seed, self.dtype)
    }

    /// Zeros of `shape` in this stream's dtype.
    ///
    /// ```
    /// let init = cotangent_nn::Init::new(0, cotangent::DType::F32);
    /// assert_eq!(init.zeros(&[2]).to_vec::<f32>(), vec![0.0, 0.0]);
    /// ```
    pub fn zeros(&self, shape: &[usize]) -> Tensor {
        Tensor::zeros(shape, self.dtype)
    }

    /// Ones of `shape` in this stream's dtype.
    ///
    /// ```
    /// let init = cotangent_nn::Init::new(0, cotangent::DType::F32);
    /// assert_eq!(init.ones(&[2]).to_vec::<f32>(), vec![1.0, 1.0]);
    /// ```
    pub fn ones(&self, shape: &[usize]) -> Tensor {
        Tensor::ones(shape, self.dtype)
    }
}
