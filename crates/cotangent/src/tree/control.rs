//! Control flow over trees: loop carries, scanned sequences, per-step outputs and branch
//! operands can be any trees (they are flattened into the slice-based constructs of
//! [`crate::control`]). Each panics at the line that called it on a carry that changes
//! structure, shape or dtype.

use std::cell::RefCell;

use crate::core::Tensor;
use crate::tree::util::skeleton;
use crate::tree::{flatten, unflatten, Tree};

/// `(carry, ys)`: run `f(carry, x) -> (carry, y)` over the leading axis of every leaf of `xs`
/// (JAX's `lax.scan`); `ys` is shaped like one step's `y` with each leaf stacked along a new
/// leading axis.
///
/// ```
/// use cotangent::{tree, Tensor};
/// // A running (sum, count) over a sequence.
/// let xs = Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3]);
/// let init = (Tensor::scalar(0.0), Tensor::scalar(0.0));
/// let ((s, n), partial) = tree::scan(|(s, n): &(Tensor, Tensor), x: &Tensor| {
///     let s = s + x;
///     ((s.clone(), n + 1.0), s)
/// }, &init, &xs);
/// assert_eq!((s.item::<f64>(), n.item::<f64>()), (6.0, 3.0));
/// assert_eq!(partial.to_vec::<f64>(), vec![1.0, 3.0, 6.0]);
/// ```
#[track_caller]
pub fn scan<C: Tree, X: Tree, Y: Tree>(f: impl Fn(&C, &X) -> (C, Y), init: &C, xs: &X) -> (C, Y) {
    let y_template: RefCell<Option<Y>> = RefCell::new(None);
    let (c_skel, x_skel) = (skeleton(init), skeleton(xs));
    let (c, ys) = crate::control::scan(
        |c, x| {
            let (c, y) = f(
                &unflatten(&c_skel, c.iter().cloned()),
                &unflatten(&x_skel, x.iter().cloned()),
            );
            let leaves = flatten(&y);
            *y_template.borrow_mut() = Some(skeleton(&y));
            (flatten(&c), leaves)
        },
        &flatten(init),
        &flatten(xs),
    );
    let y = y_template.into_inner().expect("the body ran");
    (unflatten(init, c), unflatten(&y, ys))
}

/// Run `body` while `cond_fn` holds, on a carry that is any tree (JAX's `lax.while_loop`).
///
/// ```
/// use cotangent::{tree, Tensor};
/// let (x, steps) = tree::while_loop(
///     |(x, _): &(Tensor, Tensor)| x.lt(&Tensor::scalar(100.0)),
///     |(x, n): &(Tensor, Tensor)| (x * 3.0, n + 1.0),
///     &(Tensor::scalar(1.0), Tensor::scalar(0.0)),
/// );
/// assert_eq!((x.item::<f64>(), steps.item::<f64>()), (243.0, 5.0));
/// ```
#[track_caller]
pub fn while_loop<C: Tree>(cond_fn: impl Fn(&C) -> Tensor, body: impl Fn(&C) -> C, init: &C) -> C {
    let skel = skeleton(init);
    let out = crate::control::while_loop(
        |c| cond_fn(&unflatten(&skel, c.iter().cloned())),
        |c| flatten(&body(&unflatten(&skel, c.iter().cloned()))),
        &flatten(init),
    );
    unflatten(init, out)
}

/// Run `body(i, carry)` for `i` in `lower..upper` on a carry that is any tree (JAX's
/// `lax.fori_loop`); the bounds are integers or integer scalar tensors.
///
/// ```
/// use cotangent::{tree, DType, Tensor};
/// let (a, b) = tree::fori_loop(0, 10, |_, (a, b): &(Tensor, Tensor)| (b.clone(), a + b),
///     &(Tensor::scalar(0.0), Tensor::scalar(1.0)));
/// assert_eq!((a.item::<f64>(), b.item::<f64>()), (55.0, 89.0)); // Fibonacci
/// ```
#[track_caller]
pub fn fori_loop<C: Tree>(
    lower: impl crate::LoopBound,
    upper: impl crate::LoopBound,
    body: impl Fn(&Tensor, &C) -> C,
    init: &C,
) -> C {
    let skel = skeleton(init);
    let out = crate::control::fori_loop(
        lower,
        upper,
        |i, c| flatten(&body(i, &unflatten(&skel, c.iter().cloned()))),
        &flatten(init),
    );
    unflatten(init, out)
}

/// `true_fn(operand)` or `false_fn(operand)` by a scalar predicate that may be traced (JAX's
/// `lax.cond`); both branches must return trees of the same structure, shapes and dtypes.
///
/// ```
/// use cotangent::{tree, Tensor};
/// let x = Tensor::scalar(-2.0);
/// let (y, flag) = tree::cond(&x.lt(&Tensor::scalar(0.0)),
///     |x: &Tensor| (-x, Tensor::scalar(1.0)),
///     |x: &Tensor| (x.clone(), Tensor::scalar(0.0)), &x);
/// assert_eq!((y.item::<f64>(), flag.item::<f64>()), (2.0, 1.0));
/// ```
#[track_caller]
pub fn cond<P: Tree, O: Tree>(
    pred: &Tensor,
    true_fn: impl FnOnce(&P) -> O,
    false_fn: impl FnOnce(&P) -> O,
    operand: &P,
) -> O {
    let template: RefCell<Option<O>> = RefCell::new(None);
    let skel = skeleton(operand);
    let run = |branch: &dyn Fn(&P) -> O, xs: &[Tensor]| {
        let o = branch(&unflatten(&skel, xs.iter().cloned()));
        let leaves = flatten(&o);
        template.borrow_mut().get_or_insert_with(|| skeleton(&o));
        leaves
    };
    let (t, f) = (RefCell::new(Some(true_fn)), RefCell::new(Some(false_fn)));
    let ys = crate::control::cond(
        pred,
        |xs| run(&|p| (t.borrow_mut().take().expect("once"))(p), xs),
        |xs| run(&|p| (f.borrow_mut().take().expect("once"))(p), xs),
        &flatten(operand),
    );
    let o = template.into_inner().expect("a branch ran");
    unflatten(&o, ys)
}
