//! `vmap` over trees, with `in_axes` given as a tree *prefix* (as in JAX): one axis for a
//! whole argument, or a list with one entry per child, recursively.

use std::panic::Location;

use crate::core::{Error, Result};
use crate::transform::vmap::try_vmap_call;
use crate::tree::{flatten, paths, unflatten, Tree};

/// Which axis of each leaf is the batch axis, as a prefix of the argument tree: `Leaf(axis)`
/// applies to every leaf below it (`None`: not batched, the same value for every example);
/// `Node(children)` has one entry per child of a tuple, array, `Vec`, map or struct, in leaf
/// order. Children without leaves (a number, an empty `Vec`, a `None`) take no entry.
///
/// ```
/// use cotangent::tree::Axes;
/// // (params, x): params shared, x batched along axis 0.
/// let a = Axes::from([None, Some(0)]);
/// assert_eq!(a, Axes::Node(vec![Axes::Leaf(None), Axes::Leaf(Some(0))]));
/// assert_eq!(Axes::from(1), Axes::Leaf(Some(1)));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Axes {
    /// The same batch axis (or none) for every leaf of this subtree.
    Leaf(Option<usize>),
    /// One entry per child that has leaves.
    Node(Vec<Axes>),
}

impl From<usize> for Axes {
    fn from(a: usize) -> Axes {
        Axes::Leaf(Some(a))
    }
}

impl From<Option<usize>> for Axes {
    fn from(a: Option<usize>) -> Axes {
        Axes::Leaf(a)
    }
}

impl<const N: usize> From<[Option<usize>; N]> for Axes {
    fn from(a: [Option<usize>; N]) -> Axes {
        Axes::Node(a.into_iter().map(Axes::Leaf).collect())
    }
}

impl<const N: usize> From<[Axes; N]> for Axes {
    fn from(a: [Axes; N]) -> Axes {
        Axes::Node(a.into())
    }
}

impl From<Vec<Axes>> for Axes {
    fn from(a: Vec<Axes>) -> Axes {
        Axes::Node(a)
    }
}

/// The batch axis of each leaf, from the prefix `axes` matched against the leaf paths
/// (`paths[i]` split into segments, `depth` segments already consumed).
fn assign(
    axes: &Axes,
    paths: &[Vec<&str>],
    depth: usize,
    out: &mut Vec<Option<usize>>,
) -> Result<()> {
    match axes {
        Axes::Leaf(a) => {
            out.extend(std::iter::repeat_n(*a, paths.len()));
            Ok(())
        }
        Axes::Node(children) => {
            // Group consecutive leaves by their path segment at this depth.
            let mut groups: Vec<&[Vec<&str>]> = Vec::new();
            let mut start = 0;
            for i in 1..=paths.len() {
                if i == paths.len() || paths[i].get(depth) != paths[start].get(depth) {
                    groups.push(&paths[start..i]);
                    start = i;
                }
            }
            if groups.len() != children.len() {
                let names: Vec<&str> = groups
                    .iter()
                    .map(|g| g[0].get(depth).copied().unwrap_or("(leaf)"))
                    .collect();
                return Err(Error::usage(
                    "vmap",
                    format!(
                        "in_axes has {} entries here but the tree has {} children with leaves ({})",
                        children.len(),
                        groups.len(),
                        names.join(", ")
                    ),
                ));
            }
            for (g, c) in groups.into_iter().zip(children) {
                assign(c, g, depth + 1, out)?;
            }
            Ok(())
        }
    }
}

/// Vectorize a function between trees: `in_axes` is a prefix of the argument tree giving each
/// leaf's batch axis (see [`Axes`]); every output leaf gets its batch axis at `out_axis`.
/// Panics (at the line that made it) on axes that do not fit.
///
/// ```
/// use cotangent::tree::{self, Axes};
/// use cotangent::Tensor;
/// // Per-example gradients of a linear model: params shared, examples batched.
/// let loss = |(w, x): &(Tensor, Tensor)| (w * x).sum().square();
/// let per_example = tree::vmap(tree::grad_argnums(loss, &[0]), [None, Some(0)], 0);
/// let xs = Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3]);
/// let g = per_example(&(Tensor::scalar(2.0), xs));
/// assert_eq!(g.0.to_vec::<f64>(), vec![4.0, 16.0, 36.0]); // d/dw (w·x)² = 2·w·x²
/// ```
#[track_caller]
pub fn vmap<P: Tree, O: Tree, F: Fn(&P) -> O>(
    f: F,
    in_axes: impl Into<Axes>,
    out_axis: usize,
) -> impl Fn(&P) -> O {
    let loc = Location::caller();
    let in_axes = in_axes.into();
    move |p| {
        vmap_at(&f, p, &in_axes, out_axis)
            .map_err(|e| e.at(loc))
            .unwrap_or_else(|e| panic!("{e}"))
    }
}

fn vmap_at<P: Tree, O: Tree>(
    f: impl FnOnce(&P) -> O,
    p: &P,
    in_axes: &Axes,
    out_axis: usize,
) -> Result<O> {
    let names = paths(p);
    let split: Vec<Vec<&str>> = names
        .iter()
        .map(|n| {
            if n.is_empty() {
                Vec::new()
            } else {
                n.split('.').collect()
            }
        })
        .collect();
    let mut axes = Vec::with_capacity(split.len());
    assign(in_axes, &split, 0, &mut axes)?;
    let mut template = None;
    let ys = try_vmap_call(
        |xs| {
            let o = f(&unflatten(p, xs.iter().cloned()));
            let leaves = flatten(&o);
            template = Some(o);
            leaves
        },
        &flatten(p),
        &axes,
        &[out_axis],
    )?;
    Ok(unflatten(&template.expect("f was traced"), ys))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_that_does_not_fit_names_the_children() {
        let split = vec![vec!["0"], vec!["1", "a"], vec!["1", "b"]];
        let mut out = Vec::new();
        let e = assign(&Axes::from([None, None, None]), &split, 0, &mut out).unwrap_err();
        assert!(
            e.to_string()
                .contains("3 entries here but the tree has 2 children"),
            "{e}"
        );
        let mut out = Vec::new();
        assign(
            &Axes::from([Axes::from(None), Axes::from([Some(0), None])]),
            &split,
            0,
            &mut out,
        )
        .unwrap();
        assert_eq!(out, [None, Some(0), None]);
    }
}
