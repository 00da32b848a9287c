//! [`Storage`] (a typed buffer of elements) and [`Value`] (a storage shared by reference count,
//! seen through a [`Layout`]): the concrete data behind an eager tensor.

use std::sync::Arc;

use super::dtype::{DType, Element};
use super::layout::{for_each_offsets, Layout};
use super::pool;
use super::shape::Shape;

/// Element buffer with room for two elements inline, so scalars need no heap allocation of
/// their own.
pub type Buf<T> = smallvec::SmallVec<[T; 2]>;

/// A flat, typed buffer of elements.
#[derive(Clone, Debug)]
pub enum Storage {
    /// f32 elements.
    F32(Buf<f32>),
    /// f64 elements.
    F64(Buf<f64>),
    /// f16 elements.
    F16(Buf<half::f16>),
    /// bf16 elements.
    BF16(Buf<half::bf16>),
    /// i64 elements.
    I64(Buf<i64>),
    /// bool elements.
    Bool(Buf<bool>),
    /// No elements: the placeholder of a value being traced (only its shape and dtype exist).
    Abstract(DType),
}

impl Drop for Storage {
    /// Large buffers go back to this thread's pool for the next kernel to reuse.
    fn drop(&mut self) {
        fn recycle<T: Element>(b: &mut Buf<T>) {
            if b.spilled() {
                pool::give(std::mem::take(b).into_vec());
            }
        }
        match self {
            Storage::F32(b) => recycle(b),
            Storage::F64(b) => recycle(b),
            Storage::F16(b) => recycle(b),
            Storage::BF16(b) => recycle(b),
            Storage::I64(b) => recycle(b),
            Storage::Bool(b) => recycle(b),
            Storage::Abstract(_) => {}
        }
    }
}

impl Storage {
    /// The element type.
    pub fn dtype(&self) -> DType {
        match self {
            Storage::F32(_) => DType::F32,
            Storage::F64(_) => DType::F64,
            Storage::F16(_) => DType::F16,
            Storage::BF16(_) => DType::BF16,
            Storage::I64(_) => DType::I64,
            Storage::Bool(_) => DType::Bool,
            Storage::Abstract(d) => *d,
        }
    }
}

/// Concrete tensor data: a reference-counted storage and the layout through which it is seen.
#[derive(Clone, Debug)]
pub struct Value {
    /// The shared buffer.
    pub storage: Arc<Storage>,
    /// How the elements of this value sit in the buffer.
    pub layout: Layout,
}

impl Value {
    /// A contiguous value owning `data`.
    pub fn from_vec<T: Element>(data: Vec<T>, shape: Shape) -> Value {
        Self::from_buf(Buf::from_vec(data), shape)
    }

    /// A contiguous value owning `data` (kept inline when it holds at most two elements).
    pub fn from_buf<T: Element>(data: Buf<T>, shape: Shape) -> Value {
        debug_assert_eq!(data.len(), shape.numel());
        Value {
            storage: pool::shell(T::wrap(data)),
            layout: Layout::contiguous(shape),
        }
    }

    /// The placeholder of a traced value: a shape and a dtype, no elements.
    pub fn abstract_of(shape: Shape, dtype: DType) -> Value {
        Value {
            storage: Arc::new(Storage::Abstract(dtype)),
            layout: Layout::contiguous(shape),
        }
    }

    /// Whether this is a traced placeholder without elements.
    pub fn is_abstract(&self) -> bool {
        matches!(*self.storage, Storage::Abstract(_))
    }

    /// The element type.
    pub fn dtype(&self) -> DType {
        self.storage.dtype()
    }

    /// The shape.
    pub fn shape(&self) -> &Shape {
        &self.layout.shape
    }

    /// The same storage seen through another layout.
    pub fn with_layout(&self, layout: Layout) -> Value {
        Value {
            storage: self.storage.clone(),
            layout,
        }
    }

    /// The contiguous elements if this value is packed row-major (no copy).
    pub fn contiguous_slice<T: Element>(&self) -> Option<&[T]> {
        if !self.layout.is_contiguous() {
            return None;
        }
        let s = T::slice(&self.storage)?;
        Some(&s[self.layout.offset..self.layout.offset + self.layout.shape.numel()])
    }

    /// The elements in row-major order, borrowed when already contiguous, copied otherwise.
    pub fn elements<T: Element>(&self) -> std::borrow::Cow<'_, [T]> {
        if let Some(s) = self.contiguous_slice::<T>() {
            return std::borrow::Cow::Borrowed(s);
        }
        let mut out = pool::take(self.layout.shape.numel());
        self.for_each_run::<T>(|run| out.extend_from_slice(run));
        std::borrow::Cow::Owned(out)
    }

    /// Calls `f` with the elements in row-major order, in runs that are contiguous in storage:
    /// whole rows when the last axis has stride 1 (a permute that keeps it), else one element
    /// at a time.
    pub(crate) fn for_each_run<T: Element>(&self, mut f: impl FnMut(&[T])) {
        let src = T::slice(&self.storage).expect("elements: dtype checked by caller");
        let (shape, strides) = (&self.layout.shape, &self.layout.strides);
        match shape.rank().checked_sub(1) {
            Some(last) if strides[last] == 1 => {
                let row = shape[last];
                for_each_offsets(
                    &shape[..last],
                    [&strides[..last]],
                    [self.layout.offset],
                    |[o]| f(&src[o..o + row]),
                )
            }
            _ => for_each_offsets(shape, [strides], [self.layout.offset], |[o]| {
                f(std::slice::from_ref(&src[o]))
            }),
        }
    }

    /// Elements as a vector in row-major order.
    pub fn to_vec<T: Element>(&self) -> Vec<T> {
        self.elements::<T>().into_owned()
    }

    /// Elements converted to f64, in row-major order.
    pub fn to_f64_vec(&self) -> Vec<f64> {
        match self.dtype() {
            DType::F32 => self.elements::<f32>().iter().map(|&x| x as f64).collect(),
            DType::F64 => self.to_vec::<f64>(),
            DType::F16 => self
                .elements::<half::f16>()
                .iter()
                .map(|x| x.to_f64())
                .collect(),
            DType::BF16 => self
                .elements::<half::bf16>()
                .iter()
                .map(|x| x.to_f64())
                .collect(),
            DType::I64 => self.elements::<i64>().iter().map(|&x| x as f64).collect(),
            DType::Bool => self
                .elements::<bool>()
                .iter()
                .map(|&x| x as u8 as f64)
                .collect(),
        }
    }

    /// A packed row-major copy (or this value itself when already packed at offset 0).
    pub fn into_contiguous(self) -> Value {
        if self.layout.is_contiguous()
            && self.layout.offset == 0
            && storage_len(&self.storage) == self.layout.shape.numel()
        {
            return self;
        }
        let shape = self.layout.shape.clone();
        match self.dtype() {
            DType::F32 => Value::from_vec(self.to_vec::<f32>(), shape),
            DType::F64 => Value::from_vec(self.to_vec::<f64>(), shape),
            DType::F16 => Value::from_vec(self.to_vec::<half::f16>(), shape),
            DType::BF16 => Value::from_vec(self.to_vec::<half::bf16>(), shape),
            DType::I64 => Value::from_vec(self.to_vec::<i64>(), shape),
            DType::Bool => Value::from_vec(self.to_vec::<bool>(), shape),
        }
    }

    /// If this value is the only owner of a packed buffer of exactly its size, its elements for
    /// writing in place.
    pub fn unique_slice_mut<T: Element>(&mut self) -> Option<&mut [T]> {
        if self.layout.offset != 0 || !self.layout.is_contiguous() {
            return None;
        }
        let n = self.layout.shape.numel();
        let s = T::slice_mut(Arc::get_mut(&mut self.storage)?)?;
        (s.len() == n).then_some(s)
    }
}

fn storage_len(s: &Storage) -> usize {
    match s {
        Storage::F32(v) => v.len(),
        Storage::F64(v) => v.len(),
        Storage::F16(v) => v.len(),
        Storage::BF16(v) => v.len(),
        Storage::I64(v) => v.len(),
        Storage::Bool(v) => v.len(),
        Storage::Abstract(_) => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::layout::Layout;

    /// A strided view copied out (rows contiguous, a row at a time; or elementwise) gives its
    /// elements in row-major order, for a permute that keeps the last axis, a slice inside
    /// the buffer, a transpose and a zero-length row.
    #[test]
    fn strided_elements_come_out_in_row_major_order() {
        let buf: Vec<i64> = (0..2 * 3 * 4).collect();
        let v = Value::from_vec(buf.clone(), Shape::from(&[2, 3, 4][..]));
        let l = Layout::contiguous(Shape::from(&[2, 3, 4][..]));
        let permuted = v.with_layout(l.permute(&[1, 0, 2]));
        let mut want = Vec::new();
        for j in 0..3 {
            for i in 0..2 {
                want.extend((0..4).map(|k| buf[i * 12 + j * 4 + k]));
            }
        }
        assert_eq!(permuted.to_vec::<i64>(), want);
        let sliced = v.with_layout(l.slice(&[1, 1, 1], &[1, 2, 2], &[1, 1, 1]));
        assert_eq!(sliced.to_vec::<i64>(), vec![17, 18, 21, 22]);
        let transposed = v.with_layout(l.permute(&[0, 2, 1]));
        assert_eq!(&transposed.to_vec::<i64>()[..6], &[0, 4, 8, 1, 5, 9]);
        let empty = v.with_layout(l.slice(&[0, 0, 0], &[2, 3, 0], &[1, 1, 1]));
        assert!(empty.to_vec::<i64>().is_empty());
    }
}
