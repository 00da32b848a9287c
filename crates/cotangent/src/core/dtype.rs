//! Element types: the [`DType`] enum, the [`Element`] trait that ties a Rust scalar type to its
//! dtype and storage, and the [`Real`] trait for the two floating-point types.

use std::fmt;

use super::storage::{Buf, Storage};

/// The element type of a tensor.
///
/// ```
/// use cotangent::{DType, Tensor};
/// let t = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
/// assert_eq!(t.dtype(), DType::F32);
/// assert!(DType::F64.is_float());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DType {
    /// 32-bit IEEE float.
    F32,
    /// 64-bit IEEE float.
    F64,
    /// 16-bit IEEE half float (`half::f16`): stored in 16 bits, computed in f32.
    F16,
    /// 16-bit brain float (`half::bf16`, f32's exponent range): stored in 16 bits, computed in
    /// f32.
    BF16,
    /// 64-bit signed integer, for indices and labels.
    I64,
    /// Boolean, for masks and comparison results.
    Bool,
}

impl DType {
    /// The short name used in messages and graph listings (`f32`, `f64`, `f16`, `bf16`, `i64`,
    /// `bool`).
    pub fn name(self) -> &'static str {
        match self {
            DType::F32 => "f32",
            DType::F64 => "f64",
            DType::F16 => "f16",
            DType::BF16 => "bf16",
            DType::I64 => "i64",
            DType::Bool => "bool",
        }
    }

    /// Whether values of this type can be differentiated.
    pub fn is_float(self) -> bool {
        matches!(self, DType::F32 | DType::F64 | DType::F16 | DType::BF16)
    }

    /// Whether this is one of the 16-bit floats, which kernels compute in f32 (see
    /// [`DType::compute`]).
    ///
    /// ```
    /// use cotangent::DType;
    /// assert!(DType::BF16.is_half() && !DType::F32.is_half());
    /// ```
    pub fn is_half(self) -> bool {
        matches!(self, DType::F16 | DType::BF16)
    }

    /// The type kernels compute in for values of this type: f32 for the 16-bit floats (each
    /// primitive's result is the f32 result rounded once, with f32 accumulation in sums and
    /// matmuls, as PyTorch and XLA do on CPU), the type itself otherwise.
    ///
    /// ```
    /// use cotangent::DType;
    /// assert_eq!(DType::F16.compute(), DType::F32);
    /// assert_eq!(DType::F64.compute(), DType::F64);
    /// ```
    pub fn compute(self) -> DType {
        if self.is_half() {
            DType::F32
        } else {
            self
        }
    }

    /// Significant binary digits of a float type (53 for f64, 24 for f32, 11 for f16, 8 for
    /// bf16, counting the implicit leading bit); 0 for the exact types.
    ///
    /// ```
    /// use cotangent::DType;
    /// assert_eq!(DType::F16.digits(), 11);
    /// ```
    pub fn digits(self) -> u32 {
        match self {
            DType::F64 => f64::MANTISSA_DIGITS,
            DType::F32 => f32::MANTISSA_DIGITS,
            DType::F16 => 11,
            DType::BF16 => 8,
            DType::I64 | DType::Bool => 0,
        }
    }

    /// The machine epsilon of a float type (the gap between 1 and the next value,
    /// `2^(1 - digits)`: 2^-52 for f64, 2^-23 for f32, 2^-10 for f16, 2^-7 for bf16); 0 for the
    /// exact types.
    ///
    /// ```
    /// use cotangent::DType;
    /// assert_eq!(DType::BF16.epsilon(), 0.0078125);
    /// assert_eq!(DType::F32.epsilon(), f32::EPSILON as f64);
    /// ```
    pub fn epsilon(self) -> f64 {
        match self.digits() {
            0 => 0.0,
            d => 2f64.powi(1 - d as i32),
        }
    }

    /// Size of one element in bytes.
    pub fn size_bytes(self) -> usize {
        match self {
            DType::F16 | DType::BF16 => 2,
            DType::F32 => 4,
            DType::F64 | DType::I64 => 8,
            DType::Bool => 1,
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A Rust scalar type that can live in a tensor.
pub trait Element:
    Copy + Default + Send + Sync + PartialEq + PartialOrd + fmt::Debug + super::pool::Pooled + 'static
{
    /// The dtype of tensors holding this type.
    const DTYPE: DType;
    /// Borrow the elements of a storage of this type.
    fn slice(s: &Storage) -> Option<&[Self]>;
    /// Mutably borrow the elements of a storage of this type.
    fn slice_mut(s: &mut Storage) -> Option<&mut [Self]>;
    /// Wrap a vector into storage.
    fn wrap(v: Buf<Self>) -> Storage;
    /// Convert from f64 (rounding, truncating or comparing with zero as the type needs).
    fn from_f64(x: f64) -> Self;
    /// Convert to f64.
    fn to_f64(self) -> f64;
}

macro_rules! element {
    ($t:ty, $dt:ident, $from:expr, $to:expr) => {
        impl Element for $t {
            const DTYPE: DType = DType::$dt;
            fn slice(s: &Storage) -> Option<&[Self]> {
                match s {
                    Storage::$dt(v) => Some(v),
                    _ => None,
                }
            }
            fn slice_mut(s: &mut Storage) -> Option<&mut [Self]> {
                match s {
                    Storage::$dt(v) => Some(v),
                    _ => None,
                }
            }
            fn wrap(v: Buf<Self>) -> Storage {
                Storage::$dt(v)
            }
            fn from_f64(x: f64) -> Self {
                let f: fn(f64) -> $t = $from;
                f(x)
            }
            fn to_f64(self) -> f64 {
                let f: fn($t) -> f64 = $to;
                f(self)
            }
        }
    };
}

element!(f32, F32, |x| x as f32, |x| x as f64);
element!(f64, F64, |x| x, |x| x);
element!(half::f16, F16, half::f16::from_f64, half::f16::to_f64);
element!(half::bf16, BF16, half::bf16::from_f64, half::bf16::to_f64);
element!(i64, I64, |x| x as i64, |x| x as f64);
element!(bool, Bool, |x| x != 0.0, |x| if x { 1.0 } else { 0.0 });

/// The floating-point element types (`f32`, `f64`): everything kernels of differentiable
/// primitives need.
pub trait Real: Element + num_traits::Float + num_traits::FloatConst + fmt::Display {
    /// The error function.
    fn erf(self) -> Self;
    /// The complementary error function `1 - erf(x)`, without cancellation in the tails.
    fn erfc(self) -> Self;
    /// Sign with `sign(0) = 0` and `sign(NaN) = NaN` (unlike `f64::signum`).
    fn sign(self) -> Self {
        if self > Self::zero() {
            Self::one()
        } else if self < Self::zero() {
            -Self::one()
        } else {
            self
        }
    }
    /// Round half to even, as NumPy and JAX do.
    fn round_even(self) -> Self;
}

impl Real for f32 {
    fn erf(self) -> Self {
        libm::erff(self)
    }
    fn erfc(self) -> Self {
        libm::erfcf(self)
    }
    fn round_even(self) -> Self {
        self.round_ties_even()
    }
}

impl Real for f64 {
    fn erf(self) -> Self {
        libm::erf(self)
    }
    fn erfc(self) -> Self {
        libm::erfc(self)
    }
    fn round_even(self) -> Self {
        self.round_ties_even()
    }
}
