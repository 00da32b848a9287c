//! Working with any [`Tree`]: its leaves ([`flatten`]), their paths ([`paths`]), rebuilding a
//! structure from new leaves ([`unflatten`]), and mapping over one or two trees leaf by leaf.

use std::panic::Location;

use crate::core::{Error, Result, Tensor};
use crate::tree::Tree;

/// The leaves of `t`, in order.
///
/// ```
/// use cotangent::{tree, Tensor};
/// let t = (Tensor::scalar(1.0), [Tensor::scalar(2.0), Tensor::scalar(3.0)]);
/// let v: Vec<f64> = tree::flatten(&t).iter().map(|x| x.item::<f64>()).collect();
/// assert_eq!(v, [1.0, 2.0, 3.0]);
/// ```
pub fn flatten<T: Tree>(t: &T) -> Vec<Tensor> {
    let mut out = Vec::new();
    t.for_each_leaf(&mut |x| out.push(x.clone()));
    out
}

/// The number of leaves of `t`.
///
/// ```
/// use cotangent::{tree, Tensor};
/// assert_eq!(tree::num_leaves(&(Tensor::scalar(1.0), 3.0f64, vec![Tensor::scalar(2.0)])), 2);
/// ```
pub fn num_leaves<T: Tree>(t: &T) -> usize {
    let mut n = 0;
    t.for_each_leaf(&mut |_| n += 1);
    n
}

/// The dotted path of every leaf of `t`, in order.
///
/// ```
/// use std::collections::BTreeMap;
/// use cotangent::{tree, Tensor};
/// let m = BTreeMap::from([("b".to_string(), Tensor::scalar(1.0)), ("a".to_string(), Tensor::scalar(2.0))]);
/// assert_eq!(tree::paths(&(m, Some(Tensor::scalar(0.0)))), ["0.a", "0.b", "1"]);
/// ```
pub fn paths<T: Tree>(t: &T) -> Vec<String> {
    let mut out = Vec::new();
    t.visit_leaves("", &mut |p, _| out.push(p.to_string()));
    out
}

/// A copy of `template`'s structure with its leaves replaced, in order, by `leaves`; an error
/// naming both counts unless there are exactly as many leaves as the structure has.
///
/// ```
/// use cotangent::{tree, Tensor};
/// let t = (Tensor::scalar(1.0), Tensor::scalar(2.0));
/// assert!(tree::try_unflatten(&t, vec![Tensor::scalar(5.0)]).is_err());
/// ```
#[track_caller]
pub fn try_unflatten<T: Tree>(template: &T, leaves: impl IntoIterator<Item = Tensor>) -> Result<T> {
    let loc = Location::caller();
    let mut out = template.clone();
    let mut leaves = leaves.into_iter();
    let (mut used, mut missing) = (0usize, false);
    out.for_each_leaf_mut(&mut |slot| match leaves.next() {
        Some(x) => {
            *slot = x;
            used += 1;
        }
        None => missing = true,
    });
    let extra = leaves.count();
    if missing || extra > 0 {
        let have = used + extra;
        return Err(Error::usage(
            "unflatten",
            format!(
                "the structure has {} leaves but {have} tensors were given",
                num_leaves(template)
            ),
        )
        .at(loc));
    }
    Ok(out)
}

/// A copy of `template`'s structure with its leaves replaced, in order, by `leaves`. Panics
/// (at the caller) when the counts differ; see [`try_unflatten`].
///
/// ```
/// use cotangent::{tree, Tensor};
/// let t = (Tensor::scalar(1.0), vec![Tensor::scalar(2.0)]);
/// let u = tree::unflatten(&t, vec![Tensor::scalar(5.0), Tensor::scalar(6.0)]);
/// assert_eq!(u.1[0].item::<f64>(), 6.0);
/// ```
#[track_caller]
pub fn unflatten<T: Tree>(template: &T, leaves: impl IntoIterator<Item = Tensor>) -> T {
    try_unflatten(template, leaves).unwrap_or_else(|e| panic!("{e}"))
}

/// `t` with `f` applied to every leaf.
///
/// ```
/// use cotangent::{tree, Tensor};
/// let t = vec![Tensor::scalar(1.0), Tensor::scalar(2.0)];
/// let doubled = tree::tree_map(&t, |x| x * 2.0);
/// assert_eq!(doubled[1].item::<f64>(), 4.0);
/// ```
pub fn tree_map<T: Tree>(t: &T, mut f: impl FnMut(&Tensor) -> Tensor) -> T {
    let mut out = t.clone();
    out.for_each_leaf_mut(&mut |x| *x = f(x));
    out
}

/// The leaves of `a` and `b` in pairs; panics (at the caller) if the two trees have different
/// paths, naming the first difference.
///
/// ```
/// use cotangent::{tree, Tensor};
/// let a = (Tensor::scalar(1.0), Tensor::scalar(2.0));
/// let b = (Tensor::scalar(10.0), Tensor::scalar(20.0));
/// let sums: Vec<f64> = tree::tree_zip(&a, &b).iter().map(|(x, y)| (x + y).item::<f64>()).collect();
/// assert_eq!(sums, [11.0, 22.0]);
/// ```
#[track_caller]
pub fn tree_zip<A: Tree, B: Tree>(a: &A, b: &B) -> Vec<(Tensor, Tensor)> {
    check_same_paths("tree_zip", &paths(a), &paths(b)).unwrap_or_else(|e| panic!("{e}"));
    flatten(a).into_iter().zip(flatten(b)).collect()
}

/// `a` with `f(a_leaf, b_leaf)` at every leaf, for two trees of the same structure (JAX's
/// `tree_map` over two trees); panics (at the caller) when their paths differ.
///
/// ```
/// use cotangent::{tree, Tensor};
/// let p = vec![Tensor::scalar(1.0), Tensor::scalar(2.0)];
/// let g = vec![Tensor::scalar(0.5), Tensor::scalar(1.0)];
/// let stepped = tree::tree_map2(&p, &g, |p, g| p - &(g * 0.1));
/// assert!((stepped[1].item::<f64>() - 1.9).abs() < 1e-15);
/// ```
#[track_caller]
pub fn tree_map2<T: Tree>(a: &T, b: &T, mut f: impl FnMut(&Tensor, &Tensor) -> Tensor) -> T {
    let mut bs = tree_zip(a, b).into_iter();
    tree_map(a, |x| {
        let (_, y) = bs.next().expect("zipped leaves");
        f(x, &y)
    })
}

/// `t` with every leaf replaced by zeros of its shape and dtype.
///
/// ```
/// use cotangent::{tree, Tensor};
/// let z = tree::zeros_like(&(Tensor::scalar(3.0), 1usize));
/// assert_eq!(z.0.item::<f64>(), 0.0);
/// ```
pub fn zeros_like<T: Tree>(t: &T) -> T {
    tree_map(t, Tensor::zeros_like)
}

/// An error naming `op` and the first differing leaf unless the two path lists are equal.
pub(crate) fn check_same_paths(op: &'static str, a: &[String], b: &[String]) -> Result<()> {
    if a == b {
        return Ok(());
    }
    let i = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let show = |v: &[String]| v.get(i).map_or("nothing".to_string(), |p| format!("`{p}`"));
    Err(Error::usage(
        op,
        format!(
            "the trees differ: {} leaves and {} leaves; leaf {i} is {} in one and {} in the other",
            a.len(),
            b.len(),
            show(a),
            show(b)
        ),
    ))
}

/// `t` with every leaf replaced by a rank-0 zero of its dtype: the structure alone, holding no
/// tensor of the caller's (so a staged function does not keep its inputs alive).
pub(crate) fn skeleton<T: Tree>(t: &T) -> T {
    tree_map(t, |x| Tensor::zeros(&[], x.dtype()))
}
