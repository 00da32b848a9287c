//! # cotangent-nn
//!
//! Neural-network building blocks on top of [`cotangent`]: layers that keep their parameters as
//! immutable [`Tensor`](cotangent::Tensor) fields, a [`Module`] trait that names and replaces
//! them, losses, optimizers, learning-rate schedules, gradient clipping, and safetensors
//! checkpoints.
//!
//! Training is functional: take the parameter list, differentiate a loss of a model rebuilt from
//! that list with [`cotangent::try_value_and_grad_n`], and let an optimizer turn parameters and
//! gradients into new parameters. The same optimizers also exist as pure functions whose state
//! is a tree ([`optax`]), so that a whole training step can be compiled with
//! [`cotangent::tree::jit`].
//!
//! ```
//! use cotangent::{try_value_and_grad_n, DType, Tensor};
//! use cotangent_nn::{loss, Adam, Init, Linear, Module, Optimizer};
//!
//! let mut init = Init::new(0, DType::F32);
//! let model = Linear::new(3, 2, &mut init);
//! let x = Tensor::randn(&[8, 3], 1, DType::F32);
//! let y = Tensor::from_vec(vec![0i64, 1, 0, 1, 1, 0, 0, 1], &[8]);
//! let mut params = model.param_tensors();
//! let mut opt = Adam::new(0.1);
//! let mut first = None;
//! for _ in 0..20 {
//!     let (l, grads) = try_value_and_grad_n(
//!         |ps| loss::cross_entropy(&model.with_params(ps).forward(&x), &y),
//!         &params,
//!     )
//!     .unwrap();
//!     first.get_or_insert(l.item::<f32>());
//!     opt.step(&mut params, &grads);
//! }
//! let trained = model.with_params(&params);
//! let last = loss::cross_entropy(&trained.forward(&x), &y).item::<f32>();
//! assert!(last < first.unwrap());
//! ```

#![warn(missing_docs)]
#![forbid(unsafe_code)]

// `#[derive(Module)]` names `::cotangent_nn::Module`; this makes that path work in this crate.
extern crate self as cotangent_nn;

pub mod checkpoint;
pub mod data;
#[cfg(feature = "demos")]
pub mod demos;
pub mod error;
pub mod init;
pub mod layers;
pub mod loss;
pub mod mixed;
pub mod module;
pub mod optax;
pub mod optim;

pub use checkpoint::{load, load_tensors, save, save_tensors};
pub use error::NnError;
pub use init::Init;
pub use layers::{
    Activation, BatchNorm2d, BatchStats, Conv2d, ConvTranspose2d, Dropout, Embedding, GroupNorm,
    Layer, LayerNorm, Linear, MaxPool2d, Mlp, MultiHeadAttention, Sequential, TransformerBlock,
};
pub use module::Module;

/// The README's examples, run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
pub use optim::{
    Adam, AdamW, ConstantLr, LrSchedule, Optimizer, Sgd, StepLr, WarmupCosine, clip_grad_norm,
    global_norm,
};
