//! The primitive interface: [`Primitive`], the trait every differentiable operation
//! implements (shape rule, kernel, derivative and batching rules, typed parameters, lowering),
//! and the shape-and-dtype records ([`Aval`], [`AvalRef`]) its shape rule works with. The
//! library's own primitives live in [`crate::prim`], which re-exports these.

use std::fmt::Debug;

use smallvec::SmallVec;

use crate::core::lowering;
use crate::core::{DType, Result, Shape, Tensor, Value};

/// The shape and dtype of an input, as a primitive's shape rule sees it.
#[derive(Clone, Copy, Debug)]
pub struct AvalRef<'a> {
    /// The input's shape.
    pub shape: &'a Shape,
    /// The input's dtype.
    pub dtype: DType,
}

impl AvalRef<'_> {
    /// An owned copy.
    ///
    /// ```
    /// use cotangent::prim::{Aval, AvalRef};
    /// use cotangent::{DType, Shape};
    /// let s = Shape::from(&[2, 3][..]);
    /// let a = AvalRef { shape: &s, dtype: DType::F32 };
    /// assert_eq!(a.to_aval(), Aval::new(&[2, 3], DType::F32));
    /// ```
    pub fn to_aval(&self) -> Aval {
        Aval {
            shape: self.shape.clone(),
            dtype: self.dtype,
        }
    }
}

/// The shape and dtype of a primitive's output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Aval {
    /// The output's shape.
    pub shape: Shape,
    /// The output's dtype.
    pub dtype: DType,
}

impl Aval {
    /// A shape and dtype.
    ///
    /// ```
    /// let a = cotangent::prim::Aval::new(&[2, 3], cotangent::DType::F32);
    /// assert_eq!(a.to_string(), "f32[2,3]");
    /// ```
    pub fn new(dims: &[usize], dtype: DType) -> Aval {
        Aval {
            shape: Shape::from(dims),
            dtype,
        }
    }

    /// The shape and dtype of a value.
    pub fn of_value(v: &Value) -> Aval {
        Aval {
            shape: v.shape().clone(),
            dtype: v.dtype(),
        }
    }

    /// The shape and dtype of a tensor.
    pub fn of(t: &Tensor) -> Aval {
        Aval {
            shape: t.shape().clone(),
            dtype: t.dtype(),
        }
    }
}

impl std::fmt::Display for Aval {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}[", self.dtype)?;
        for (i, d) in self.shape.dims().iter().enumerate() {
            if i > 0 {
                write!(f, ",")?;
            }
            write!(f, "{d}")?;
        }
        write!(f, "]")
    }
}

/// Input values handed to a kernel (inline up to two). A value whose buffer has no other owner
/// may be overwritten in place.
pub type Values = SmallVec<[Value; 2]>;

/// One differentiable operation: its shape rule, its kernel and its derivative rules.
///
/// This is also the extension point for user-defined primitives: implement it and apply it with
/// [`crate::apply_primitive`].
pub trait Primitive: std::any::Any + Debug + Send + Sync + 'static {
    /// The name used in errors, graph listings and diagnostics.
    fn name(&self) -> &'static str;

    /// The output shape and dtype, or an error naming the operation, shapes and dtypes.
    fn abstract_eval(&self, inputs: &[AvalRef<'_>]) -> Result<Aval>;

    /// Compute the output from concrete input values.
    fn eval(&self, inputs: &[&Value]) -> Result<Value>;

    /// Whether [`Primitive::eval`] returns a view of its first input's buffer (a new layout
    /// over the same storage, as the movement primitives do) instead of writing a new buffer.
    /// `bind` asks the allocator for the output's bytes before running a kernel only when this
    /// is false, so an impossible allocation is an error and not an abort. Default: false.
    fn is_view(&self) -> bool {
        false
    }

    /// Whether [`Primitive::eval`] takes `f16` and `bf16` values itself. When false (the default
    /// for every primitive that is not a view), the caller widens 16-bit float inputs to f32,
    /// runs `eval` on them and rounds the f32 result to the dtype the shape rule promised, so a
    /// kernel needs only its f32 and f64 forms (and sums and matmuls accumulate in f32).
    fn native_half(&self) -> bool {
        self.is_view()
    }

    /// Like [`Primitive::eval`], but the caller hands over its input values: a kernel may write
    /// its output into an input buffer that nobody else holds. The default borrows and calls
    /// `eval`.
    fn eval_consuming(&self, inputs: Values) -> Result<Value> {
        let refs: SmallVec<[&Value; 3]> = inputs.iter().collect();
        self.eval(&refs)
    }

    /// Forward-mode rule: the output tangent given input tangents (`None` = zero). Returns `None`
    /// for a zero output tangent.
    fn jvp(
        &self,
        primals: &[Tensor],
        tangents: &[Option<Tensor>],
        out: &Tensor,
    ) -> Result<Option<Tensor>>;

    /// Reverse-mode rule: one cotangent per input (`None` = zero or not differentiable) given
    /// the output cotangent `g`.
    fn vjp(&self, primals: &[Tensor], out: &Tensor, g: &Tensor) -> Result<Vec<Option<Tensor>>>;

    /// Like [`Primitive::vjp`], told which inputs need a cotangent (`needed[i]`), so a rule
    /// can skip work for inputs nothing differentiates (a matmul against constant data skips
    /// one of its two products). The default computes all of them.
    fn vjp_needed(
        &self,
        primals: &[Tensor],
        out: &Tensor,
        g: &Tensor,
        needed: &[bool],
    ) -> Result<Vec<Option<Tensor>>> {
        let _ = needed;
        self.vjp(primals, out, g)
    }

    /// Batching rule for `vmap`: `args[i]` carries a batch axis of length `size` at `dims[i]`
    /// (`None`: not batched; at least one is batched). Returns the output and where its batch
    /// axis is (`None` if the output does not depend on the batch), computed with tensor ops so
    /// that the result stays differentiable and traceable. `Ok(None)` means "no rule": `vmap`
    /// then falls back to one application per example, stacked. Every built-in primitive has a
    /// rule.
    fn batch(
        &self,
        args: &[Tensor],
        dims: &[Option<usize>],
        size: usize,
    ) -> Result<Option<(Tensor, Option<usize>)>> {
        let _ = (args, dims, size);
        Ok(None)
    }

    /// Parameters for listings (`axes=[1]`, …); empty when there are none. For display only:
    /// the compiler reads [`Primitive::lowering`] and [`Primitive::is_equivalent`].
    fn params(&self) -> String {
        String::new()
    }

    /// What this primitive computes, in the compiler's terms (see [`crate::core::lowering`]). Default:
    /// [`lowering::Lowering::Opaque`]: run through [`Primitive::eval`], never fused.
    fn lowering(&self) -> lowering::Lowering<'_> {
        lowering::Lowering::Opaque
    }

    /// Whether `other` is this same primitive with equal parameters. Saying yes also promises
    /// that [`Primitive::eval`] is a pure function of the inputs and those parameters: the
    /// compiler then merges equal equations (CSE) and computes those on constants at compile
    /// time. Default: false (a user primitive is kept as it is). Built-in primitives derive it
    /// from `PartialEq` and `Hash`.
    fn is_equivalent(&self, other: &dyn Primitive) -> bool {
        let _ = other;
        false
    }

    /// Feed the parameters to `state`, consistently with [`Primitive::is_equivalent`]
    /// (equivalent primitives hash alike). Default: nothing.
    fn hash_params(&self, state: &mut dyn std::hash::Hasher) {
        let _ = state;
    }

    /// What `self(inner(x))` is when it simplifies to `x` or to one primitive (`neg∘neg`, two
    /// permutations); `None` otherwise (the default).
    fn compose_after(&self, inner: &dyn Primitive) -> Option<lowering::Composed> {
        let _ = inner;
        None
    }

    /// For local (value-dependent) sparsity patterns: when which operands an output element
    /// depends on is a choice these concrete `inputs` make (a `select`'s condition, the larger
    /// operand of `max`), say which. `None` (the default): the global rule its
    /// [`Primitive::lowering`] implies, valid for every value.
    fn local_dependencies(&self, inputs: &[&Value], output: &Value) -> Option<lowering::LocalDeps> {
        let _ = (inputs, output);
        None
    }
}
