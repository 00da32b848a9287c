//! Constructors: from data, constants, ranges, identity, and seeded random tensors.

use crate::core::alloc;
use std::panic::Location;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal, Uniform};

use crate::backend::cpu::dispatch::dispatch_all;
use crate::core::{DType, Element, Error, Result, Shape, Tensor, Value};

/// **Creating tensors**: from data, constants, ranges, random draws.
impl Tensor {
    /// A tensor holding `data` in row-major order with the given shape.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let t = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    /// assert_eq!(t.dims(), &[2, 3]);
    /// ```
    #[track_caller]
    pub fn from_vec<T: Element>(data: Vec<T>, shape: &[usize]) -> Tensor {
        Self::try_from_vec(data, shape).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Like [`Tensor::from_vec`], with an error when the length does not match the shape.
    #[track_caller]
    pub fn try_from_vec<T: Element>(data: Vec<T>, shape: &[usize]) -> Result<Tensor> {
        let loc = Location::caller();
        let shape = Shape::try_new(shape).map_err(|e| e.at(loc))?;
        if data.len() != shape.numel() {
            return Err(Error::shape(
                "from_vec",
                format!(
                    "{} elements cannot fill shape {} ({} elements)",
                    data.len(),
                    shape,
                    shape.numel()
                ),
            )
            .at(loc));
        }
        Ok(Tensor::from_value(Value::from_vec(data, shape), loc))
    }

    /// A rank-0 tensor.
    ///
    /// ```
    /// let x = cotangent::Tensor::scalar(1.5);
    /// assert_eq!(x.rank(), 0);
    /// ```
    #[track_caller]
    pub fn scalar<T: Element>(x: T) -> Tensor {
        Tensor::from_value(
            Value::from_vec(vec![x], Shape::scalar()),
            Location::caller(),
        )
    }

    /// A rank-0 tensor of this tensor's dtype holding `x` (untracked).
    #[track_caller]
    pub(crate) fn scalar_like(&self, x: f64) -> Tensor {
        Tensor::full(&[], x, self.dtype())
    }

    /// A Rust number as the other operand of `self`: in `self`'s dtype when it is a float, or
    /// an integer `x` for an integer tensor; otherwise an f64 scalar (so `i64 * 2.5` is f64,
    /// by the weak-typing rule of the binary ops).
    pub(crate) fn weak_scalar(&self, x: f64) -> Tensor {
        let exact = match self.dtype() {
            DType::F32 | DType::F64 | DType::F16 | DType::BF16 => true,
            DType::I64 => x.fract() == 0.0 && x.abs() < 9.2e18,
            DType::Bool => false,
        };
        if exact {
            self.scalar_like(x)
        } else {
            Tensor::scalar(x)
        }
    }

    /// A tensor of the given shape filled with `value` (converted to `dtype`).
    ///
    /// ```
    /// use cotangent::{DType, Tensor};
    /// assert_eq!(Tensor::full(&[2], 7.0, DType::I64).to_vec::<i64>(), vec![7, 7]);
    /// ```
    #[track_caller]
    pub fn full(shape: &[usize], value: f64, dtype: DType) -> Tensor {
        Self::try_full(shape, value, dtype).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Like [`Tensor::full`], with an error when the element count overflows.
    #[track_caller]
    pub fn try_full(shape: &[usize], value: f64, dtype: DType) -> Result<Tensor> {
        let loc = Location::caller();
        let shape = Shape::try_new(shape).map_err(|e| e.at(loc))?;
        let n = shape.numel();
        alloc::ensure("full", alloc::bytes_of(n, dtype.size_bytes())).map_err(|e| e.at(loc))?;
        let v = dispatch_all!(dtype, T => Value::from_buf(crate::core::storage::Buf::from_elem(T::from_f64(value), n), shape));
        Ok(Tensor::from_value(v, loc))
    }

    /// Zeros.
    ///
    /// ```
    /// use cotangent::{DType, Tensor};
    /// assert_eq!(Tensor::zeros(&[3], DType::F64).to_vec::<f64>(), vec![0.0; 3]);
    /// ```
    #[track_caller]
    pub fn zeros(shape: &[usize], dtype: DType) -> Tensor {
        Self::full(shape, 0.0, dtype)
    }

    /// Zeros, or an error when the element count overflows.
    #[track_caller]
    pub fn try_zeros(shape: &[usize], dtype: DType) -> Result<Tensor> {
        Self::try_full(shape, 0.0, dtype)
    }

    /// Ones, or an error when the element count overflows.
    #[track_caller]
    pub fn try_ones(shape: &[usize], dtype: DType) -> Result<Tensor> {
        Self::try_full(shape, 1.0, dtype)
    }

    /// Ones.
    ///
    /// ```
    /// use cotangent::{DType, Tensor};
    /// assert_eq!(Tensor::ones(&[2], DType::F32).to_vec::<f32>(), vec![1.0; 2]);
    /// ```
    #[track_caller]
    pub fn ones(shape: &[usize], dtype: DType) -> Tensor {
        Self::full(shape, 1.0, dtype)
    }

    /// Zeros of this tensor's shape and dtype (untracked).
    #[track_caller]
    pub fn zeros_like(&self) -> Tensor {
        Tensor::full(self.shape(), 0.0, self.dtype())
    }

    /// Ones of this tensor's shape and dtype (untracked).
    #[track_caller]
    pub fn ones_like(&self) -> Tensor {
        Tensor::full(self.shape(), 1.0, self.dtype())
    }

    /// `start, start + step, …` up to but excluding `end`.
    ///
    /// ```
    /// use cotangent::{DType, Tensor};
    /// assert_eq!(Tensor::arange(0.0, 3.0, 1.0, DType::I64).to_vec::<i64>(), vec![0, 1, 2]);
    /// ```
    #[track_caller]
    pub fn arange(start: f64, end: f64, step: f64, dtype: DType) -> Tensor {
        Self::try_arange(start, end, step, dtype).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Like [`Tensor::arange`], with an error for a zero or non-finite step.
    #[track_caller]
    pub fn try_arange(start: f64, end: f64, step: f64, dtype: DType) -> Result<Tensor> {
        let loc = Location::caller();
        if step == 0.0 || !step.is_finite() || !start.is_finite() || !end.is_finite() {
            return Err(Error::usage(
                "arange",
                format!("invalid range {start}..{end} step {step}"),
            )
            .at(loc));
        }
        let n = ((end - start) / step).ceil().max(0.0) as usize;
        let shape = Shape::try_new(&[n]).map_err(|e| e.at(loc))?;
        alloc::ensure("arange", alloc::bytes_of(n, dtype.size_bytes())).map_err(|e| e.at(loc))?;
        let v = dispatch_all!(dtype, T => Value::from_vec(
            (0..n).map(|i| T::from_f64(start + i as f64 * step)).collect(),
            shape,
        ));
        Ok(Tensor::from_value(v, loc))
    }

    /// `n` evenly spaced values from `start` to `end` inclusive.
    ///
    /// ```
    /// use cotangent::{DType, Tensor};
    /// assert_eq!(Tensor::linspace(0.0, 1.0, 3, DType::F64).to_vec::<f64>(), vec![0.0, 0.5, 1.0]);
    /// ```
    #[track_caller]
    pub fn linspace(start: f64, end: f64, n: usize, dtype: DType) -> Tensor {
        Self::try_linspace(start, end, n, dtype).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Like [`Tensor::linspace`], with an error when `n` elements cannot be allocated.
    #[track_caller]
    pub fn try_linspace(start: f64, end: f64, n: usize, dtype: DType) -> Result<Tensor> {
        let loc = Location::caller();
        let shape = Shape::try_new(&[n]).map_err(|e| e.at(loc))?;
        alloc::ensure("linspace", alloc::bytes_of(n, dtype.size_bytes())).map_err(|e| e.at(loc))?;
        let step = if n > 1 {
            (end - start) / (n - 1) as f64
        } else {
            0.0
        };
        let at = |i: usize| {
            if i + 1 == n && n > 1 {
                end
            } else {
                start + i as f64 * step
            }
        };
        let v = dispatch_all!(dtype, T => Value::from_vec((0..n).map(|i| T::from_f64(at(i))).collect(), shape));
        Ok(Tensor::from_value(v, loc))
    }

    /// The `n × n` identity matrix.
    ///
    /// ```
    /// use cotangent::{DType, Tensor};
    /// assert_eq!(Tensor::eye(2, DType::F64).to_vec::<f64>(), vec![1.0, 0.0, 0.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn eye(n: usize, dtype: DType) -> Tensor {
        Self::try_eye(n, dtype).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Like [`Tensor::eye`], with an error when `n × n` overflows.
    #[track_caller]
    pub fn try_eye(n: usize, dtype: DType) -> Result<Tensor> {
        let loc = Location::caller();
        let shape = Shape::try_new(&[n, n]).map_err(|e| e.at(loc))?;
        alloc::ensure("eye", alloc::bytes_of(n * n, dtype.size_bytes())).map_err(|e| e.at(loc))?;
        let v = dispatch_all!(dtype, T => Value::from_vec(
            (0..n * n).map(|i| T::from_f64(if i / n == i % n { 1.0 } else { 0.0 })).collect(),
            shape,
        ));
        Ok(Tensor::from_value(v, loc))
    }

    /// Uniform samples in `[0, 1)` from a seeded generator (ChaCha8: the same seed gives the
    /// same numbers on every platform). One seed is one stream, so two shapes from one seed
    /// share their leading values; for independent draws, and for randomness inside `jit` or
    /// `vmap`, use the splittable keys of [`crate::random::Key`].
    ///
    /// ```
    /// use cotangent::{DType, Tensor};
    /// let a = Tensor::rand(&[3], 7, DType::F64);
    /// assert_eq!(a.to_vec::<f64>(), Tensor::rand(&[3], 7, DType::F64).to_vec::<f64>());
    /// ```
    #[track_caller]
    pub fn rand(shape: &[usize], seed: u64, dtype: DType) -> Tensor {
        Self::try_rand(shape, seed, dtype).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Like [`Tensor::rand`], with an error when the element count overflows.
    #[track_caller]
    pub fn try_rand(shape: &[usize], seed: u64, dtype: DType) -> Result<Tensor> {
        let dist = Uniform::new(0.0f64, 1.0).expect("valid range");
        // An f64 draw just below 1 would round up to 1.0 in a narrower type: the largest value
        // below 1 there (1 - 2^-digits) caps it.
        let digits = if dtype.is_float() { dtype.digits() } else { 53 };
        let below_one = 1.0 - (-(digits as f64)).exp2();
        Self::sample(shape, seed, dtype, move |rng| {
            dist.sample(rng).min(below_one)
        })
    }

    /// Standard normal samples from a seeded generator.
    ///
    /// ```
    /// use cotangent::{DType, Tensor};
    /// let z = Tensor::randn(&[1000], 0, DType::F64);
    /// assert!(z.mean().item::<f64>().abs() < 0.1);
    /// ```
    #[track_caller]
    pub fn randn(shape: &[usize], seed: u64, dtype: DType) -> Tensor {
        Self::try_randn(shape, seed, dtype).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Like [`Tensor::randn`], with an error when the element count overflows.
    #[track_caller]
    pub fn try_randn(shape: &[usize], seed: u64, dtype: DType) -> Result<Tensor> {
        Self::sample(shape, seed, dtype, |rng| StandardNormal.sample(rng))
    }

    #[track_caller]
    fn sample(
        shape: &[usize],
        seed: u64,
        dtype: DType,
        mut draw: impl FnMut(&mut ChaCha8Rng) -> f64,
    ) -> Result<Tensor> {
        let loc = Location::caller();
        let shape = Shape::try_new(shape).map_err(|e| e.at(loc))?;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let n = shape.numel();
        alloc::ensure("random", alloc::bytes_of(n, dtype.size_bytes())).map_err(|e| e.at(loc))?;
        let v = dispatch_all!(dtype, T => Value::from_vec(
            (0..n).map(|_| T::from_f64(draw(&mut rng))).collect(), shape
        ));
        Ok(Tensor::from_value(v, loc))
    }

    /// Convert to another dtype (see [`crate::prim::cast::Cast`]).
    ///
    /// ```
    /// use cotangent::{DType, Tensor};
    /// assert_eq!(Tensor::scalar(2.7).cast(DType::I64).item::<i64>(), 2);
    /// ```
    #[track_caller]
    pub fn try_cast(&self, dtype: DType) -> Result<Tensor> {
        if self.dtype() == dtype {
            return Ok(self.clone());
        }
        crate::core::bind::bind(
            crate::prim::cast::Cast { dtype },
            smallvec::smallvec![self.clone()],
        )
    }
    panicking!(
        /// Convert to another dtype; see [`Tensor::try_cast`].
        cast(dtype: DType) => try_cast
    );
}
