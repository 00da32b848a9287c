//! `vmap`: vectorizing a function over a batch axis. The function is traced once at the shape
//! of one example; the graph is then replayed with every primitive's batching rule
//! ([`crate::prim::Primitive::batch`]), so the batch runs through whole-array kernels (no loop
//! over examples). An equation none of whose operands is batched is replayed as it is. Replaying
//! uses ordinary tensor ops, so `vmap` composes with `grad`, `jvp`, `jacfwd`/`jacrev` (which
//! use it to push all basis vectors through one pass), `jit` and itself.
//!
//! Every built-in primitive has a rule, and so do `custom_vjp`, `custom_jvp` and `checkpoint`
//! (they batch into the same kind of primitive carrying the mapped function and rule). A
//! user-defined primitive without one is applied once per example and the results stacked;
//! [`crate::vmap_fallbacks`] counts those fallbacks.

use std::panic::Location;

use crate::core::bind::bind_at;
use crate::core::multi::{bind_multi, Tuple};
use crate::core::tensor::Inputs;
use crate::core::{Error, Result, Tensor};
use crate::ir::{try_trace_n, Graph, Var};
use crate::prim::Aval;
use crate::transform::stats::count_vmap_fallback;

pub(crate) use crate::prim::batching::{batch_at, move_axis};

thread_local! {
    /// The level bits of the `vmap` traces running on this thread (the per-example traces).
    static PER_EXAMPLE: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Marks a trace's bit as a `vmap`'s per-example trace while it lives.
struct PerExample(u64);

impl PerExample {
    fn enter(bit: u64) -> PerExample {
        PER_EXAMPLE.with(|p| p.set(p.get() | bit));
        PerExample(bit)
    }
}

impl Drop for PerExample {
    fn drop(&mut self) {
        PER_EXAMPLE.with(|p| p.set(p.get() & !self.0));
    }
}

/// Whether some of `xs` are values of a `vmap`'s per-example trace and every active level
/// tracking any of them is such a trace (so what is recorded on them is only ever batched).
pub(crate) fn in_per_example_trace(xs: &[Tensor]) -> bool {
    let vmaps = PER_EXAMPLE.with(std::cell::Cell::get);
    let act = crate::core::level::active() | crate::core::level::tracing();
    let levels = xs.iter().fold(0, |l, x| l | (x.levels() & act));
    levels != 0 && levels & !vmaps == 0
}

/// Replay `graph` on `args`, each batched along `dims[i]` with `size` examples. Returns the
/// outputs with their batch axes.
pub(crate) fn batch_graph(
    graph: &Graph,
    args: &[Tensor],
    dims: &[Option<usize>],
    size: usize,
) -> Result<Vec<(Tensor, Option<usize>)>> {
    graph.interpret(
        |v| match v {
            Var::Input(i) => (args[i as usize].clone(), dims[i as usize]),
            Var::Const(i) => (graph.consts()[i as usize].clone(), None),
            Var::Eqn(_) => unreachable!("equations are read from the environment"),
        },
        |_, eqn, operands| {
            let (xs, ds): (Vec<Tensor>, Vec<Option<usize>>) = operands.into_iter().unzip();
            if ds.iter().all(Option::is_none) {
                let inputs: Inputs = xs.into_iter().collect();
                return Ok((bind_at(eqn.prim.clone(), inputs, eqn.location)?, None));
            }
            Ok(
                match eqn
                    .prim
                    .batch(&xs, &ds, size)
                    .map_err(|e| e.at(eqn.location))?
                {
                    Some(out) => out,
                    None => {
                        count_vmap_fallback();
                        (per_example(eqn, &xs, &ds, size)?, Some(0))
                    }
                },
            )
        },
        |_, eqn, t, operands| {
            let (xs, ds): (Vec<Tensor>, Vec<Option<usize>>) = operands.into_iter().unzip();
            if ds.iter().all(Option::is_none) {
                let outs = bind_multi(t.multi.clone(), xs.into_iter().collect(), eqn.location)?;
                return Ok(outs.into_iter().map(|o| (o, None)).collect());
            }
            match t
                .multi
                .batch(&xs, &ds, size)
                .map_err(|e| e.at(eqn.location))?
            {
                Some(outs) => Ok(outs),
                None => {
                    count_vmap_fallback();
                    per_example_multi(eqn, t, &xs, &ds, size)
                }
            }
        },
    )
}

/// One example of each of `xs` (batched at `ds`).
fn example(xs: &[Tensor], ds: &[Option<usize>], b: usize) -> Result<Inputs> {
    xs.iter()
        .zip(ds)
        .map(|(x, d)| match d {
            Some(d) => x.try_narrow(*d as isize, b, 1)?.try_squeeze(*d as isize),
            None => Ok(x.clone()),
        })
        .collect()
}

/// [`per_example`] for a multi-output primitive: each output stacked at axis 0.
fn per_example_multi(
    eqn: &crate::ir::Eqn,
    t: &Tuple,
    xs: &[Tensor],
    ds: &[Option<usize>],
    size: usize,
) -> Result<Vec<(Tensor, Option<usize>)>> {
    let mut outs: Vec<Vec<Tensor>> = vec![Vec::with_capacity(size); t.avals.len()];
    for b in 0..size {
        let ys = bind_multi(t.multi.clone(), example(xs, ds, b)?, eqn.location)?;
        for (acc, y) in outs.iter_mut().zip(ys) {
            acc.push(y);
        }
    }
    outs.iter()
        .zip(&t.avals)
        .map(|(ys, a)| {
            let y = if ys.is_empty() {
                let mut dims = vec![0];
                dims.extend_from_slice(a.shape.dims());
                Tensor::try_zeros(&dims, a.dtype)?
            } else {
                Tensor::try_stack(ys, 0)?
            };
            Ok((y, Some(0)))
        })
        .collect()
}

/// The fallback for a primitive without a batching rule: apply it to each example and stack.
fn per_example(
    eqn: &crate::ir::Eqn,
    xs: &[Tensor],
    ds: &[Option<usize>],
    size: usize,
) -> Result<Tensor> {
    let mut outs = Vec::with_capacity(size);
    for b in 0..size {
        outs.push(bind_at(
            eqn.prim.clone(),
            example(xs, ds, b)?,
            eqn.location,
        )?);
    }
    Tensor::try_stack(&outs, 0)
}

/// Like [`vmap_n`], returning an error for mismatched batch sizes, axes out of range, or a
/// function that cannot be traced. `out_axes` may be empty (every output batched at 0), hold one
/// axis for all outputs, or one per output.
///
/// ```
/// use cotangent::{try_vmap_call, Tensor};
/// let xs = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[3, 2]);
/// let w = Tensor::from_vec(vec![10.0, 1.0], &[2]);
/// // Per-row dot products with a shared `w` (in_axes None).
/// let y = try_vmap_call(|a| vec![(&a[0] * &a[1]).sum()], &[xs.clone(), w], &[Some(0), None], &[])
///     .unwrap();
/// assert_eq!(y[0].to_vec::<f64>(), vec![12.0, 34.0, 56.0]);
/// // Batch sizes must agree.
/// let e = try_vmap_call(|a| vec![&a[0] + &a[1]], &[xs, Tensor::zeros(&[4, 2], cotangent::DType::F64)], &[Some(0), Some(0)], &[]);
/// assert!(e.unwrap_err().to_string().contains("vmap"));
/// ```
#[track_caller]
pub fn try_vmap_call(
    f: impl FnOnce(&[Tensor]) -> Vec<Tensor>,
    xs: &[Tensor],
    in_axes: &[Option<usize>],
    out_axes: &[usize],
) -> Result<Vec<Tensor>> {
    let location = Location::caller();
    let err = |m: String| Error::usage("vmap", m).at(location);
    if in_axes.len() != xs.len() {
        return Err(err(format!(
            "{} inputs but {} in_axes",
            xs.len(),
            in_axes.len()
        )));
    }
    let mut size = None;
    let mut avals = Vec::with_capacity(xs.len());
    for (i, (x, a)) in xs.iter().zip(in_axes).enumerate() {
        let mut aval = Aval::of(x);
        if let Some(a) = *a {
            if a >= x.rank() {
                return Err(err(format!(
                    "in_axes[{i}] = {a} but input {i} has shape {}",
                    x.shape()
                )));
            }
            let n = x.dims()[a];
            if *size.get_or_insert(n) != n {
                return Err(err(format!(
                    "inputs have different batch sizes ({} and {n}, input {i} of shape {})",
                    size.unwrap_or(0),
                    x.shape()
                )));
            }
            let mut dims = x.dims().to_vec();
            dims.remove(a);
            aval = Aval::new(&dims, x.dtype());
        }
        avals.push(aval);
    }
    let Some(size) = size else {
        return Err(err(
            "no input is batched (every in_axes entry is None)".into()
        ));
    };
    let graph = try_trace_n(
        |a| {
            // The trace's own bit: what its inputs carry.
            let _mark = PerExample::enter(a.first().map_or(0, Tensor::levels));
            f(a)
        },
        &avals,
    )
    .map_err(|e| e.at(location))?;
    if !out_axes.is_empty() && out_axes.len() != graph.outputs().len() && out_axes.len() != 1 {
        return Err(err(format!(
            "{} outputs but {} out_axes",
            graph.outputs().len(),
            out_axes.len()
        )));
    }
    let outs = batch_graph(&graph, xs, in_axes, size).map_err(|e| e.at(location))?;
    outs.into_iter()
        .enumerate()
        .map(|(j, (y, d))| {
            let to = match out_axes.len() {
                0 => 0,
                1 => out_axes[0],
                _ => out_axes[j],
            };
            if to > y.rank() - usize::from(d.is_some()) {
                return Err(err(format!(
                    "out_axes = {to} but output {j} has rank {} per example",
                    y.rank() - usize::from(d.is_some())
                )));
            }
            batch_at(&y, d, size, to).map_err(|e| e.at(location))
        })
        .collect()
}

/// Vectorize a function of one tensor over axis `in_axis` of its input; the batch axis of the
/// result is at `out_axis`.
///
/// `f` is traced once at the shape of one example (so it must not read values: use `cond` and
/// friends for value-dependent control flow), then run once on the whole batch through each
/// primitive's batching rule. Mapping `grad(loss)` gives per-example gradients. Panics with a
/// message naming `vmap` on bad axes; see [`try_vmap_call`] for a `Result`.
///
/// ```
/// use cotangent::{vmap, Tensor};
/// // A dot product, mapped over the rows of a matrix.
/// let w = Tensor::from_vec(vec![1.0, 2.0], &[2]);
/// let f = vmap(move |x: &Tensor| (x * &w).sum(), 0, 0);
/// let xs = Tensor::from_vec(vec![1.0, 1.0, 2.0, 0.0, 0.0, 3.0], &[3, 2]);
/// assert_eq!(f(&xs).to_vec::<f64>(), vec![3.0, 2.0, 6.0]);
/// ```
pub fn vmap<F: Fn(&Tensor) -> Tensor>(
    f: F,
    in_axis: usize,
    out_axis: usize,
) -> impl Fn(&Tensor) -> Tensor {
    move |x| {
        let mut ys = try_vmap_call(
            |a| vec![f(&a[0])],
            std::slice::from_ref(x),
            &[Some(in_axis)],
            &[out_axis],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        ys.remove(0)
    }
}

/// Vectorize a function of several tensors returning several tensors. `in_axes[i]` is the
/// batch axis of input `i` (`None`: the same tensor for every example); `out_axes` gives the
/// batch axis of each output (one entry: the same for all; empty: 0).
///
/// ```
/// use cotangent::{vmap_n, Tensor};
/// let f = vmap_n(|x: &[Tensor]| vec![&x[0] * &x[1]], vec![Some(1), None], vec![0]);
/// let xs = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
/// let y = f(&[xs, Tensor::from_vec(vec![10.0, 100.0], &[2])]);
/// assert_eq!(y[0].dims(), &[3, 2]);
/// assert_eq!(y[0].to_vec::<f64>(), vec![10.0, 400.0, 20.0, 500.0, 30.0, 600.0]);
/// ```
pub fn vmap_n<F: Fn(&[Tensor]) -> Vec<Tensor>>(
    f: F,
    in_axes: Vec<Option<usize>>,
    out_axes: Vec<usize>,
) -> impl Fn(&[Tensor]) -> Vec<Tensor> {
    move |xs| try_vmap_call(&f, xs, &in_axes, &out_axes).unwrap_or_else(|e| panic!("{e}"))
}
