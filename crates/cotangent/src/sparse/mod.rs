//! Sparse Jacobians: what no mainstream framework builds in. [`jacobian_sparsity`] finds the
//! exact nonzero pattern of a traced function's Jacobian from what each primitive tells the
//! compiler about itself ([`pattern`]); [`color_columns`] groups columns that share no row
//! ([`color`]); [`sparse_jacobian`] then computes the whole Jacobian with one batched
//! forward-mode pass per color (or reverse-mode per row color, whichever needs fewer) and
//! decompresses it into compressed rows ([`jacobian`]). A [`SparseJacobian`] plan keeps the
//! pattern and coloring for reuse at many points; [`jacobian_sparsity_local`] gives the pattern at
//! one point, without the branches not taken there. [`hessian_sparsity`] and [`sparse_hessian`]
//! do the same for the Hessian, as the Jacobian of the gradient ([`hessian`]). With the `sprs`
//! feature, results convert to `sprs` matrices (`Csr::to_sprs`, `Pattern::to_sprs`).

pub mod color;
pub mod hessian;
pub mod jacobian;
pub mod pattern;
#[cfg(feature = "sprs")]
mod to_sprs;

pub use color::{color_columns, color_star, is_star, Coloring};
pub use hessian::{hessian_sparsity, sparse_hessian, SparseHessian};
pub use jacobian::{
    jacobian_sparsity, jacobian_sparsity_local, sparse_jacobian, Csr, SparseJacobian,
};
pub use pattern::Pattern;
