//! # cotangent
//!
//! Automatic differentiation over n-dimensional tensors: reverse mode and forward mode, to any
//! order, in the three styles people know — PyTorch's `backward()`, TensorFlow's gradient tape,
//! and JAX's composable `grad` / `jvp` / `jacfwd` / `jacrev` / `hessian`.
//!
//! A [`Tensor`] is a node of a computational graph: a primitive applied to inputs, plus its
//! value. Every primitive's derivative rules are written with the library's own differentiable
//! ops, so a derivative is again an ordinary graph that can be differentiated again.
//!
//! ## Start here
//!
//! 1. Make tensors with [`Tensor::from_vec`], [`Tensor::scalar`], [`Tensor::zeros`],
//!    [`Tensor::randn`]; combine them with operators (`&a + &b`, `&a * 2.0`) and methods
//!    (`a.sin()`, `a.matmul(&b)`, `a.sum()`).
//! 2. Differentiate a function: [`grad`] for one tensor, [`grad_n`] for a slice of them, and
//!    [`tree::grad`] for any nested structure (tuples, `Vec`s, maps, your structs with
//!    `#[derive(Tree)]`), which returns gradients shaped like the input.
//! 3. Compose: `jit(grad(f))`, `vmap(grad(f))`, `jacfwd(grad(f))` — each transformation takes
//!    and returns plain functions.
//! 4. Neural networks (layers, losses, optimizers, safetensors) are in the `cotangent-nn` crate.
//!
//! The teaching example, `f(x1, x2) = log((x1 + x2)² + sin(x1·x2))` at (1.5, 0.5):
//!
//! ```
//! use cotangent::{grad_n, Tensor};
//! let f = |x: &[Tensor]| ((&x[0] + &x[1]).square() + (&x[0] * &x[1]).sin()).log();
//! let g = grad_n(f)(&[Tensor::scalar(1.5), Tensor::scalar(0.5)]);
//! assert!((g[0].item::<f64>() - 0.9325462).abs() < 1e-7);
//! assert!((g[1].item::<f64>() - 1.0888353).abs() < 1e-7);
//! ```
//!
//! ## Names, for PyTorch and JAX users
//!
//! | PyTorch | JAX | cotangent |
//! |---|---|---|
//! | `torch.tensor(data)` | `jnp.array(data)` | [`Tensor::from_vec`]`(data, &shape)` |
//! | `x.requires_grad_(); y.backward(); x.grad` | — | [`Tensor::requires_grad`], [`Tensor::backward`], [`Gradients::wrt`] |
//! | `torch.autograd.grad` | `jax.grad` | [`grad`], [`grad_n`], [`tree::grad`] |
//! | — | `jax.value_and_grad(f, has_aux=True)` | [`value_and_grad`], [`tree::value_and_grad_with_aux`] |
//! | — | `argnums=(0, 2)` | [`tree::grad_argnums`] |
//! | `torch.func.jvp` | `jax.jvp`, `jax.linearize` | [`jvp`], [`linearize`], [`tree::jvp`] |
//! | `torch.func.vjp` | `jax.vjp` | [`vjp`], [`tree::vjp`] |
//! | `torch.func.jacfwd/jacrev/hessian` | `jax.jacfwd/jacrev/hessian` | [`jacfwd`], [`jacrev`], [`hessian`], [`hvp`] |
//! | `torch.vmap` | `jax.vmap(in_axes=...)` | [`vmap`], [`vmap_n`], [`tree::vmap`] with [`tree::Axes`] |
//! | `torch.compile` | `jax.jit` | [`jit()`], [`jit_n`], [`tree::jit`] |
//! | `torch.utils.checkpoint` | `jax.checkpoint` | [`checkpoint()`], [`tree::checkpoint`] |
//! | `torch.autograd.Function` | `jax.custom_vjp` / `custom_jvp` | [`custom_vjp()`], [`custom_jvp()`] |
//! | — | `lax.custom_root`, `lax.custom_linear_solve` | [`custom_root`], [`custom_linear_solve`], [`custom_linear_solve_symmetric`] |
//! | — | `lax.cond/while_loop/fori_loop/scan` | [`cond`], [`while_loop`], [`fori_loop`], [`scan`] (and in [`tree`]) |
//! | `torch.no_grad()` | `lax.stop_gradient` | [`no_grad`], [`Tensor::detach`] |
//! | `torch.linalg.solve` … | `jnp.linalg.solve` … | [`linalg`] |
//! | `torch.Generator`, `torch.randn` | `jax.random.key/split/fold_in/normal` | [`random::Key`] ([`Key::split`](random::Key::split), [`Key::normal`](random::Key::normal), …) |
//! | — | `jax.flatten_util.ravel_pytree`, `tree_map` | [`tree::ravel`], [`tree::tree_map`], [`tree::flatten`] |
//!
//! ## Half precision
//!
//! [`DType::F16`] and [`DType::BF16`] tensors hold [`struct@f16`] and [`bf16`] elements (2 bytes each)
//! and compute in f32: every primitive widens them exactly, runs its f32 kernel and rounds the
//! result once, so sums, means and matmuls accumulate in f32 (as PyTorch and XLA do on CPU).
//! Gradients of half values are half values. Mixed-precision training (f32 master weights, a
//! loss scaler for f16) is in `cotangent-nn`.
//!
//! ```
//! use cotangent::{f16, DType, Tensor};
//! let x = Tensor::ones(&[4096], DType::F16);
//! // A sum accumulated in f16 would stop at 2048 (2049 is not an f16 number).
//! assert_eq!(x.sum().item::<f16>(), f16::from_f32(4096.0));
//! assert_eq!(Tensor::scalar(0.1).cast(DType::BF16).item_f64(), 0.10009765625);
//! ```
//!
//! ## Errors: `x` and `try_x`
//!
//! Every operation that can fail on bad input (a shape or dtype mismatch, an axis out of range)
//! comes in two forms: `try_x` returns a [`Result`] whose [`Error`] names the operation, the
//! shapes and dtypes involved, and the caller's line; `x` panics with that same message at the
//! caller's line. The methods of [`Tensor`] are grouped by topic below (creation, elementwise,
//! reductions, shape, indexing, products, linear algebra, losses); each group's `try_` forms sit
//! next to the panicking ones.

#![warn(missing_docs)]

// `#[derive(Tree)]` names `::cotangent::...`; this makes that path work inside the crate too.
extern crate self as cotangent;

pub mod backend;
pub mod control;
pub mod core;
#[cfg(feature = "ndarray")]
mod interop;
pub mod ir;
pub mod jit;
pub mod linalg;
pub mod ops;
pub mod prim;
pub mod random;
pub mod sparse;
pub mod testing;
pub mod transform;
pub mod tree;

mod extend;

pub use crate::core::{
    debug_nans, is_grad_enabled, no_grad, recorded_nodes, set_debug_nans, DType, Element, Error,
    ErrorKind, Layout, Real, Result, Shape, Storage, Tensor, Value,
};
pub use control::{
    bounded_while_loop, cond, custom_linear_solve, custom_linear_solve_symmetric, custom_root,
    fori_loop, fori_loop_with, scan, scan_with, try_bounded_while_loop, try_cond,
    try_custom_linear_solve, try_custom_linear_solve_symmetric, try_custom_root, try_fori_loop,
    try_fori_loop_with, try_scan, try_scan_with, try_while_loop, while_loop, LoopBound, Remat,
};
pub use extend::{apply_multi_primitive, apply_primitive};
/// The 16-bit float element types (from the `half` crate), for [`DType::F16`] and
/// [`DType::BF16`] tensors.
pub use half::{bf16, f16};
pub use jit::{jit, jit_n, Jit};
pub use ops::{
    einsum, meshgrid, tril_indices, triu_indices, try_einsum, try_meshgrid, where_, Conv2dOptions,
    ConvTranspose2dOptions, Indexing, MatrixNorm,
};
pub use transform::checkpoint::checkpoint;
pub use transform::custom::{custom_jvp, custom_vjp};
pub use transform::grad::{
    grad, grad_n, try_value_and_grad_n, try_vjp, value_and_grad, value_and_grad_n, vjp, Gradients,
    Pullback,
};
pub use transform::jacobian::{hessian, hvp, jacfwd, jacobian, jacrev, try_jacobian_in, Mode};
pub use transform::jvp::{jvp, linearize, try_jvp, try_linearize, Linearized};
pub use transform::stats::{
    pass_counts, reset_pass_counts, reset_vmap_fallbacks, vmap_fallbacks, PassCounts,
};
pub use transform::tape::GradientTape;
pub use transform::vmap::{try_vmap_call, vmap, vmap_n};

/// The README's examples, run as doctests.
#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
