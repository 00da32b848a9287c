//! Gather and scatter along one axis with an integer index vector.

use crate::core::error::{Error, ErrorKind, Result};
use crate::core::shape::Dims;
use crate::core::{Element, Real, Shape, Value};

/// The position an index names in a dimension of size `dim`: `i` itself for `0 ≤ i < dim`,
/// `i + dim` for `-dim ≤ i < 0` (NumPy's and JAX's negative indices); an error naming `op`,
/// the index and the size otherwise.
pub(crate) fn resolve_index(op: &'static str, i: i64, dim: usize) -> Result<usize> {
    let d = dim as i64;
    if (0..d).contains(&i) {
        Ok(i as usize)
    } else if (-d..0).contains(&i) {
        Ok((i + d) as usize)
    } else {
        Err(Error::new(
            ErrorKind::Index,
            op,
            format!("index {i} is out of range for a dimension of size {dim}"),
        ))
    }
}

/// Every index resolved (see [`resolve_index`]).
fn resolve_all(op: &'static str, idx: &[i64], dim: usize) -> Result<Vec<usize>> {
    idx.iter().map(|&i| resolve_index(op, i, dim)).collect()
}

/// `out[.., j, ..] = x[.., idx[j], ..]` along `axis`.
pub fn index_select<T: Element>(x: &Value, idx: &Value, axis: usize) -> Result<Value> {
    let shape = x.shape();
    let idx = resolve_all("index_select", &idx.elements::<i64>(), shape[axis])?;
    let data = x.elements::<T>();
    let outer: usize = shape[..axis].iter().product();
    let inner: usize = shape[axis + 1..].iter().product();
    let dim = shape[axis];
    let mut dims = Dims::from_slice(shape);
    dims[axis] = idx.len();
    let mut out = crate::core::pool::take(outer * idx.len() * inner);
    for o in 0..outer {
        for &i in idx.iter() {
            let base = (o * dim + i) * inner;
            out.extend_from_slice(&data[base..base + inner]);
        }
    }
    Ok(Value::from_vec(out, Shape(dims)))
}

/// `out = base; out[.., idx[j], ..] += upd[.., j, ..]` along `axis`.
pub fn scatter_add<T: Real>(base: &Value, idx: &Value, upd: &Value, axis: usize) -> Result<Value> {
    let shape = base.shape().clone();
    let idx = resolve_all("scatter_add", &idx.elements::<i64>(), shape[axis])?;
    let mut out = base.to_vec::<T>();
    let u = upd.elements::<T>();
    let outer: usize = shape[..axis].iter().product();
    let inner: usize = shape[axis + 1..].iter().product();
    let dim = shape[axis];
    for o in 0..outer {
        for (j, &i) in idx.iter().enumerate() {
            let dst = (o * dim + i) * inner;
            let src = (o * idx.len() + j) * inner;
            for t in 0..inner {
                out[dst + t] = out[dst + t] + u[src + t];
            }
        }
    }
    Ok(Value::from_vec(out, shape))
}
