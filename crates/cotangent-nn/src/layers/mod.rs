//! Layers: each is a struct of parameter tensors with a `forward(&self, …)` and a
//! [`Module`](crate::Module) impl that names them. Activations are batch-first: `[..., features]`
//! for dense layers, `[batch, time, features]` for attention.

mod activation;
mod attention;
mod dropout;
mod embedding;
mod layer_norm;
mod linear;
mod mlp;
mod sequential;
mod transformer;

pub use activation::Activation;
pub use attention::{MultiHeadAttention, causal_bias};
pub use dropout::Dropout;
pub use embedding::Embedding;
pub use layer_norm::LayerNorm;
pub use linear::Linear;
pub use mlp::Mlp;
pub use sequential::{Layer, Sequential};
pub use transformer::TransformerBlock;
