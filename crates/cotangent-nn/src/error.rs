//! [`NnError`]: what can go wrong outside tensor arithmetic — reading and writing checkpoints,
//! and loading parameters that do not fit a model. Every variant about one tensor names it.

use std::fmt;
use std::path::PathBuf;

/// An error from loading or saving parameters or data.
///
/// ```
/// use cotangent_nn::NnError;
/// let e = NnError::Missing { name: "fc.weight".into(), expected: vec![3, 2] };
/// assert!(e.to_string().contains("fc.weight"));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum NnError {
    /// Reading or writing a file failed.
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The bytes are not a valid safetensors file (bad header length, bad JSON, bad offsets…).
    Format {
        /// Where the bytes came from (a path, or `<bytes>`).
        origin: String,
        /// What the safetensors reader said.
        message: String,
    },
    /// The model has a parameter that the checkpoint lacks.
    Missing {
        /// The parameter's dotted name.
        name: String,
        /// The shape the model expects.
        expected: Vec<usize>,
    },
    /// The checkpoint has a tensor that the model has no parameter for.
    Unexpected {
        /// The tensor's name in the checkpoint.
        name: String,
    },
    /// A tensor's shape differs from the parameter's.
    Shape {
        /// The parameter's dotted name.
        name: String,
        /// The shape the model expects.
        expected: Vec<usize>,
        /// The shape found.
        found: Vec<usize>,
    },
    /// A tensor's element type differs from the parameter's, or is not supported.
    DType {
        /// The tensor's name.
        name: String,
        /// The dtype the model expects (or the supported set).
        expected: String,
        /// The dtype found.
        found: String,
    },
    /// A data file's contents are malformed (a CSV line that does not parse, say).
    Data {
        /// Where.
        origin: String,
        /// What is wrong.
        message: String,
    },
    /// A tensor name that cannot be written: used twice, or `__metadata__` (which the
    /// safetensors format reserves for its header).
    Name {
        /// The name.
        name: String,
        /// Why it cannot be written.
        reason: &'static str,
    },
    /// A tensor operation failed.
    Tensor(cotangent::Error),
}

impl fmt::Display for NnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NnError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            NnError::Format { origin, message } => {
                write!(f, "{origin}: not a valid safetensors file: {message}")
            }
            NnError::Missing { name, expected } => write!(
                f,
                "missing tensor `{name}`: the model expects a parameter of shape {expected:?} \
                 that the checkpoint does not contain"
            ),
            NnError::Unexpected { name } => write!(
                f,
                "unexpected tensor `{name}`: the checkpoint has it but the model has no such parameter"
            ),
            NnError::Shape {
                name,
                expected,
                found,
            } => write!(
                f,
                "tensor `{name}` has shape {found:?} but the model expects {expected:?}"
            ),
            NnError::DType {
                name,
                expected,
                found,
            } => write!(
                f,
                "tensor `{name}` has dtype {found} but {expected} is expected"
            ),
            NnError::Data { origin, message } => write!(f, "{origin}: {message}"),
            NnError::Name { name, reason } => {
                write!(f, "cannot save a tensor named `{name}`: {reason}")
            }
            NnError::Tensor(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for NnError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            NnError::Io { source, .. } => Some(source),
            NnError::Tensor(e) => Some(e),
            _ => None,
        }
    }
}

impl From<cotangent::Error> for NnError {
    fn from(e: cotangent::Error) -> NnError {
        NnError::Tensor(e)
    }
}
