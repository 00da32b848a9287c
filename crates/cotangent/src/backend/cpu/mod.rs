//! The CPU backend: strided map/zip/select, reductions, matmul through `gemm`, and data-movement
//! kernels (pad, concat, gather/scatter). Contiguous inputs take fast paths the compiler can
//! vectorize; buffers with no other owner are overwritten in place; rayon is used only above a
//! size threshold.

pub mod block;
pub mod dispatch;
pub mod index;
pub mod linalg;
#[cfg(feature = "faer")]
mod linalg_faer;
// Compiled in every build, so that its substitutions are tested against faer's.
#[cfg_attr(feature = "faer", allow(dead_code))]
mod linalg_faer_off;
pub mod map;
pub mod matmul;
pub mod movement;
pub mod par;
pub mod reduce;
pub mod zip;
