//! Gather and scatter along one axis with an integer index vector.

use crate::core::error::{Error, ErrorKind, Result};
use crate::core::shape::Dims;
use crate::core::{Element, Real, Shape, Value};

fn check_indices(op: &'static str, idx: &[i64], dim: usize) -> Result<()> {
    if let Some(&bad) = idx.iter().find(|&&i| i < 0 || i as usize >= dim) {
        return Err(Error::new(
            ErrorKind::Index,
            op,
            format!("index {bad} is out of range for a dimension of size {dim}"),
        ));
    }
    Ok(())
}

/// `out[.., j, ..] = x[.., idx[j], ..]` along `axis`.
pub fn index_select<T: Element>(x: &Value, idx: &Value, axis: usize) -> Result<Value> {
    let idx = idx.elements::<i64>();
    let shape = x.shape();
    check_indices("index_select", &idx, shape[axis])?;
    let data = x.elements::<T>();
    let outer: usize = shape[..axis].iter().product();
    let inner: usize = shape[axis + 1..].iter().product();
    let dim = shape[axis];
    let mut dims = Dims::from_slice(shape);
    dims[axis] = idx.len();
    let mut out = Vec::with_capacity(outer * idx.len() * inner);
    for o in 0..outer {
        for &i in idx.iter() {
            let base = (o * dim + i as usize) * inner;
            out.extend_from_slice(&data[base..base + inner]);
        }
    }
    Ok(Value::from_vec(out, Shape(dims)))
}

/// `out = base; out[.., idx[j], ..] += upd[.., j, ..]` along `axis`.
pub fn scatter_add<T: Real>(base: &Value, idx: &Value, upd: &Value, axis: usize) -> Result<Value> {
    let idx = idx.elements::<i64>();
    let shape = base.shape().clone();
    check_indices("scatter_add", &idx, shape[axis])?;
    let mut out = base.to_vec::<T>();
    let u = upd.elements::<T>();
    let outer: usize = shape[..axis].iter().product();
    let inner: usize = shape[axis + 1..].iter().product();
    let dim = shape[axis];
    for o in 0..outer {
        for (j, &i) in idx.iter().enumerate() {
            let dst = (o * dim + i as usize) * inner;
            let src = (o * idx.len() + j) * inner;
            for t in 0..inner {
                out[dst + t] = out[dst + t] + u[src + t];
            }
        }
    }
    Ok(Value::from_vec(out, shape))
}
