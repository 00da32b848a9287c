//! The core: shapes, dtypes, storage, the [`Tensor`] node, recording levels, `bind` and errors.

pub(crate) mod alloc;
pub(crate) mod bind;
pub mod debug;
pub mod dtype;
pub mod error;
pub mod layout;
pub(crate) mod level;
pub mod lowering;
pub(crate) mod multi;
pub(crate) mod opmath;
pub(crate) mod pool;
pub mod primitive;
pub mod shape;
pub mod storage;
pub(crate) mod tangent;
pub mod tensor;

pub use debug::{debug_nans, set_debug_nans};
pub use dtype::{DType, Element, Real};
pub use error::{Error, ErrorKind, Result};
pub use layout::Layout;
pub use level::{is_grad_enabled, no_grad};
pub use shape::Shape;
pub use storage::{Storage, Value};
pub use tensor::{recorded_nodes, Tensor};
