//! Between JSON and tensors: eval inputs become f64 tensors, results become JSON numbers and
//! (nested) arrays.

use cotangent::Tensor;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Reads an eval's input as `T`.
pub fn parse<T: DeserializeOwned>(input: &Value) -> Result<T, String> {
    T::deserialize(input).map_err(|e| format!("bad input: {e}"))
}

/// A vector as a 1-d f64 tensor.
pub fn vector(v: &[f64]) -> Tensor {
    Tensor::from_vec(v.to_vec(), &[v.len()])
}

/// Equal-length rows as a 2-d f64 tensor (`[rows, cols]`; `cols` is used when there are no
/// rows).
pub fn matrix(rows: &[Vec<f64>], cols: usize) -> Result<Tensor, String> {
    let cols = rows.first().map_or(cols, Vec::len);
    if rows.iter().any(|r| r.len() != cols) {
        return Err("bad input: rows of different lengths".into());
    }
    let data: Vec<f64> = rows.iter().flatten().copied().collect();
    Ok(Tensor::from_vec(data, &[rows.len(), cols]))
}

/// A scalar tensor as a JSON number.
pub fn scalar_json(t: &Tensor) -> Value {
    Value::from(t.item::<f64>())
}

/// Any tensor's elements as a flat JSON array.
pub fn flat_json(t: &Tensor) -> Value {
    Value::from(t.to_vec::<f64>())
}

/// A 2-d tensor as a JSON array of rows.
pub fn rows_json(t: &Tensor) -> Value {
    let (rows, cols) = (t.dims()[0], t.dims()[1]);
    let data = t.to_vec::<f64>();
    Value::Array(
        (0..rows)
            .map(|r| Value::from(data[r * cols..(r + 1) * cols].to_vec()))
            .collect(),
    )
}
