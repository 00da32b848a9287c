//! Saving and loading parameters in the [safetensors](https://huggingface.co/docs/safetensors)
//! format (readable from PyTorch, JAX and others), through the `safetensors` crate.
//!
//! f32, f64, f16, bf16, i64 and bool tensors are stored as `F32`, `F64`, `F16`, `BF16`, `I64`
//! and `BOOL`, little-endian.
//! Loading into a model is strict: a missing tensor, an extra tensor, a wrong shape or dtype
//! is an error that names the tensor, and the model is left unchanged.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;

use cotangent::{DType, Tensor, bf16, f16};
use safetensors::tensor::{Dtype, SafeTensors, View};

use crate::error::NnError;
use crate::module::Module;

/// One tensor's bytes, ready to serialize.
struct Raw {
    dtype: Dtype,
    shape: Vec<usize>,
    data: Vec<u8>,
}

impl View for &Raw {
    fn dtype(&self) -> Dtype {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(&self.data)
    }
    fn data_len(&self) -> usize {
        self.data.len()
    }
}

/// The little-endian bytes of `t`'s elements of type `T`.
fn le_bytes<T: cotangent::Element, const N: usize>(t: &Tensor, f: fn(T) -> [u8; N]) -> Vec<u8> {
    t.to_vec::<T>().into_iter().flat_map(f).collect()
}

fn to_raw(t: &Tensor) -> Raw {
    let (dtype, data) = match t.dtype() {
        DType::F16 => (Dtype::F16, le_bytes(t, f16::to_le_bytes)),
        DType::BF16 => (Dtype::BF16, le_bytes(t, bf16::to_le_bytes)),
        DType::F32 => (Dtype::F32, le_bytes(t, f32::to_le_bytes)),
        DType::F64 => (Dtype::F64, le_bytes(t, f64::to_le_bytes)),
        DType::I64 => (Dtype::I64, le_bytes(t, i64::to_le_bytes)),
        DType::Bool => (
            Dtype::BOOL,
            t.to_vec::<bool>().iter().map(|&v| v as u8).collect(),
        ),
    };
    Raw {
        dtype,
        shape: t.dims().to_vec(),
        data,
    }
}

fn format_error(origin: &str, e: impl std::fmt::Display) -> NnError {
    NnError::Format {
        origin: origin.to_string(),
        message: e.to_string(),
    }
}

/// Named tensors as the bytes of a safetensors file.
///
/// ```
/// use cotangent::Tensor;
/// use cotangent_nn::checkpoint::{tensors_from_bytes, tensors_to_bytes};
/// let bytes = tensors_to_bytes(&[("w".to_string(), Tensor::from_vec(vec![1.0f32, 2.0], &[2]))]).unwrap();
/// let back = tensors_from_bytes(&bytes, "<bytes>").unwrap();
/// assert_eq!(back["w"].to_vec::<f32>(), vec![1.0, 2.0]);
/// ```
///
/// A name used twice, or the name `__metadata__` (the format's header key, which `load` would
/// refuse), is an [`NnError::Name`].
pub fn tensors_to_bytes(tensors: &[(String, Tensor)]) -> Result<Vec<u8>, NnError> {
    let mut seen = std::collections::HashSet::new();
    for (name, _) in tensors {
        let reason = if name == "__metadata__" {
            "the safetensors format reserves `__metadata__` for its header"
        } else if !seen.insert(name.as_str()) {
            "the name appears more than once"
        } else {
            continue;
        };
        return Err(NnError::Name {
            name: name.clone(),
            reason,
        });
    }
    let raws: Vec<(String, Raw)> = tensors
        .iter()
        .map(|(n, t)| (n.clone(), to_raw(t)))
        .collect();
    safetensors::serialize(raws.iter().map(|(n, r)| (n.as_str(), r)), None)
        .map_err(|e| format_error("<bytes>", e))
}

/// Read named tensors from the bytes of a safetensors file; `origin` (a path, say) is named in
/// errors.
///
/// ```
/// use cotangent_nn::checkpoint::tensors_from_bytes;
/// let err = tensors_from_bytes(b"\x05\x00\x00\x00\x00\x00\x00\x00{oops", "model.safetensors").unwrap_err();
/// assert!(err.to_string().starts_with("model.safetensors: not a valid safetensors file"));
/// ```
pub fn tensors_from_bytes(bytes: &[u8], origin: &str) -> Result<HashMap<String, Tensor>, NnError> {
    let st = SafeTensors::deserialize(bytes).map_err(|e| format_error(origin, e))?;
    let mut out = HashMap::new();
    for (name, view) in st.iter() {
        let shape = view.shape();
        let data = view.data();
        // `try_from_vec`: the reader accepts shapes that no tensor can have, such as
        // `[0, 2^40, 2^40]` (zero elements, but the other dims' product overflows).
        let t = match view.dtype() {
            Dtype::F32 => Tensor::try_from_vec(le_values(data, f32::from_le_bytes), shape),
            Dtype::F64 => Tensor::try_from_vec(le_values(data, f64::from_le_bytes), shape),
            Dtype::F16 => Tensor::try_from_vec(le_values(data, f16::from_le_bytes), shape),
            Dtype::BF16 => Tensor::try_from_vec(le_values(data, bf16::from_le_bytes), shape),
            Dtype::I64 => Tensor::try_from_vec(le_values(data, i64::from_le_bytes), shape),
            Dtype::BOOL => Tensor::try_from_vec(data.iter().map(|&b| b != 0).collect(), shape),
            other => {
                return Err(NnError::DType {
                    name: name.to_string(),
                    expected: "one of F32, F64, F16, BF16, I64, BOOL".to_string(),
                    found: format!("{other:?}"),
                });
            }
        }
        .map_err(|e| format_error(origin, format!("tensor `{name}`: {e}")))?;
        out.insert(name.to_string(), t);
    }
    Ok(out)
}

/// Decode little-endian values of `N` bytes each.
fn le_values<T, const N: usize>(data: &[u8], f: fn([u8; N]) -> T) -> Vec<T> {
    data.chunks_exact(N)
        .map(|c| f(c.try_into().expect("chunks of N bytes")))
        .collect()
}

/// Write named tensors to a safetensors file.
///
/// ```
/// use cotangent::Tensor;
/// use cotangent_nn::{load_tensors, save_tensors};
/// let path = std::env::temp_dir().join("cotangent_nn_doc_save_tensors.safetensors");
/// save_tensors(&path, &[("x".to_string(), Tensor::from_vec(vec![1i64, 2], &[2]))]).unwrap();
/// assert_eq!(load_tensors(&path).unwrap()["x"].to_vec::<i64>(), vec![1, 2]);
/// ```
pub fn save_tensors(path: impl AsRef<Path>, tensors: &[(String, Tensor)]) -> Result<(), NnError> {
    let path = path.as_ref();
    let bytes = tensors_to_bytes(tensors)?;
    std::fs::write(path, bytes).map_err(|source| NnError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Read every tensor of a safetensors file, by name.
///
/// ```
/// let err = cotangent_nn::load_tensors("/nonexistent/model.safetensors").unwrap_err();
/// assert!(err.to_string().contains("/nonexistent/model.safetensors"));
/// ```
pub fn load_tensors(path: impl AsRef<Path>) -> Result<HashMap<String, Tensor>, NnError> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|source| NnError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    tensors_from_bytes(&bytes, &path.display().to_string())
}

/// Save a model's parameters under their dotted names.
///
/// ```
/// use cotangent::DType;
/// use cotangent_nn::{load, save, Init, Linear, Module};
/// let path = std::env::temp_dir().join("cotangent_nn_doc_save.safetensors");
/// let a = Linear::new(3, 2, &mut Init::new(1, DType::F32));
/// save(&a, &path).unwrap();
/// let mut b = Linear::new(3, 2, &mut Init::new(2, DType::F32));
/// load(&mut b, &path).unwrap();
/// assert_eq!(a.weight.to_vec::<f32>(), b.weight.to_vec::<f32>());
/// ```
pub fn save(model: &impl Module, path: impl AsRef<Path>) -> Result<(), NnError> {
    save_tensors(path, &model.params())
}

/// Load a model's parameters from a file written by [`save`] (or by PyTorch's
/// `safetensors.torch.save_file` with matching names and `[in, out]` weights). Strict: see
/// [`Module::load_params`].
///
/// ```
/// use cotangent::DType;
/// use cotangent_nn::{load, save, Init, Linear, NnError};
/// let path = std::env::temp_dir().join("cotangent_nn_doc_load.safetensors");
/// save(&Linear::new(3, 2, &mut Init::new(1, DType::F32)), &path).unwrap();
/// let mut wrong = Linear::new(3, 4, &mut Init::new(1, DType::F32));
/// let err = load(&mut wrong, &path).unwrap_err();
/// assert!(matches!(err, NnError::Shape { ref name, .. } if name == "weight"));
/// ```
pub fn load(model: &mut impl Module, path: impl AsRef<Path>) -> Result<(), NnError> {
    let tensors = load_tensors(path)?;
    model.load_params(&tensors)
}
