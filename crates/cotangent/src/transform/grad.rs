//! Reverse mode, three ways in: PyTorch's `backward()` on tensors made with `requires_grad`,
//! JAX's functional `grad` / `value_and_grad` / `vjp`, and (in `tape`) TensorFlow's tape.

use crate::core::error::AtCaller;
use std::panic::Location;

use rustc_hash::FxHashMap;

use crate::core::level::{Level, GLOBAL};
use crate::core::tensor::NodeId;
use crate::core::{Error, Result, Tensor};
use crate::transform::backward::backward;
use crate::transform::{alias, exit};

/// Gradients from [`Tensor::backward`], looked up by the leaf tensor.
///
/// ```
/// use cotangent::Tensor;
/// let x = Tensor::scalar(2.0).requires_grad();
/// let y = Tensor::scalar(5.0).requires_grad();
/// let g = (&x * &y).backward();
/// assert_eq!(g.wrt(&x).item::<f64>(), 5.0);
/// assert_eq!(g.get(&y).unwrap().item::<f64>(), 2.0);
/// ```
#[derive(Default)]
pub struct Gradients {
    map: FxHashMap<NodeId, (Tensor, Tensor)>,
}

impl Gradients {
    /// The gradient for `leaf`, or `None` if the output does not depend on it.
    pub fn get(&self, leaf: &Tensor) -> Option<&Tensor> {
        self.map.get(&leaf.id()).map(|(_, g)| g)
    }

    /// The gradient for `leaf`, zeros if the output does not depend on it.
    pub fn wrt(&self, leaf: &Tensor) -> Tensor {
        self.get(leaf).cloned().unwrap_or_else(|| leaf.zeros_like())
    }

    /// How many leaves received a gradient.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether no leaf received a gradient.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

pub(crate) use crate::core::error::check_float_inputs;

fn check_scalar(op: &'static str, y: &Tensor) -> Result<()> {
    if y.numel() != 1 || !y.dtype().is_float() {
        return Err(Error::shape(
            op,
            format!(
                "the differentiated output must be a float scalar, got {}{} (pass a seed for other outputs)",
                y.dtype(),
                y.shape()
            ),
        ));
    }
    Ok(())
}

/// **PyTorch style**: `requires_grad`, `backward`.
impl Tensor {
    /// Reverse-mode gradients of this scalar with respect to every `requires_grad` leaf it
    /// depends on (PyTorch style). The gradients are not themselves recorded.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 2.0], &[2]).requires_grad();
    /// let g = (&x * &x).sum().backward();
    /// assert_eq!(g.wrt(&x).to_vec::<f64>(), vec![2.0, 4.0]);
    /// ```
    #[track_caller]
    pub fn backward(&self) -> Gradients {
        self.try_backward().unwrap_or_else(|e| panic!("{e}"))
    }

    /// Like [`Tensor::backward`], returning an error for a non-scalar output.
    #[track_caller]
    pub fn try_backward(&self) -> Result<Gradients> {
        check_scalar("backward", self).at_caller()?;
        self.try_backward_with(&self.ones_like(), false)
    }

    /// Like [`Tensor::backward`], but the gradients are recorded too, so they can be
    /// differentiated again (PyTorch's `create_graph=True`): a gradient-norm penalty, say.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let x = Tensor::scalar(3.0).requires_grad();
    /// let g = x.powf(3.0).backward_create_graph().wrt(&x); // 3x² = 27
    /// let h = g.backward().wrt(&x); // 6x = 18
    /// assert_eq!(h.item::<f64>(), 18.0);
    /// ```
    #[track_caller]
    pub fn backward_create_graph(&self) -> Gradients {
        check_scalar("backward", self)
            .and_then(|_| self.try_backward_with(&self.ones_like(), true))
            .unwrap_or_else(|e| panic!("{}", e.at(Location::caller())))
    }

    /// Reverse mode from a non-scalar output with an explicit output cotangent `seed` (a
    /// vector-Jacobian product).
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 2.0], &[2]).requires_grad();
    /// let g = (&x * 3.0).try_backward_with(&Tensor::from_vec(vec![1.0, 10.0], &[2]), false).unwrap();
    /// assert_eq!(g.wrt(&x).to_vec::<f64>(), vec![3.0, 30.0]);
    /// ```
    #[track_caller]
    pub fn try_backward_with(&self, seed: &Tensor, create_graph: bool) -> Result<Gradients> {
        if seed.shape() != self.shape() || seed.dtype() != self.dtype() {
            return Err(Error::shape(
                "backward",
                format!(
                    "the seed {}{} does not match the output {}{}",
                    seed.dtype(),
                    seed.shape(),
                    self.dtype(),
                    self.shape()
                ),
            )
            .at(Location::caller()));
        }
        if self.levels() & GLOBAL == 0 {
            // PyTorch raises here too; an empty result would read as zero gradients.
            return Err(Error::usage(
                "backward",
                "the output does not depend on any tensor that requires grad: call \
                 requires_grad() on an input before computing with it",
            )
            .at(Location::caller()));
        }
        let map = backward(
            std::slice::from_ref(self),
            std::slice::from_ref(seed),
            GLOBAL,
            &[],
            create_graph,
        )?;
        Ok(Gradients { map })
    }
}

/// Value and gradients of a scalar function of several tensors (the core of the functional
/// API).
///
/// ```
/// use cotangent::{try_value_and_grad_n, Tensor};
/// let f = |xs: &[Tensor]| (&xs[0] * &xs[1]).sum();
/// let (v, g) = try_value_and_grad_n(f, &[Tensor::scalar(2.0), Tensor::scalar(5.0)]).unwrap();
/// assert_eq!((v.item::<f64>(), g[0].item::<f64>(), g[1].item::<f64>()), (10.0, 5.0, 2.0));
/// ```
#[track_caller]
pub fn try_value_and_grad_n(
    f: impl FnOnce(&[Tensor]) -> Tensor,
    xs: &[Tensor],
) -> Result<(Tensor, Vec<Tensor>)> {
    value_and_grad_at(f, xs, Location::caller())
}

/// [`try_value_and_grad_n`] with errors of its own attributed to `loc` (the user's line that
/// made the `grad` closure, when called through one).
pub(crate) fn value_and_grad_at(
    f: impl FnOnce(&[Tensor]) -> Tensor,
    xs: &[Tensor],
    loc: &'static Location<'static>,
) -> Result<(Tensor, Vec<Tensor>)> {
    let (y, grads, _) = value_and_grad_aux_at(|xs| (f(xs), Vec::new()), xs, loc)?;
    Ok((y, grads))
}

/// [`value_and_grad_at`] for a function that also returns auxiliary tensors (JAX's
/// `has_aux`): they are handed back as values, not differentiated.
pub(crate) fn value_and_grad_aux_at(
    f: impl FnOnce(&[Tensor]) -> (Tensor, Vec<Tensor>),
    xs: &[Tensor],
    loc: &'static Location<'static>,
) -> Result<(Tensor, Vec<Tensor>, Vec<Tensor>)> {
    check_float_inputs("grad", xs).map_err(|e| e.at(loc))?;
    let level = Level::new().map_err(|e| e.at(loc))?;
    let inputs: Vec<Tensor> = xs.iter().map(|x| alias(x, level.bit)).collect();
    let (y, aux) = f(&inputs);
    check_scalar("grad", &y).map_err(|e| e.at(loc))?;
    let mut map = backward(
        std::slice::from_ref(&y),
        &[y.ones_like()],
        level.bit,
        &inputs,
        false,
    )?;
    let grads = inputs
        .iter()
        .map(|x| {
            map.remove(&x.id())
                .map(|(_, g)| g)
                .unwrap_or_else(|| x.zeros_like())
        })
        .map(|g| exit(g, level.bit))
        .collect();
    let aux = aux.into_iter().map(|a| exit(a, level.bit)).collect();
    Ok((exit(y, level.bit), grads, aux))
}

/// `x ↦ (f(x), ∇f(x))` for a scalar function of one tensor. Panics (at the caller) if `f`
/// does not return a float scalar.
///
/// ```
/// use cotangent::{value_and_grad, Tensor};
/// let (v, g) = value_and_grad(|x: &Tensor| x.sin().sum())(&Tensor::scalar(0.0));
/// assert_eq!((v.item::<f64>(), g.item::<f64>()), (0.0, 1.0));
/// ```
#[track_caller]
pub fn value_and_grad<F: Fn(&Tensor) -> Tensor>(f: F) -> impl Fn(&Tensor) -> (Tensor, Tensor) {
    let loc = Location::caller();
    move |x| {
        let (v, mut g) = value_and_grad_at(|xs| f(&xs[0]), std::slice::from_ref(x), loc)
            .unwrap_or_else(|e| panic!("{e}"));
        (v, g.pop().expect("one gradient"))
    }
}

/// `x ↦ ∇f(x)` for a scalar function of one tensor. Compose freely: `grad(grad(f))`.
///
/// ```
/// use cotangent::{grad, Tensor};
/// let d2 = grad(grad(|x: &Tensor| x.powf(3.0)));
/// assert_eq!(d2(&Tensor::scalar(2.0)).item::<f64>(), 12.0);
/// ```
#[track_caller]
pub fn grad<F: Fn(&Tensor) -> Tensor>(f: F) -> impl Fn(&Tensor) -> Tensor {
    let vg = value_and_grad(f);
    move |x| vg(x).1
}

/// `xs ↦ [∂f/∂x_i]` for a scalar function of several tensors.
///
/// ```
/// use cotangent::{grad_n, Tensor};
/// let g = grad_n(|xs: &[Tensor]| &xs[0] * &xs[1])(&[Tensor::scalar(2.0), Tensor::scalar(3.0)]);
/// assert_eq!((g[0].item::<f64>(), g[1].item::<f64>()), (3.0, 2.0));
/// ```
#[track_caller]
pub fn grad_n<F: Fn(&[Tensor]) -> Tensor>(f: F) -> impl Fn(&[Tensor]) -> Vec<Tensor> {
    let loc = Location::caller();
    move |xs| {
        value_and_grad_at(&f, xs, loc)
            .unwrap_or_else(|e| panic!("{e}"))
            .1
    }
}

/// `xs ↦ (f(xs), [∂f/∂x_i])`: the value and gradients of a scalar function of several
/// tensors. Panics (at the caller) if `f` does not return a float scalar; see
/// [`try_value_and_grad_n`] for a `Result`.
///
/// ```
/// use cotangent::{value_and_grad_n, Tensor};
/// let vg = value_and_grad_n(|xs: &[Tensor]| &xs[0] * &xs[1]);
/// let (v, g) = vg(&[Tensor::scalar(2.0), Tensor::scalar(3.0)]);
/// assert_eq!((v.item::<f64>(), g[0].item::<f64>(), g[1].item::<f64>()), (6.0, 3.0, 2.0));
/// ```
#[track_caller]
pub fn value_and_grad_n<F: Fn(&[Tensor]) -> Tensor>(
    f: F,
) -> impl Fn(&[Tensor]) -> (Tensor, Vec<Tensor>) {
    let loc = Location::caller();
    move |xs| value_and_grad_at(&f, xs, loc).unwrap_or_else(|e| panic!("{e}"))
}

/// The pullback of a function at a point, from [`vjp`]: maps an output cotangent to the input
/// cotangents, as often as needed, without re-running the function.
pub struct Pullback {
    level: Level,
    inputs: Vec<Tensor>,
    outputs: Vec<Tensor>,
}

impl Pullback {
    /// Input cotangents `uᵀJ` for the output cotangent `u` (same shape and dtype as the output).
    #[track_caller]
    pub fn try_call(&self, u: &Tensor) -> Result<Vec<Tensor>> {
        self.try_call_n(std::slice::from_ref(u)).at_caller()
    }

    /// Input cotangents for one cotangent per output, for a pullback of several outputs (from
    /// `tree::vjp`); each must have its output's shape and dtype.
    #[track_caller]
    pub fn try_call_n(&self, us: &[Tensor]) -> Result<Vec<Tensor>> {
        let loc = Location::caller();
        if us.len() != self.outputs.len() {
            return Err(Error::shape(
                "vjp",
                format!("{} cotangents for {} outputs", us.len(), self.outputs.len()),
            )
            .at(loc));
        }
        for (u, y) in us.iter().zip(&self.outputs) {
            if u.shape() != y.shape() || u.dtype() != y.dtype() {
                return Err(Error::shape(
                    "vjp",
                    format!(
                        "the cotangent {}{} does not match the output {}{}",
                        u.dtype(),
                        u.shape(),
                        y.dtype(),
                        y.shape()
                    ),
                )
                .at(loc));
            }
        }
        let bit = self.level.bit;
        let mut map = backward(&self.outputs, us, bit, &self.inputs, false)?;
        Ok(self
            .inputs
            .iter()
            .map(|x| {
                map.remove(&x.id())
                    .map(|(_, g)| g)
                    .unwrap_or_else(|| x.zeros_like())
            })
            .map(|g| exit(g, bit))
            .collect())
    }

    /// Like [`Pullback::try_call`], panicking on a mismatched cotangent.
    #[track_caller]
    pub fn call(&self, u: &Tensor) -> Vec<Tensor> {
        self.try_call(u).unwrap_or_else(|e| panic!("{e}"))
    }
}

/// Run `f` at `xs` and return its value and its pullback (JAX's `vjp`).
///
/// ```
/// use cotangent::{vjp, Tensor};
/// let (y, pb) = vjp(|xs: &[Tensor]| &xs[0] * 2.0, &[Tensor::from_vec(vec![1.0, 2.0], &[2])]);
/// let g = pb.call(&Tensor::from_vec(vec![1.0, 0.5], &[2]));
/// assert_eq!(y.to_vec::<f64>(), vec![2.0, 4.0]);
/// assert_eq!(g[0].to_vec::<f64>(), vec![2.0, 1.0]);
/// ```
#[track_caller]
pub fn vjp(f: impl FnOnce(&[Tensor]) -> Tensor, xs: &[Tensor]) -> (Tensor, Pullback) {
    try_vjp(f, xs).unwrap_or_else(|e| panic!("{e}"))
}

/// Like [`vjp`], returning an error when no recording level is free.
#[track_caller]
pub fn try_vjp(f: impl FnOnce(&[Tensor]) -> Tensor, xs: &[Tensor]) -> Result<(Tensor, Pullback)> {
    let (mut ys, pb) = vjp_n_at(|xs| vec![f(xs)], xs, Location::caller())?;
    Ok((ys.pop().expect("one output"), pb))
}

/// [`try_vjp`] for a function of several outputs, errors attributed to `loc`.
pub(crate) fn vjp_n_at(
    f: impl FnOnce(&[Tensor]) -> Vec<Tensor>,
    xs: &[Tensor],
    loc: &'static Location<'static>,
) -> Result<(Vec<Tensor>, Pullback)> {
    check_float_inputs("vjp", xs).map_err(|e| e.at(loc))?;
    let level = Level::new().map_err(|e| e.at(loc))?;
    let inputs: Vec<Tensor> = xs.iter().map(|x| alias(x, level.bit)).collect();
    let outputs = f(&inputs);
    let ys = outputs
        .iter()
        .map(|y| {
            if y.levels() & !level.bit != 0 {
                y.clone()
            } else {
                y.detach()
            }
        })
        .collect();
    Ok((
        ys,
        Pullback {
            level,
            inputs,
            outputs,
        },
    ))
}
