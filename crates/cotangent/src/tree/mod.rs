//! Trees: nested structures of tensors (tuples, arrays, `Vec`, string-keyed maps, `Option`,
//! and your own structs through `#[derive(Tree)]`), and the transformations over them.
//!
//! A [`Tree`] is anything that can list its tensor *leaves* in a fixed order, each under a
//! dotted path (`layers.0.weight`), and can have them replaced in that same order. Flattening a
//! tree gives its leaves; unflattening puts new leaves into a copy of its structure. Every
//! transformation in this module flattens its arguments, runs the slice-based transformation of
//! the crate root, and rebuilds results shaped like the inputs (JAX's pytrees):
//! [`grad`]`(f)(&params)` returns gradients shaped like `params`.
//!
//! Plain numbers, `bool` and `String` are trees with no leaves: a struct can carry its
//! hyperparameters next to its tensors, and they are copied, never differentiated.
//!
//! ```
//! use cotangent::tree::{self, Tree};
//! use cotangent::Tensor;
//!
//! #[derive(Clone, Tree)]
//! struct Line { w: Tensor, b: Tensor, name: String }
//!
//! let p = Line { w: Tensor::scalar(2.0), b: Tensor::scalar(1.0), name: "fit".into() };
//! let loss = |p: &Line| (&p.w * 3.0 + &p.b - 4.0).square();
//! let g = tree::grad(loss)(&p);
//! assert_eq!((g.w.item::<f64>(), g.b.item::<f64>()), (18.0, 6.0)); // d/dw = 2·3·3, d/db = 2·3
//! assert_eq!(g.name, "fit");
//! assert_eq!(tree::paths(&p), ["w", "b"]);
//! ```

mod autodiff;
mod axes;
mod control;
mod impls;
mod jacobian;
mod staged;
mod util;

pub use autodiff::{
    grad, grad_argnums, grad_with_aux, jvp, linearize, try_grad, try_value_and_grad,
    try_value_and_grad_with_aux, value_and_grad, value_and_grad_argnums, value_and_grad_with_aux,
    vjp, TreeLinearized, TreePullback,
};
pub use axes::{vmap, Axes};
pub use control::{cond, fori_loop, scan, while_loop};
pub use jacobian::{hessian, jacfwd, jacrev, ravel, Unravel};
pub use staged::{checkpoint, custom_vjp, jit};
pub use util::{
    flatten, num_leaves, paths, tree_map, tree_map2, tree_zip, try_unflatten, unflatten, zeros_like,
};

/// `#[derive(Tree)]` for a struct whose fields are trees (tensors, nested structs, `Vec`s of
/// them, or plain numbers and strings, which carry no leaves). Fields marked `#[tree(skip)]`
/// may be of any `Clone` type: they are copied into every rebuilt value and never visited.
/// Leaves are named by field (`field.0.weight`), in declaration order.
pub use cotangent_derive::Tree;

use crate::core::Tensor;

/// A nested structure of tensors: its leaves in a fixed order, each under a dotted path.
///
/// Implementations list the same leaves in the same order in all four methods. Write them with
/// `#[derive(Tree)]`; by hand, a container calls each child with the child's path, built by
/// [`child_path`].
///
/// ```
/// use cotangent::tree::Tree;
/// use cotangent::Tensor;
/// let t = (Tensor::scalar(1.0), vec![Tensor::scalar(2.0), Tensor::scalar(3.0)]);
/// let mut names = Vec::new();
/// t.visit_leaves("", &mut |n, _| names.push(n.to_string()));
/// assert_eq!(names, ["0", "1.0", "1.1"]);
/// ```
pub trait Tree: Clone {
    /// Call `f` with the path and value of every leaf, in order; paths start with `prefix`.
    fn visit_leaves(&self, prefix: &str, f: &mut dyn FnMut(&str, &Tensor));

    /// Call `f` with the path and a mutable slot of every leaf, in the same order; `f` may
    /// replace the tensor in the slot.
    fn visit_leaves_mut(&mut self, prefix: &str, f: &mut dyn FnMut(&str, &mut Tensor));

    /// Call `f` with every leaf, in order (no paths built). The default goes through
    /// [`Tree::visit_leaves`].
    fn for_each_leaf(&self, f: &mut dyn FnMut(&Tensor)) {
        self.visit_leaves("", &mut |_, t| f(t));
    }

    /// Call `f` with a mutable slot of every leaf, in order. The default goes through
    /// [`Tree::visit_leaves_mut`].
    fn for_each_leaf_mut(&mut self, f: &mut dyn FnMut(&mut Tensor)) {
        self.visit_leaves_mut("", &mut |_, t| f(t));
    }

    /// Feed the tree's static data (numbers, flags and strings it carries next to its
    /// tensors) to `state`. [`jit`] compiles one program per distinct static data, since a
    /// trace bakes those values in. The default feeds nothing; containers forward to their
    /// children.
    fn hash_static(&self, state: &mut dyn std::hash::Hasher) {
        let _ = state;
    }
}

/// `prefix.name`, or `name` when the prefix is empty: how nested leaf paths are built.
///
/// ```
/// use cotangent::tree::child_path;
/// assert_eq!(child_path("", "weight"), "weight");
/// assert_eq!(child_path("fc", "weight"), "fc.weight");
/// ```
pub fn child_path(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}
