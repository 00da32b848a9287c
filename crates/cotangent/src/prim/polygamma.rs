//! `polygamma`: `ψ⁽ⁿ⁾(x)`, the `n`-th derivative of the digamma function `ψ = Γ'/Γ` (`n = 0` is
//! digamma, `n = 1` trigamma). Elementwise, with the order as a parameter, so every derivative
//! is again this primitive one order up: `d/dx ψ⁽ⁿ⁾ = ψ⁽ⁿ⁺¹⁾`, to any order. (Its lowering is
//! opaque: a parameterized kernel has no static block function to fuse.)

use smallvec::smallvec;

use crate::backend::cpu::dispatch::dispatch_float;
use crate::core::bind::bind;
use crate::core::{Element, Result, Tensor, Value};
use crate::prim::batching::{bind1, Batched};
use crate::prim::elementwise::unary_float_aval;
use crate::prim::{Aval, AvalRef, Primitive};

/// The polygamma function of order `n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Polygamma {
    /// The order: 0 is digamma, 1 trigamma.
    pub n: u32,
}

fn kernel<T: Element>(v: &Value, n: u32) -> Value {
    let out: Vec<T> = v
        .elements::<T>()
        .iter()
        .map(|&x| T::from_f64(crate::prim::special::polygamma(n, x.to_f64())))
        .collect();
    Value::from_vec(out, v.shape().clone())
}

impl Primitive for Polygamma {
    crate::prim::typed_params!();
    fn name(&self) -> &'static str {
        "polygamma"
    }
    fn params(&self) -> String {
        format!("n={}", self.n)
    }
    fn abstract_eval(&self, inputs: &[AvalRef<'_>]) -> Result<Aval> {
        unary_float_aval("polygamma", inputs)
    }
    fn eval(&self, inputs: &[&Value]) -> Result<Value> {
        let v = inputs[0];
        Ok(dispatch_float!("polygamma", v.dtype(), T => kernel::<T>(v, self.n)))
    }
    fn jvp(&self, p: &[Tensor], t: &[Option<Tensor>], _: &Tensor) -> Result<Option<Tensor>> {
        t[0].as_ref().map(|t| Ok(t * &p[0].try_polygamma(self.n + 1)?)).transpose()
    }
    fn vjp(&self, p: &[Tensor], _: &Tensor, g: &Tensor) -> Result<Vec<Option<Tensor>>> {
        Ok(vec![Some(g * &p[0].try_polygamma(self.n + 1)?)])
    }
    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], _: usize) -> Batched {
        Ok(Some((bind1(*self, &args[0])?, dims[0])))
    }
}

/// **Special functions**: digamma, trigamma, polygamma (a primitive; its rules live in `prim/`).
impl Tensor {
    /// `ψ⁽ⁿ⁾(x)` elementwise, the `n`-th derivative of [`Tensor::digamma`] (NaN at the poles
    /// 0, -1, -2, …, and below -1e6 for `n ≥ 1`). Differentiable to any order.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let x = Tensor::from_vec(vec![1.0], &[1]);
    /// let zeta3 = 1.2020569031595942;
    /// assert!((x.polygamma(2).item::<f64>() + 2.0 * zeta3).abs() < 1e-14);
    /// ```
    #[track_caller]
    pub fn try_polygamma(&self, n: u32) -> Result<Tensor> {
        bind(Polygamma { n }, smallvec![self.clone()])
    }
    /// The polygamma function; see [`Tensor::try_polygamma`].
    #[track_caller]
    pub fn polygamma(&self, n: u32) -> Tensor {
        match self.try_polygamma(n) {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        }
    }

    /// The digamma function `ψ(x) = Γ'(x)/Γ(x)` elementwise, the derivative of
    /// [`Tensor::lgamma`]; NaN at the poles 0, -1, -2, …. Its derivative is
    /// [`Tensor::trigamma`].
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 0.5], &[2]);
    /// let euler = 0.5772156649015329;
    /// let y = x.digamma().to_vec::<f64>();
    /// assert!((y[0] + euler).abs() < 1e-15);
    /// assert!((y[1] + euler + 2.0 * 2f64.ln()).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn try_digamma(&self) -> Result<Tensor> {
        self.try_polygamma(0)
    }
    /// The digamma function; see [`Tensor::try_digamma`].
    #[track_caller]
    pub fn digamma(&self) -> Tensor {
        match self.try_digamma() {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        }
    }

    /// The trigamma function `ψ'(x)` elementwise (`polygamma(1)`).
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let x = Tensor::from_vec(vec![1.0], &[1]);
    /// let pi2_6 = std::f64::consts::PI.powi(2) / 6.0;
    /// assert!((x.trigamma().item::<f64>() - pi2_6).abs() < 1e-14);
    /// ```
    #[track_caller]
    pub fn try_trigamma(&self) -> Result<Tensor> {
        self.try_polygamma(1)
    }
    /// The trigamma function; see [`Tensor::try_trigamma`].
    #[track_caller]
    pub fn trigamma(&self) -> Tensor {
        match self.try_trigamma() {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        }
    }
}

/// The primitives this module registers (with example parameters).
pub(crate) fn instances() -> Vec<std::sync::Arc<dyn Primitive>> {
    vec![std::sync::Arc::new(Polygamma { n: 0 })]
}
