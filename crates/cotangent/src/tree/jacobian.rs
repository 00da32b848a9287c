//! Jacobians over trees. [`ravel`] joins a tree's leaves into one vector (JAX's
//! `ravel_pytree`) and gives the inverse; [`jacfwd`] and [`jacrev`] differentiate a tensor
//! function of a tree on that vector and split the result back into one Jacobian per leaf, of
//! shape `output ++ leaf`; [`hessian`] gives the blocks `∂²f/∂leaf_i ∂leaf_j`.

use std::panic::Location;

use crate::core::{DType, Tensor};
use crate::transform::grad::value_and_grad_at;
use crate::transform::jacobian::{jacobian_at, Mode};
use crate::tree::{flatten, unflatten, Tree};

/// The Jacobian of `f` at `x` in `mode`, panicking with the error located at `loc`.
fn jac(
    f: impl FnOnce(&Tensor) -> Tensor,
    x: &Tensor,
    mode: Mode,
    loc: &'static Location<'static>,
) -> Tensor {
    jacobian_at(f, x, Some(mode), loc)
        .unwrap_or_else(|e| panic!("{e}"))
        .0
}

/// Rebuilds a tree from the vector [`ravel`] made of it (differentiably).
#[derive(Clone)]
pub struct Unravel<P> {
    template: P,
    /// (shape, dtype) of each leaf, in order.
    leaves: Vec<(Vec<usize>, DType)>,
}

impl<P: Tree> Unravel<P> {
    /// The tree whose raveled form is `flat` (a vector as long as the tree has elements).
    ///
    /// ```
    /// use cotangent::{tree, Tensor};
    /// let p = (Tensor::from_vec(vec![1.0, 2.0], &[2]), Tensor::scalar(3.0));
    /// let (flat, un) = tree::ravel(&p);
    /// assert_eq!(flat.to_vec::<f64>(), vec![1.0, 2.0, 3.0]);
    /// let q = un.call(&(&flat * 10.0));
    /// assert_eq!(q.1.item::<f64>(), 30.0);
    /// ```
    #[track_caller]
    pub fn call(&self, flat: &Tensor) -> P {
        let mut off = 0;
        let parts: Vec<Tensor> = self
            .leaves
            .iter()
            .map(|(dims, dt)| {
                let n: usize = dims.iter().product();
                let t = flat.narrow(0, off, n).reshape(dims).cast(*dt);
                off += n;
                t
            })
            .collect();
        unflatten(&self.template, parts)
    }

    /// The number of elements of each leaf, in order: the lengths of the pieces of the vector.
    pub fn sizes(&self) -> Vec<usize> {
        self.leaves
            .iter()
            .map(|(d, _)| d.iter().product())
            .collect()
    }
}

/// The leaves of `p` flattened and joined into one vector, and the function that puts such a
/// vector back into a tree shaped like `p`. Leaves keep their dtype when they share one;
/// otherwise the vector is f64.
///
/// ```
/// use cotangent::{tree, Tensor};
/// let (flat, un) = tree::ravel(&vec![Tensor::scalar(1.0), Tensor::from_vec(vec![2.0, 3.0], &[2])]);
/// assert_eq!(flat.dims(), &[3]);
/// assert_eq!(un.sizes(), vec![1, 2]);
/// ```
pub fn ravel<P: Tree>(p: &P) -> (Tensor, Unravel<P>) {
    let leaves = flatten(p);
    let dtype = match leaves.first() {
        Some(a) if leaves.iter().all(|b| b.dtype() == a.dtype()) => a.dtype(),
        _ => DType::F64,
    };
    let parts: Vec<Tensor> = leaves
        .iter()
        .map(|t| t.reshape(&[t.numel()]).cast(dtype))
        .collect();
    let flat = if parts.is_empty() {
        Tensor::zeros(&[0], dtype)
    } else {
        Tensor::concat(&parts, 0)
    };
    let info = leaves
        .iter()
        .map(|t| (t.dims().to_vec(), t.dtype()))
        .collect();
    (
        flat,
        Unravel {
            template: p.clone(),
            leaves: info,
        },
    )
}

/// Split the last axis of a Jacobian `j` (shape `out ++ [n]`) into one piece per leaf of `p`,
/// each reshaped to `out ++ leaf`.
fn split_last<P: Tree>(j: &Tensor, p: &P, un: &Unravel<P>) -> P {
    let out: Vec<usize> = j.dims()[..j.rank() - 1].to_vec();
    let leaves = flatten(p);
    let mut off = 0;
    let parts: Vec<Tensor> = leaves
        .iter()
        .zip(un.sizes())
        .map(|(leaf, n)| {
            let mut dims = out.clone();
            dims.extend_from_slice(leaf.dims());
            let piece = j.narrow(-1, off, n).reshape(&dims).cast(leaf.dtype());
            off += n;
            piece
        })
        .collect();
    unflatten(p, parts)
}

/// `p ↦ ∂f/∂p` by reverse mode for a tensor function of a tree: one Jacobian per leaf, of
/// shape `output ++ leaf`, in a tree shaped like `p`.
///
/// ```
/// use cotangent::{tree, Tensor};
/// let f = |p: &(Tensor, Tensor)| &p.0 * &p.1;
/// let j = tree::jacrev(f)(&(Tensor::from_vec(vec![1.0, 2.0], &[2]), Tensor::scalar(3.0)));
/// assert_eq!(j.0.to_vec::<f64>(), vec![3.0, 0.0, 0.0, 3.0]); // [2, 2]
/// assert_eq!(j.1.to_vec::<f64>(), vec![1.0, 2.0]);           // [2]
/// ```
#[track_caller]
pub fn jacrev<P: Tree, F: Fn(&P) -> Tensor>(f: F) -> impl Fn(&P) -> P {
    let loc = Location::caller();
    move |p| {
        let (flat, un) = ravel(p);
        split_last(&jac(|x| f(&un.call(x)), &flat, Mode::Reverse, loc), p, &un)
    }
}

/// `p ↦ ∂f/∂p` by forward mode; see [`jacrev`] for the shapes.
///
/// ```
/// use cotangent::{tree, Tensor};
/// let j = tree::jacfwd(|p: &[Tensor; 2]| (&p[0] * &p[1]).sum())(&[Tensor::scalar(2.0), Tensor::scalar(5.0)]);
/// assert_eq!((j[0].item::<f64>(), j[1].item::<f64>()), (5.0, 2.0));
/// ```
#[track_caller]
pub fn jacfwd<P: Tree, F: Fn(&P) -> Tensor>(f: F) -> impl Fn(&P) -> P {
    let loc = Location::caller();
    move |p| {
        let (flat, un) = ravel(p);
        split_last(&jac(|x| f(&un.call(x)), &flat, Mode::Forward, loc), p, &un)
    }
}

/// `p ↦ [[∂²f/∂leaf_i ∂leaf_j]]` for a scalar function of a tree (forward over reverse): block
/// `(i, j)` has shape `leaf_i ++ leaf_j`, leaves numbered in [`flatten`] order.
///
/// ```
/// use cotangent::{tree, Tensor};
/// let f = |p: &(Tensor, Tensor)| &p.0.square() * &p.1;
/// let h = tree::hessian(f)(&(Tensor::scalar(3.0), Tensor::scalar(2.0)));
/// let v: Vec<Vec<f64>> = h.iter().map(|r| r.iter().map(|b| b.item::<f64>()).collect()).collect();
/// assert_eq!(v, [[4.0, 6.0], [6.0, 0.0]]);
/// ```
#[track_caller]
pub fn hessian<P: Tree, F: Fn(&P) -> Tensor>(f: F) -> impl Fn(&P) -> Vec<Vec<Tensor>> {
    let loc = Location::caller();
    move |p| {
        let (flat, un) = ravel(p);
        let grad = |x: &Tensor| {
            let (_, mut g) = value_and_grad_at(|xs| f(&un.call(&xs[0])), &[x.clone()], loc)
                .unwrap_or_else(|e| panic!("{e}"));
            g.swap_remove(0)
        };
        let full = jac(grad, &flat, Mode::Forward, loc); // [n, n]
        let leaves = flatten(p);
        let sizes = un.sizes();
        let mut row = 0;
        leaves
            .iter()
            .zip(&sizes)
            .map(|(a, &na)| {
                let mut col = 0;
                let blocks = leaves
                    .iter()
                    .zip(&sizes)
                    .map(|(b, &nb)| {
                        let mut dims = a.dims().to_vec();
                        dims.extend_from_slice(b.dims());
                        let blk = full
                            .narrow(0, row, na)
                            .narrow(1, col, nb)
                            .reshape(&dims)
                            .cast(a.dtype());
                        col += nb;
                        blk
                    })
                    .collect();
                row += na;
                blocks
            })
            .collect()
    }
}
