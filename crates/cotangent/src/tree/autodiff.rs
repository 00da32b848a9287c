//! Reverse and forward mode over trees: [`grad`] and [`value_and_grad`] return gradients
//! shaped like the parameters, `_with_aux` variants hand back auxiliary outputs (JAX's
//! `has_aux`), `_argnums` variants differentiate only some top-level children of a tuple of
//! arguments, and [`vjp`], [`jvp`] and [`linearize`] take and return trees on both sides.

use std::panic::Location;

use crate::core::{Error, Result, Tensor};
use crate::transform::grad::{value_and_grad_aux_at, vjp_n_at, Pullback};
use crate::transform::jvp::{jvp_n_at, linearize_n_at, Linearized};
use crate::tree::util::check_same_paths;
use crate::tree::{flatten, paths, unflatten, Tree};

/// An error naming the first leaf of `t` that is not floating point, by its path.
pub(crate) fn check_float_leaves<T: Tree>(op: &'static str, t: &T) -> Result<()> {
    let mut bad = None;
    t.visit_leaves("", &mut |p, x| {
        if bad.is_none() && !x.dtype().is_float() {
            bad = Some((p.to_string(), x.dtype()));
        }
    });
    match bad {
        None => Ok(()),
        Some((p, dt)) => Err(Error::dtype(
            op,
            format!(
                "leaf `{p}` is {dt}; only floating-point leaves can be differentiated (mark integer data #[tree(skip)] or pass it outside the differentiated argument)"
            ),
        )),
    }
}

/// Value, gradient and auxiliary outputs of `f` at `p`, errors attributed to `loc`.
fn value_grad_aux<P: Tree, A: Tree>(
    f: impl FnOnce(&P) -> (Tensor, A),
    p: &P,
    loc: &'static Location<'static>,
) -> Result<((Tensor, A), P)> {
    check_float_leaves("grad", p).map_err(|e| e.at(loc))?;
    let mut aux_template = None;
    let (v, grads, aux) = value_and_grad_aux_at(
        |xs| {
            let (v, aux) = f(&unflatten(p, xs.iter().cloned()));
            let leaves = flatten(&aux);
            aux_template = Some(aux);
            (v, leaves)
        },
        &flatten(p),
        loc,
    )?;
    let aux = unflatten(&aux_template.expect("f ran"), aux);
    Ok(((v, aux), unflatten(p, grads)))
}

/// The value of a scalar function of a tree and its gradient, shaped like the argument, or
/// an error (a non-float leaf, a non-scalar result).
///
/// ```
/// use cotangent::{tree, Tensor};
/// let f = |p: &(Tensor, Tensor)| (&p.0 * &p.1).sum();
/// let (v, g) = tree::try_value_and_grad(f, &(Tensor::scalar(2.0), Tensor::scalar(5.0))).unwrap();
/// assert_eq!((v.item::<f64>(), g.0.item::<f64>(), g.1.item::<f64>()), (10.0, 5.0, 2.0));
/// ```
#[track_caller]
pub fn try_value_and_grad<P: Tree>(f: impl FnOnce(&P) -> Tensor, p: &P) -> Result<(Tensor, P)> {
    let ((v, ()), g) = value_grad_aux(|p| (f(p), ()), p, Location::caller())?;
    Ok((v, g))
}

/// Like [`try_value_and_grad`] for a function that also returns auxiliary outputs (any tree:
/// predictions, metrics), which come back as plain values.
///
/// ```
/// use cotangent::{tree, Tensor};
/// let f = |w: &Tensor| { let y = w * 3.0; (y.square(), y) };
/// let ((loss, y), g) = tree::try_value_and_grad_with_aux(f, &Tensor::scalar(1.0)).unwrap();
/// assert_eq!((loss.item::<f64>(), y.item::<f64>(), g.item::<f64>()), (9.0, 3.0, 18.0));
/// ```
#[track_caller]
pub fn try_value_and_grad_with_aux<P: Tree, A: Tree>(
    f: impl FnOnce(&P) -> (Tensor, A),
    p: &P,
) -> Result<((Tensor, A), P)> {
    value_grad_aux(f, p, Location::caller())
}

/// `p ↦ (f(p), ∇f(p))` for a scalar function of a tree; the gradient is shaped like `p`.
/// Panics (at the line that made it) on a non-float leaf or a non-scalar result.
///
/// ```
/// use std::collections::BTreeMap;
/// use cotangent::{tree, Tensor};
/// let params = BTreeMap::from([
///     ("w".to_string(), Tensor::from_vec(vec![1.0, 2.0], &[2])),
///     ("b".to_string(), Tensor::scalar(0.5)),
/// ]);
/// let loss = |p: &BTreeMap<String, Tensor>| (p["w"].sum() + &p["b"]).square();
/// let (v, g) = tree::value_and_grad(loss)(&params);
/// assert_eq!(v.item::<f64>(), 12.25);
/// assert_eq!(g["w"].to_vec::<f64>(), vec![7.0, 7.0]);
/// ```
#[track_caller]
pub fn value_and_grad<P: Tree, F: Fn(&P) -> Tensor>(f: F) -> impl Fn(&P) -> (Tensor, P) {
    let loc = Location::caller();
    move |p| {
        let ((v, ()), g) = value_grad_aux(|p| (f(p), ()), p, loc).unwrap_or_else(|e| panic!("{e}"));
        (v, g)
    }
}

/// `p ↦ ∇f(p)`, shaped like `p`. Composes: `tree::grad` of a function that calls
/// `tree::grad` gives second derivatives.
///
/// ```
/// use cotangent::{tree, Tensor};
/// let g = tree::grad(|p: &[Tensor; 2]| &p[0] * &p[1].square());
/// let d = g(&[Tensor::scalar(3.0), Tensor::scalar(2.0)]);
/// assert_eq!((d[0].item::<f64>(), d[1].item::<f64>()), (4.0, 12.0));
/// ```
#[track_caller]
pub fn grad<P: Tree, F: Fn(&P) -> Tensor>(f: F) -> impl Fn(&P) -> P {
    let vg = value_and_grad(f);
    move |p| vg(p).1
}

/// Like [`grad`], returning an error instead of panicking.
///
/// ```
/// use cotangent::{tree, DType, Tensor};
/// let e = tree::try_grad(|p: &(Tensor, Tensor)| p.0.sum(), &(Tensor::scalar(1.0), Tensor::zeros(&[2], DType::I64)));
/// assert!(e.unwrap_err().to_string().contains("leaf `1` is i64"));
/// ```
#[track_caller]
pub fn try_grad<P: Tree>(f: impl FnOnce(&P) -> Tensor, p: &P) -> Result<P> {
    let ((_, ()), g) = value_grad_aux(|p| (f(p), ()), p, Location::caller())?;
    Ok(g)
}

/// `p ↦ ((f(p), aux), ∇f(p))` for a function returning `(loss, aux)` (JAX's
/// `value_and_grad(has_aux=True)`); `aux` is any tree and is not differentiated.
///
/// ```
/// use cotangent::{tree, Tensor};
/// let f = |w: &Tensor| { let pred = w * 2.0; ((&pred - 1.0).square(), pred) };
/// let ((loss, pred), g) = tree::value_and_grad_with_aux(f)(&Tensor::scalar(1.0));
/// assert_eq!((loss.item::<f64>(), pred.item::<f64>(), g.item::<f64>()), (1.0, 2.0, 4.0));
/// ```
#[track_caller]
pub fn value_and_grad_with_aux<P: Tree, A: Tree, F: Fn(&P) -> (Tensor, A)>(
    f: F,
) -> impl Fn(&P) -> ((Tensor, A), P) {
    let loc = Location::caller();
    move |p| value_grad_aux(&f, p, loc).unwrap_or_else(|e| panic!("{e}"))
}

/// `p ↦ (∇f(p), aux)` for a function returning `(loss, aux)` (JAX's `grad(has_aux=True)`).
///
/// ```
/// use cotangent::{tree, Tensor};
/// let (g, n) = tree::grad_with_aux(|w: &Tensor| (w.square().sum(), w.numel()))(&Tensor::scalar(3.0));
/// assert_eq!((g.item::<f64>(), n), (6.0, 1));
/// ```
#[track_caller]
pub fn grad_with_aux<P: Tree, A: Tree, F: Fn(&P) -> (Tensor, A)>(f: F) -> impl Fn(&P) -> (P, A) {
    let vg = value_and_grad_with_aux(f);
    move |p| {
        let ((_, aux), g) = vg(p);
        (g, aux)
    }
}

/// `args ↦ (f(args), gradient)` differentiating only the top-level children of `args` listed
/// in `argnums` (JAX's `argnums`), for `args` a tuple (or array) of trees. The gradient has the
/// shape of `args`; the children not listed are not differentiated (nothing is recorded for
/// them) and come back as zeros. Integer data can sit in an undifferentiated child.
///
/// ```
/// use cotangent::{tree, DType, Tensor};
/// // Differentiate the weights (argument 0), not the data (argument 1).
/// let loss = |(w, x): &(Tensor, Tensor)| (w * x).sum();
/// let x = Tensor::from_vec(vec![1.0, 2.0], &[2]);
/// let (v, g) = tree::value_and_grad_argnums(loss, &[0])(&(Tensor::scalar(3.0), x));
/// assert_eq!((v.item::<f64>(), g.0.item::<f64>()), (9.0, 3.0));
/// assert_eq!(g.1.to_vec::<f64>(), vec![0.0, 0.0]);
/// ```
#[track_caller]
pub fn value_and_grad_argnums<P: Tree, F: Fn(&P) -> Tensor>(
    f: F,
    argnums: &[usize],
) -> impl Fn(&P) -> (Tensor, P) + use<P, F> {
    let loc = Location::caller();
    let argnums = argnums.to_vec();
    move |p| argnums_at(&f, p, &argnums, loc).unwrap_or_else(|e| panic!("{e}"))
}

/// `args ↦ gradient` for the children of `args` listed in `argnums`; see
/// [`value_and_grad_argnums`].
///
/// ```
/// use cotangent::{tree, Tensor};
/// let g = tree::grad_argnums(|(a, b, c): &(Tensor, Tensor, Tensor)| a * b * c, &[0, 2]);
/// let d = g(&(Tensor::scalar(2.0), Tensor::scalar(3.0), Tensor::scalar(4.0)));
/// assert_eq!((d.0.item::<f64>(), d.1.item::<f64>(), d.2.item::<f64>()), (12.0, 0.0, 6.0));
/// ```
#[track_caller]
pub fn grad_argnums<P: Tree, F: Fn(&P) -> Tensor>(
    f: F,
    argnums: &[usize],
) -> impl Fn(&P) -> P + use<P, F> {
    let vg = value_and_grad_argnums(f, argnums);
    move |p| vg(p).1
}

/// The top-level child (`0`, `1`, ... of a tuple) that a leaf path belongs to.
fn top_index(path: &str) -> Option<usize> {
    path.split('.').next()?.parse().ok()
}

fn argnums_at<P: Tree>(
    f: impl FnOnce(&P) -> Tensor,
    p: &P,
    argnums: &[usize],
    loc: &'static Location<'static>,
) -> Result<(Tensor, P)> {
    let all = paths(p);
    let leaves = flatten(p);
    let picked: Vec<bool> = all
        .iter()
        .map(|path| top_index(path).is_some_and(|i| argnums.contains(&i)))
        .collect();
    let chosen: Vec<Tensor> = leaves
        .iter()
        .zip(&picked)
        .filter(|&(_, &k)| k)
        .map(|(x, _)| x.clone())
        .collect();
    for (path, (x, &k)) in all.iter().zip(leaves.iter().zip(&picked)) {
        if k && !x.dtype().is_float() {
            return Err(Error::dtype(
                "grad",
                format!(
                    "leaf `{path}` is {}; only floating-point leaves can be differentiated",
                    x.dtype()
                ),
            )
            .at(loc));
        }
    }
    let merge = |sel: &[Tensor], rest: &dyn Fn(&Tensor) -> Tensor| {
        let mut sel = sel.iter();
        let full: Vec<Tensor> = leaves
            .iter()
            .zip(&picked)
            .map(|(x, &k)| {
                if k {
                    sel.next().expect("one per picked leaf").clone()
                } else {
                    rest(x)
                }
            })
            .collect();
        unflatten(p, full)
    };
    let (v, grads, _) = value_and_grad_aux_at(
        |xs| (f(&merge(xs, &|x| x.clone())), Vec::new()),
        &chosen,
        loc,
    )?;
    Ok((v, merge(&grads, &Tensor::zeros_like)))
}

/// The pullback of a tree function, from [`vjp`]: maps an output cotangent (shaped like the
/// output) to input cotangents (shaped like the input).
pub struct TreePullback<P, O> {
    inner: Pullback,
    input: P,
    output: O,
}

impl<P: Tree, O: Tree> TreePullback<P, O> {
    /// The input cotangent for the output cotangent `u`, or an error when `u` is not shaped
    /// like the output.
    #[track_caller]
    pub fn try_call(&self, u: &O) -> Result<P> {
        let loc = Location::caller();
        check_same_paths("vjp", &paths(&self.output), &paths(u)).map_err(|e| e.at(loc))?;
        let g = self.inner.try_call_n(&flatten(u)).map_err(|e| e.at(loc))?;
        Ok(unflatten(&self.input, g))
    }

    /// Like [`TreePullback::try_call`], panicking on a mismatched cotangent.
    #[track_caller]
    pub fn call(&self, u: &O) -> P {
        self.try_call(u).unwrap_or_else(|e| panic!("{e}"))
    }
}

/// `(f(p), pullback)` for a function between trees (JAX's `vjp`).
///
/// ```
/// use cotangent::{tree, Tensor};
/// let f = |p: &(Tensor, Tensor)| (&p.0 * &p.1, p.0.exp());
/// let ((y0, _), pb) = tree::vjp(f, &(Tensor::scalar(2.0), Tensor::scalar(3.0)));
/// assert_eq!(y0.item::<f64>(), 6.0);
/// let g = pb.call(&(Tensor::scalar(1.0), Tensor::scalar(0.0)));
/// assert_eq!((g.0.item::<f64>(), g.1.item::<f64>()), (3.0, 2.0));
/// ```
#[track_caller]
pub fn vjp<P: Tree, O: Tree>(f: impl FnOnce(&P) -> O, p: &P) -> (O, TreePullback<P, O>) {
    let loc = Location::caller();
    let run = || {
        check_float_leaves("vjp", p)?;
        let mut template = None;
        let (ys, inner) = vjp_n_at(
            |xs| {
                let o = f(&unflatten(p, xs.iter().cloned()));
                let leaves = flatten(&o);
                template = Some(o);
                leaves
            },
            &flatten(p),
            loc,
        )?;
        let template = template.expect("f ran");
        let out = unflatten(&template, ys);
        Ok::<_, Error>((
            out,
            TreePullback {
                inner,
                input: p.clone(),
                output: template,
            },
        ))
    };
    run()
        .map_err(|e| e.at(loc))
        .unwrap_or_else(|e| panic!("{e}"))
}

/// `(f(p), J·t)` for a function between trees, by forward mode; `t` is shaped like `p`, the
/// tangent like the output.
///
/// ```
/// use cotangent::{tree, Tensor};
/// let f = |p: &(Tensor, Tensor)| vec![&p.0 * &p.1];
/// let p = (Tensor::scalar(2.0), Tensor::scalar(3.0));
/// let (y, t) = tree::jvp(f, &p, &(Tensor::scalar(1.0), Tensor::scalar(10.0)));
/// assert_eq!((y[0].item::<f64>(), t[0].item::<f64>()), (6.0, 23.0));
/// ```
#[track_caller]
pub fn jvp<P: Tree, O: Tree>(f: impl FnOnce(&P) -> O, p: &P, t: &P) -> (O, O) {
    let loc = Location::caller();
    let run = || {
        check_float_leaves("jvp", p)?;
        check_same_paths("jvp", &paths(p), &paths(t))?;
        let mut template = None;
        let (ys, ts) = jvp_n_at(
            |xs| {
                let o = f(&unflatten(p, xs.iter().cloned()));
                let leaves = flatten(&o);
                template = Some(o);
                leaves
            },
            &flatten(p),
            &flatten(t),
            loc,
        )?;
        let template = template.expect("f ran");
        Ok::<_, Error>((unflatten(&template, ys), unflatten(&template, ts)))
    };
    run()
        .map_err(|e| e.at(loc))
        .unwrap_or_else(|e| panic!("{e}"))
}

/// A tree function linearized at a point, from [`linearize`].
pub struct TreeLinearized<P, O> {
    inner: Linearized,
    input: P,
    output: O,
}

impl<P: Tree, O: Tree> TreeLinearized<P, O> {
    /// `J·t` (shaped like the output) for a tangent `t` shaped like the input.
    #[track_caller]
    pub fn try_call(&self, t: &P) -> Result<O> {
        let loc = Location::caller();
        check_same_paths("linearize", &paths(&self.input), &paths(t)).map_err(|e| e.at(loc))?;
        let ts = self.inner.try_call_n(&flatten(t)).map_err(|e| e.at(loc))?;
        Ok(unflatten(&self.output, ts))
    }

    /// Like [`TreeLinearized::try_call`], panicking on a mismatched tangent.
    #[track_caller]
    pub fn call(&self, t: &P) -> O {
        self.try_call(t).unwrap_or_else(|e| panic!("{e}"))
    }
}

/// Run a function between trees once and return its value and linearization (JAX's
/// `linearize`).
///
/// ```
/// use cotangent::{tree, Tensor};
/// let (y, lin) = tree::linearize(|p: &[Tensor; 2]| (p[0].exp(), &p[0] * &p[1]), &[Tensor::scalar(0.0), Tensor::scalar(2.0)]);
/// let t = lin.call(&[Tensor::scalar(1.0), Tensor::scalar(0.0)]);
/// assert_eq!((y.0.item::<f64>(), t.0.item::<f64>(), t.1.item::<f64>()), (1.0, 1.0, 2.0));
/// ```
#[track_caller]
pub fn linearize<P: Tree, O: Tree>(f: impl FnOnce(&P) -> O, p: &P) -> (O, TreeLinearized<P, O>) {
    let loc = Location::caller();
    let run = || {
        check_float_leaves("linearize", p)?;
        let mut template = None;
        let (ys, inner) = linearize_n_at(
            |xs| {
                let o = f(&unflatten(p, xs.iter().cloned()));
                let leaves = flatten(&o);
                template = Some(o);
                leaves
            },
            &flatten(p),
            loc,
        )?;
        let template = template.expect("f ran");
        Ok::<_, Error>((
            unflatten(&template, ys),
            TreeLinearized {
                inner,
                input: p.clone(),
                output: template,
            },
        ))
    };
    run()
        .map_err(|e| e.at(loc))
        .unwrap_or_else(|e| panic!("{e}"))
}
