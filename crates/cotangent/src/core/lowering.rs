//! What a primitive tells the compiler about itself: [`Primitive::lowering`] returns a
//! [`Lowering`], a typed description the jit passes and code generators read instead of names or
//! parameter text. An elementwise primitive hands over its [`Elementwise`] rule: its scalar
//! formula compiled into block functions (the very functions its eager kernel runs, so eager and
//! fused results are bit-identical), the algebraic units the simplifier may drop, and a C-like
//! expression for code generators that emit source. Reductions and movement ops describe their
//! axes, permutations and index maps.
//!
//! A primitive that says nothing ([`Lowering::Opaque`], the default) is run through its own
//! kernel, never fused or rewritten.
//!
//! [`Primitive::lowering`]: crate::core::primitive::Primitive::lowering

use std::fmt;

use crate::core::primitive::Primitive;
use crate::core::Shape;
use crate::Real;

/// A block function of an elementwise rule: writes `out[i] = f(ins[0][i], ins[1][i], …)`; every
/// input slice is as long as `out`. Booleans (comparison results, select conditions) travel as
/// 0 and 1 of the float type.
pub type BlockFn<T> = fn(out: &mut [T], ins: &[&[T]]);

/// The same formula at one element (operands beyond the arity are ignored): what scalar
/// programs and one-element tensors run, without the block machinery. It runs the very code
/// of the block function (the generic kernel, or the vectorized fast path on one element).
pub type OneFn<T> = fn(ins: [T; 3]) -> T;

/// How an elementwise primitive computes, once, for every backend.
///
/// ```
/// use cotangent::prim::{lowering::Lowering, Primitive};
/// let Lowering::Elementwise(rule) = cotangent::prim::sin::Sin.lowering() else { panic!() };
/// let mut out = [0.0f64; 2];
/// (rule.f64)(&mut out, &[&[0.0, 1.0]]);
/// assert_eq!(out, [0.0, 1f64.sin()]);
/// assert_eq!(rule.expr, "sin(a)");
/// ```
pub struct Elementwise {
    /// The name shown in kernel listings.
    pub name: &'static str,
    /// How many operands it reads (1 to 3).
    pub arity: usize,
    /// The formula over f32 blocks (with any vectorized fast path).
    pub f32: BlockFn<f32>,
    /// The formula over f64 blocks.
    pub f64: BlockFn<f64>,
    /// The formula at one f32 element.
    pub f32_one: OneFn<f32>,
    /// The formula at one f64 element.
    pub f64_one: OneFn<f64>,
    /// Exact identities the simplifier may apply.
    pub algebra: Algebra,
    /// The formula as a C expression over operands `a`, `b`, `c` of one float type (using the
    /// overloaded `<math.h>` names of C++/CUDA: `sin(a)`, `fmax(a, b)`, `a < b`), for code
    /// generators that emit source. Booleans are 0 or 1 of that type.
    pub expr: &'static str,
}

impl fmt::Debug for Elementwise {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

/// Exact algebraic facts about an elementwise operation.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Algebra {
    /// `u` with `op(x, u) = x` for every `x` (`x + 0`, `x · 1`).
    pub right_unit: Option<f64>,
    /// `u` with `op(u, x) = x` for every `x`.
    pub left_unit: Option<f64>,
    /// The result is the first operand unchanged (a copy the simplifier may remove).
    pub copy: bool,
}

/// The float types elementwise rules run in.
pub trait BlockFloat: Real {
    /// The rule's block function for this type.
    fn block(rule: &Elementwise) -> BlockFn<Self>;
    /// The rule's one-element function for this type.
    fn one_fn(rule: &Elementwise) -> OneFn<Self>;
}

impl BlockFloat for f32 {
    fn block(rule: &Elementwise) -> BlockFn<f32> {
        rule.f32
    }
    fn one_fn(rule: &Elementwise) -> OneFn<f32> {
        rule.f32_one
    }
}

impl BlockFloat for f64 {
    fn block(rule: &Elementwise) -> BlockFn<f64> {
        rule.f64
    }
    fn one_fn(rule: &Elementwise) -> OneFn<f64> {
        rule.f64_one
    }
}

/// What a reduction folds with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReduceOp {
    /// `a + x`, from 0.
    Sum,
    /// The larger (NaN propagates), from −∞.
    Max,
}

/// A primitive's description for the compiler.
#[derive(Clone, Copy, Debug)]
pub enum Lowering<'a> {
    /// Run through [`Primitive::eval`]; never fused, merged only if
    /// [`Primitive::is_equivalent`] says so.
    Opaque,
    /// Elementwise over operands of one shape: fusible into loops.
    Elementwise(&'static Elementwise),
    /// A reduction over `axes` (sorted, distinct).
    Reduce {
        /// How elements combine.
        op: ReduceOp,
        /// The reduced axes of the input.
        axes: &'a [usize],
    },
    /// Broadcast to `shape` (NumPy rules: trailing axes aligned, size-1 axes stretched).
    Broadcast {
        /// The output shape.
        shape: &'a Shape,
    },
    /// The same elements in row-major order, in a new shape.
    Reshape {
        /// The output shape.
        shape: &'a Shape,
    },
    /// Output axis `i` is input axis `perm[i]`.
    Permute {
        /// The permutation.
        perm: &'a [usize],
    },
    /// Output index `j` along axis `d` reads input index `starts[d] + j · steps[d]`.
    Slice {
        /// First index per axis.
        starts: &'a [usize],
        /// Elements taken per axis.
        lens: &'a [usize],
        /// Step per axis.
        steps: &'a [usize],
    },
    /// Input index `i` along axis `d` lands at `lo[d] + i · (interior[d] + 1)`; the rest is
    /// `value`.
    Pad {
        /// Elements before each axis.
        lo: &'a [usize],
        /// Elements after each axis.
        hi: &'a [usize],
        /// Elements between neighbours.
        interior: &'a [usize],
        /// The fill value.
        value: f64,
    },
    /// The operands joined along `axis`.
    Concat {
        /// The joined axis.
        axis: usize,
    },
    /// Output index `j` along `axis` reads input index `idx[j]` (the second operand).
    Gather {
        /// The indexed axis.
        axis: usize,
    },
    /// Input index `j` along `axis` is added into output index `idx[j]`.
    ScatterAdd {
        /// The indexed axis.
        axis: usize,
    },
    /// A batched matrix product `[.., m, k] × [.., k, n]`.
    Matmul,
}

/// Which operands an output depends on at particular values, for a primitive whose dependency
/// is a choice the values make ([`Primitive::local_dependencies`]): the local (value-dependent)
/// sparsity pattern keeps only the branch taken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LocalDeps {
    /// Per output element (row-major), a mask of the operands it depends on: bit `k` for
    /// operand `k`. For elementwise primitives (`select`, `max`, `min`).
    Operands(Vec<u8>),
    /// A reduction each of whose outputs depends only on the input elements equal to it (all
    /// of them on a tie; the whole block when the output is NaN): a maximum.
    Winners,
}

/// What [`Primitive::compose_after`] found `outer(inner(x))` to be.
#[derive(Debug)]
pub enum Composed {
    /// `x` itself.
    Identity,
    /// One primitive applied to `x`.
    Single(std::sync::Arc<dyn Primitive>),
}
