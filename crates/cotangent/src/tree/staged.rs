//! `jit`, `checkpoint` and `custom_vjp` over trees. The compiled or staged function works on
//! the flattened leaves; the tree structure is rebuilt around it. `jit` keeps one compiled
//! program per structure *and static data* of the argument (the leaf paths and the values of
//! number, `bool` and `String` fields, see [`Tree::hash_static`]), so a changed
//! hyperparameter retraces instead of reusing a program that baked in the old value.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::Hasher;
use std::panic::Location;
use std::rc::Rc;
use std::sync::Arc;

use crate::core::Tensor;
use crate::jit::Jit;
use crate::transform::checkpoint::checkpoint_at;
use crate::transform::custom::custom_vjp_at;
use crate::tree::util::skeleton;
use crate::tree::{flatten, paths, unflatten, Tree};

/// A key for the structure and static data of `t`.
fn structure_key<T: Tree>(t: &T) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    for p in paths(t) {
        h.write(p.as_bytes());
        h.write_u8(0xff);
    }
    t.hash_static(&mut h);
    h.finish()
}

/// The flattened function a [`jit`] compiles.
type Body<'a> = Box<dyn Fn(&[Tensor]) -> Vec<Tensor> + 'a>;
type Program<'a> = Jit<Body<'a>>;
/// Where a trace leaves the structure of its output.
type OutSlot<O> = Rc<RefCell<Option<O>>>;

/// One compiled program per argument structure, with the output structure it returns.
struct Cache<'a, O> {
    programs: HashMap<u64, (Program<'a>, OutSlot<O>)>,
}

/// Compile a function between trees (see [`crate::jit()`]): traced once per argument structure,
/// static data and leaf shapes, then run as one optimized program.
///
/// ```
/// use cotangent::{tree, Tensor};
/// #[derive(Clone, tree::Tree)]
/// struct Step { w: Tensor, lr: f64 }
/// let step = tree::jit(|s: &Step| Step { w: &s.w - &(&s.w * s.lr), lr: s.lr });
/// let a = step(&Step { w: Tensor::scalar(1.0), lr: 0.5 });
/// let b = step(&Step { w: Tensor::scalar(1.0), lr: 0.25 }); // a new lr retraces
/// assert_eq!((a.w.item::<f64>(), b.w.item::<f64>()), (0.5, 0.75));
/// ```
pub fn jit<'a, P: Tree + 'a, O: Tree + 'a, F: Fn(&P) -> O + 'a>(f: F) -> impl Fn(&P) -> O + 'a {
    let f = Rc::new(f);
    let cache = RefCell::new(Cache::<O> {
        programs: HashMap::new(),
    });
    move |p: &P| {
        let key = structure_key(p);
        let mut cache = cache.borrow_mut();
        let (program, out) = cache.programs.entry(key).or_insert_with(|| {
            let out: OutSlot<O> = Rc::new(RefCell::new(None));
            let (f, template, slot) = (f.clone(), skeleton(p), out.clone());
            let body: Body<'a> = Box::new(move |xs: &[Tensor]| {
                let o = f(&unflatten(&template, xs.iter().cloned()));
                let leaves = flatten(&o);
                // Keep the structure only: no traced value outlives the trace.
                *slot.borrow_mut() = Some(skeleton(&o));
                leaves
            });
            (Jit::new(body), out)
        });
        let ys = program.call(&flatten(p));
        let template = out.borrow();
        unflatten(template.as_ref().expect("traced"), ys)
    }
}

/// Recompute-in-backward for a scalar-or-tensor function of a tree (see
/// [`crate::checkpoint()`]).
///
/// ```
/// use cotangent::{tree, Tensor};
/// let block = tree::checkpoint(|p: &(Tensor, Tensor)| (&p.0 * &p.1).sin());
/// let g = tree::grad(|p: &(Tensor, Tensor)| block(p))(&(Tensor::scalar(0.0), Tensor::scalar(2.0)));
/// assert_eq!(g.0.item::<f64>(), 2.0);
/// ```
#[track_caller]
pub fn checkpoint<P, F>(f: F) -> impl Fn(&P) -> Tensor
where
    P: Tree + Send + Sync + 'static,
    F: Fn(&P) -> Tensor + Send + Sync + 'static,
{
    let loc = Location::caller();
    let f = Arc::new(f);
    move |p: &P| {
        let (f, template) = (f.clone(), skeleton(p));
        let inner = move |xs: &[Tensor]| f(&unflatten(&template, xs.iter().cloned()));
        checkpoint_at(Arc::new(inner), loc)(&flatten(p))
    }
}

/// A tensor function of a tree with a user-supplied reverse-mode rule
/// `rule(primals, output, cotangent) -> cotangent shaped like the primals` (see
/// [`crate::custom_vjp()`]).
///
/// ```
/// use cotangent::{tree, Tensor};
/// // Forward: x·y. Backward: a deliberately scaled rule, to show it is used.
/// let f = tree::custom_vjp(
///     |p: &(Tensor, Tensor)| &p.0 * &p.1,
///     |p: &(Tensor, Tensor), _out: &Tensor, g: &Tensor| (g * &p.1 * 10.0, g * &p.0 * 10.0),
/// );
/// let g = tree::grad(|p: &(Tensor, Tensor)| f(p))(&(Tensor::scalar(2.0), Tensor::scalar(3.0)));
/// assert_eq!((g.0.item::<f64>(), g.1.item::<f64>()), (30.0, 20.0));
/// ```
#[track_caller]
pub fn custom_vjp<P, F, R>(f: F, rule: R) -> impl Fn(&P) -> Tensor
where
    P: Tree + Send + Sync + 'static,
    F: Fn(&P) -> Tensor + Send + Sync + 'static,
    R: Fn(&P, &Tensor, &Tensor) -> P + Send + Sync + 'static,
{
    let loc = Location::caller();
    let (f, rule) = (Arc::new(f), Arc::new(rule));
    move |p: &P| {
        let (f, rule) = (f.clone(), rule.clone());
        let (t1, t2) = (skeleton(p), skeleton(p));
        let inner = move |xs: &[Tensor]| f(&unflatten(&t1, xs.iter().cloned()));
        let inner_rule = move |xs: &[Tensor], out: &Tensor, g: &Tensor| {
            flatten(&rule(&unflatten(&t2, xs.iter().cloned()), out, g))
        };
        custom_vjp_at(Arc::new(inner), Arc::new(inner_rule), loc)(&flatten(p))
    }
}
