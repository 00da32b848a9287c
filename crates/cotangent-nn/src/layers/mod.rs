//! Layers: each is a struct of parameter tensors with a `forward(&self, …)` and a
//! [`Module`](crate::Module) impl that names them. Activations are batch-first: `[..., features]`
//! for dense layers, `[batch, time, features]` for attention, `[batch, channels, height, width]`
//! for convolution and pooling.

mod activation;
mod attention;
mod conv;
mod dropout;
mod embedding;
mod layer_norm;
mod linear;
mod mlp;
mod norm;
mod sequential;
mod transformer;

pub use activation::Activation;
pub use attention::{MultiHeadAttention, causal_bias};
pub use conv::{Conv2d, ConvTranspose2d, MaxPool2d};
pub use dropout::Dropout;
pub use embedding::Embedding;
pub use layer_norm::LayerNorm;
pub use linear::Linear;
pub use mlp::Mlp;
pub use norm::{BatchNorm2d, BatchStats, GroupNorm};
pub use sequential::{Layer, Sequential};
pub use transformer::TransformerBlock;
