//! The library's error type. Every error names the operation, the shapes or dtypes involved and,
//! when it comes from a user call, the caller's source location.

use std::fmt;
use std::panic::Location;

/// What went wrong.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Shapes that do not fit the operation.
    Shape,
    /// A dtype the operation does not accept, or two dtypes that differ.
    DType,
    /// An axis outside the tensor's rank.
    Axis,
    /// An index outside the indexed dimension.
    Index,
    /// A primitive with no rule for the requested transformation.
    NotDifferentiable,
    /// A non-finite value found while non-finite checking is on.
    NonFinite,
    /// Misuse of the API (too many nested transformations, a closure over a tracked tensor, …).
    Usage,
    /// The allocator refused the memory an operation needs (the message gives the byte count).
    OutOfMemory,
    /// A value was read from a traced (abstract) tensor, which has a shape and dtype but no
    /// elements yet.
    Tracing,
}

/// An error from a tensor operation.
///
/// ```
/// use cotangent::Tensor;
/// let a = Tensor::zeros(&[2, 3], cotangent::DType::F64);
/// let b = Tensor::zeros(&[4, 5], cotangent::DType::F64);
/// let err = a.try_matmul(&b).unwrap_err();
/// assert!(err.to_string().contains("[2, 3]") && err.to_string().contains("[4, 5]"));
/// ```
#[derive(Clone, PartialEq)]
pub struct Error {
    /// The class of error.
    pub kind: ErrorKind,
    /// The operation that failed (`matmul`, `add`, …).
    pub op: &'static str,
    /// What was wrong, with shapes and dtypes.
    pub message: String,
    /// The caller's source location, when known.
    pub location: Option<&'static Location<'static>>,
}

/// Shorthand for results of tensor operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn new(kind: ErrorKind, op: &'static str, message: impl Into<String>) -> Error {
        Error {
            kind,
            op,
            message: message.into(),
            location: None,
        }
    }
    pub(crate) fn shape(op: &'static str, message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Shape, op, message)
    }
    pub(crate) fn dtype(op: &'static str, message: impl Into<String>) -> Error {
        Error::new(ErrorKind::DType, op, message)
    }
    pub(crate) fn axis(op: &'static str, axis: isize, rank: usize) -> Error {
        Error::new(
            ErrorKind::Axis,
            op,
            format!("axis {axis} is out of range for a tensor of rank {rank}"),
        )
    }
    pub(crate) fn usage(op: &'static str, message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Usage, op, message)
    }
    /// Reading elements of a traced tensor: names the way out.
    pub(crate) fn traced(op: &'static str) -> Error {
        Error::new(
            ErrorKind::Tracing,
            op,
            "this tensor is being traced (by jit, vmap or trace): it has a shape and dtype but no values yet, so it cannot be read or steer Rust control flow; use cotangent::cond, while_loop, fori_loop or scan for value-dependent control flow, or move the read outside the traced function",
        )
    }
    /// Attach the caller's location if none is set yet. A location inside this library (an
    /// internal call that `#[track_caller]` could not see past, such as a batching rule's) is
    /// not the user's line: it is skipped, so an outer, user-facing one fills it in.
    pub(crate) fn at(mut self, loc: &'static Location<'static>) -> Error {
        if !is_internal(loc) {
            self.location.get_or_insert(loc);
        }
        self
    }
}

/// Whether `loc` is in this library's own source (its `src/` folder, however the path to the
/// crate is spelled: relative in the workspace, absolute when built as a dependency).
fn is_internal(loc: &Location<'_>) -> bool {
    let own = file!(); // …/src/core/error.rs
    let root = &own[..own.len() - "core/error.rs".len()];
    loc.file().starts_with(root)
}

/// Attaching the caller's location to a result's error from inside a `#[track_caller]`
/// function. (`map_err(|e| e.at(Location::caller()))` would name the closure's own line:
/// closures do not inherit the caller's location.)
pub(crate) trait AtCaller {
    /// The same result, its error (if any) located at the caller when it has no location yet.
    fn at_caller(self) -> Self;
}

impl<T> AtCaller for Result<T> {
    #[track_caller]
    fn at_caller(self) -> Self {
        let loc = Location::caller();
        self.map_err(|e| e.at(loc))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.op, self.message)?;
        if let Some(loc) = self.location {
            write!(f, " (at {}:{}:{})", loc.file(), loc.line(), loc.column())?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for Error {}

/// Only floating-point arguments can be differentiated (as in JAX without `allow_int`): the
/// one check every differentiation entry point runs on its inputs.
pub(crate) fn check_float_inputs(op: &'static str, xs: &[crate::core::Tensor]) -> Result<()> {
    match xs.iter().position(|x| !x.dtype().is_float()) {
        Some(i) => Err(Error::dtype(
            op,
            format!(
                "argument {i} is {}; only floating-point inputs can be differentiated",
                xs[i].dtype()
            ),
        )),
        None => Ok(()),
    }
}
