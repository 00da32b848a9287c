//! Full Jacobians and second derivatives. `jacrev` pulls every output basis vector back and
//! `jacfwd` pushes every input basis vector forward, each in one pass mapped with `vmap` over
//! the basis (so every rule runs once, on the whole batch); `jacobian` records the function once
//! and picks the direction with fewer basis vectors. The Jacobian's shape is the output shape followed by the
//! input shape, as in JAX. `hessian` is forward-over-reverse; `hvp` never forms the Hessian.

use std::panic::Location;

use crate::core::debug::debug_nans;
use crate::core::level::{Level, MaskGuard};
use crate::core::{Element, Result, Tensor, Value};
use crate::transform::backward::backward;
use crate::transform::forward::forward;
use crate::transform::vmap::try_vmap_call;
use crate::transform::{alias, exit};

/// Which mode a Jacobian was accumulated in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Forward mode (JVP), mapped over the input's basis vectors.
    Forward,
    /// Reverse mode (VJP), mapped over the output's basis vectors.
    Reverse,
}

impl Mode {
    /// The mode `jacobian` picks: forward when the input has fewer elements than the output.
    ///
    /// ```
    /// use cotangent::Mode;
    /// assert_eq!(Mode::choose(1, 1000), Mode::Forward);
    /// assert_eq!(Mode::choose(1000, 1), Mode::Reverse);
    /// ```
    pub fn choose(inputs: usize, outputs: usize) -> Mode {
        if inputs < outputs {
            Mode::Forward
        } else {
            Mode::Reverse
        }
    }
}

/// The `i`-th basis tensor of `like`'s shape and dtype.
fn basis(like: &Tensor, i: usize) -> Tensor {
    let n = like.numel();
    let v = crate::backend::cpu::dispatch::dispatch_all!(like.dtype(), T => {
        let mut data = vec![T::from_f64(0.0); n];
        data[i] = T::from_f64(1.0);
        Value::from_vec(data, like.shape().clone())
    });
    Tensor::from_value(v, Location::caller())
}

/// Every basis tensor of `like`'s shape and dtype, stacked along a new leading axis.
fn bases(like: &Tensor) -> Result<Tensor> {
    let n = like.numel();
    let mut dims = vec![n];
    dims.extend_from_slice(like.dims());
    Tensor::try_eye(n, like.dtype())?.try_reshape(&dims)
}

/// The Jacobian of `f` at `x` in the given mode, or in the mode [`Mode::choose`] picks.
///
/// `f` runs once. Reverse mode then pulls every output basis vector back in one pass, and
/// forward mode pushes every input basis vector forward in one pass: the pass is traced once
/// and mapped over the basis with `vmap`, so each rule runs once on the whole batch of basis
/// vectors. (With `set_debug_nans` on, the basis vectors go one per pass instead, so a
/// non-finite derivative is reported with the values it came from.)
#[track_caller]
pub fn try_jacobian_in(
    f: impl FnOnce(&Tensor) -> Tensor,
    x: &Tensor,
    mode: Option<Mode>,
) -> Result<(Tensor, Mode)> {
    jacobian_at(f, x, mode, Location::caller())
}

/// [`try_jacobian_in`] with errors of its own attributed to `location` (the user's line that
/// made the `jacfwd` / `jacrev` / `jacobian` / `hessian` closure).
pub(crate) fn jacobian_at(
    f: impl FnOnce(&Tensor) -> Tensor,
    x: &Tensor,
    mode: Option<Mode>,
    location: &'static Location<'static>,
) -> Result<(Tensor, Mode)> {
    crate::transform::grad::check_float_inputs("jacobian", std::slice::from_ref(x))
        .map_err(|e| e.at(location))?;
    let level = Level::new().map_err(|e| e.at(location))?;
    let bit = level.bit;
    let input = alias(x, bit);
    let y = f(&input);
    let (n_in, n_out) = (x.numel(), y.numel());
    let mode = mode.unwrap_or_else(|| Mode::choose(n_in, n_out));
    let basis_len = match mode {
        Mode::Forward => n_in,
        Mode::Reverse => n_out,
    };
    let mut out_dims = y.dims().to_vec();
    out_dims.extend_from_slice(x.dims());
    let jac = if n_in == 0 || n_out == 0 {
        Tensor::try_zeros(&out_dims, y.dtype())?
    } else if debug_nans() || basis_len == 1 {
        // One basis vector needs no mapping (and no trace).
        one_pass_per_basis_vector(&y, &input, x, bit, mode)?
    } else {
        all_basis_vectors_at_once(&y, &input, x, bit, mode).map_err(|e| e.at(location))?
    };
    Ok((exit(jac.try_reshape(&out_dims)?, bit), mode))
}

/// The Jacobian from one pass mapped over all basis vectors: `[n_out, x.dims…]` (reverse) or
/// `[y.dims…, n_in]` (forward).
fn all_basis_vectors_at_once(
    y: &Tensor,
    input: &Tensor,
    x: &Tensor,
    bit: u64,
    mode: Mode,
) -> Result<Tensor> {
    // The replayed rules are recorded only for enclosing levels, as in a walk.
    let _off = MaskGuard::without(bit);
    let mut failed = None;
    let mut keep = |r: Result<Tensor>, zero: &Tensor| {
        r.unwrap_or_else(|e| {
            failed.get_or_insert(e);
            zero.clone()
        })
    };
    let out = match mode {
        Mode::Reverse => try_vmap_call(
            |e| {
                let ct = backward(
                    std::slice::from_ref(y),
                    &e[..1],
                    bit,
                    std::slice::from_ref(input),
                    false,
                )
                .map(|mut m| {
                    m.remove(&input.id())
                        .map(|(_, g)| g)
                        .unwrap_or_else(|| input.zeros_like())
                });
                vec![keep(ct, input)]
            },
            &[bases(y)?],
            &[Some(0)],
            &[0],
        ),
        Mode::Forward => try_vmap_call(
            |t| {
                let tangent = forward(
                    std::slice::from_ref(y),
                    std::slice::from_ref(input),
                    &t[..1],
                    bit,
                )
                .map(|mut ts| ts.pop().flatten().unwrap_or_else(|| y.zeros_like()));
                vec![keep(tangent, y)]
            },
            &[bases(x)?],
            &[Some(0)],
            &[y.rank()],
        ),
    };
    if let Some(e) = failed {
        return Err(e);
    }
    Ok(out?.remove(0))
}

/// The Jacobian from one pass per basis vector: `[n_out, n_in]`.
fn one_pass_per_basis_vector(
    y: &Tensor,
    input: &Tensor,
    x: &Tensor,
    bit: u64,
    mode: Mode,
) -> Result<Tensor> {
    let (n_in, n_out) = (x.numel(), y.numel());
    Ok(match mode {
        Mode::Reverse => {
            let rows = (0..n_out)
                .map(|i| {
                    let mut m = backward(
                        std::slice::from_ref(y),
                        &[basis(y, i)],
                        bit,
                        std::slice::from_ref(input),
                        false,
                    )?;
                    Ok(m.remove(&input.id())
                        .map(|(_, g)| g)
                        .unwrap_or_else(|| input.zeros_like())
                        .flatten())
                })
                .collect::<Result<Vec<_>>>()?;
            Tensor::try_stack(&rows, 0)?
        }
        Mode::Forward => {
            let cols = (0..n_in)
                .map(|j| {
                    let t = forward(
                        std::slice::from_ref(y),
                        std::slice::from_ref(input),
                        &[basis(x, j)],
                        bit,
                    )?
                    .pop()
                    .flatten();
                    Ok(t.unwrap_or_else(|| y.zeros_like()).flatten())
                })
                .collect::<Result<Vec<_>>>()?;
            Tensor::try_stack(&cols, 0)?.t()
        }
    })
}

/// `x ↦ ∂f/∂x` by reverse mode (one pass, mapped over the output's basis vectors).
///
/// ```
/// use cotangent::{jacrev, Tensor};
/// let j = jacrev(|x: &Tensor| x * 2.0)(&Tensor::from_vec(vec![1.0, 2.0], &[2]));
/// assert_eq!(j.to_vec::<f64>(), vec![2.0, 0.0, 0.0, 2.0]);
/// ```
#[track_caller]
pub fn jacrev<F: Fn(&Tensor) -> Tensor>(f: F) -> impl Fn(&Tensor) -> Tensor {
    let loc = Location::caller();
    move |x| {
        jacobian_at(&f, x, Some(Mode::Reverse), loc)
            .unwrap_or_else(|e| panic!("{e}"))
            .0
    }
}

/// `x ↦ ∂f/∂x` by forward mode (one pass, mapped over the input's basis vectors).
///
/// ```
/// use cotangent::{jacfwd, Tensor};
/// let j = jacfwd(|x: &Tensor| x.sum())(&Tensor::from_vec(vec![1.0, 2.0], &[2]));
/// assert_eq!(j.to_vec::<f64>(), vec![1.0, 1.0]);
/// ```
#[track_caller]
pub fn jacfwd<F: Fn(&Tensor) -> Tensor>(f: F) -> impl Fn(&Tensor) -> Tensor {
    let loc = Location::caller();
    move |x| {
        jacobian_at(&f, x, Some(Mode::Forward), loc)
            .unwrap_or_else(|e| panic!("{e}"))
            .0
    }
}

/// `x ↦ ∂f/∂x` in whichever mode maps over fewer basis vectors (see [`Mode::choose`]); use
/// [`try_jacobian_in`] to learn which one ran.
///
/// ```
/// use cotangent::{jacobian, Tensor};
/// let j = jacobian(|x: &Tensor| x.square())(&Tensor::from_vec(vec![1.0, 3.0], &[2]));
/// assert_eq!(j.to_vec::<f64>(), vec![2.0, 0.0, 0.0, 6.0]);
/// ```
#[track_caller]
pub fn jacobian<F: Fn(&Tensor) -> Tensor>(f: F) -> impl Fn(&Tensor) -> Tensor {
    let loc = Location::caller();
    move |x| {
        jacobian_at(&f, x, None, loc)
            .unwrap_or_else(|e| panic!("{e}"))
            .0
    }
}

/// `x ↦ ∂²f/∂x²` of a scalar function, forward-over-reverse (`jacfwd(grad(f))`); shape
/// `x.shape ++ x.shape`.
///
/// ```
/// use cotangent::{hessian, Tensor};
/// let h = hessian(|x: &Tensor| x.powf(3.0).sum())(&Tensor::from_vec(vec![1.0, 2.0], &[2]));
/// assert_eq!(h.to_vec::<f64>(), vec![6.0, 0.0, 0.0, 12.0]);
/// ```
#[track_caller]
pub fn hessian<F: Fn(&Tensor) -> Tensor>(f: F) -> impl Fn(&Tensor) -> Tensor {
    jacfwd(crate::grad(f))
}

/// The Hessian-vector product `∇²f(x)·v` by forward-over-reverse, without forming the Hessian.
///
/// ```
/// use cotangent::{hvp, Tensor};
/// let x = Tensor::from_vec(vec![1.0, 2.0], &[2]);
/// let v = Tensor::from_vec(vec![1.0, 1.0], &[2]);
/// let hv = hvp(|x: &Tensor| x.powf(3.0).sum(), &x, &v);
/// assert_eq!(hv.to_vec::<f64>(), vec![6.0, 12.0]);
/// ```
#[track_caller]
pub fn hvp<F: Fn(&Tensor) -> Tensor>(f: F, x: &Tensor, v: &Tensor) -> Tensor {
    let g = crate::grad(f);
    crate::jvp(
        |xs: &[Tensor]| g(&xs[0]),
        std::slice::from_ref(x),
        std::slice::from_ref(v),
    )
    .1
}
