//! The executor: runs a compiled program on concrete inputs. Fused loops write into the planned
//! buffers kept in an [`Arena`] between runs (reused when nobody else holds them: the caller
//! dropped last run's outputs), everything else runs through its primitive's kernel, whose
//! buffers come from the arena's reserve (see `core::pool`): the buffers earlier steps and
//! earlier runs freed.

use smallvec::SmallVec;

use crate::core::multi::{as_tuple, check_values, output_index, placeholder};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::compiled::Compiled;
use super::fuse::Step;
use super::kernel::{Bound, FirstReduce, Kernel};
use super::plan::Plan;
use super::strided::{Run, Strided};
use crate::backend::cpu::reduce::{reduce_into, MaxR, SumR};
use crate::core::layout::Layout;
use crate::core::{alloc, pool};
use crate::core::{DType, Element, Error, ErrorKind, Result, Tensor, Value};
use crate::ir::{Graph, Var};
use crate::prim::lowering::BlockFloat;

/// What a compiled program keeps between runs: its planned buffers, the value table and the
/// fused loops' register scratch.
#[derive(Debug, Default)]
pub(crate) struct Arena {
    bufs: Vec<Option<Value>>,
    env: Vec<Option<Value>>,
    regs32: Vec<f32>,
    regs64: Vec<f64>,
    /// The result of a loop's first-phase reduction (see `epilogue`).
    first32: Vec<f32>,
    first64: Vec<f64>,
    /// The outputs of the multi-output equations computed so far, by equation.
    tuples: Vec<Option<Vec<Value>>>,
    /// The buffers the program's steps freed, for its next steps and runs (see `pool`).
    reserve: pool::Reserve,
    /// The outputs of the last two runs, each marked once it has outlived one run: those the
    /// caller has dropped since go to the reserve at the next run (so a loop that passes
    /// last step's outputs back in, `params = step(params)`, reuses the step before's).
    returned: Vec<(Value, bool)>,
}

impl Arena {
    pub(crate) fn new(g: &Graph, plan: &Plan) -> Arena {
        Arena {
            bufs: vec![None; plan.nbufs],
            env: vec![None; g.eqns.len()],
            ..Arena::default()
        }
    }
}

/// A program's inputs: the caller's tensors, or bare values (a loop body's arguments, which a
/// loop primitive passes without making a tensor handle for each step).
#[derive(Clone, Copy)]
enum Args<'a> {
    Tensors(&'a [Tensor]),
    Values(&'a [Value]),
}

impl<'a> Args<'a> {
    fn get(self, i: usize) -> &'a Value {
        match self {
            Args::Tensors(t) => t[i].value(),
            Args::Values(v) => &v[i],
        }
    }
}

/// Run `c` on `inputs` (untracked, concrete, of the compiled shapes); the output values.
pub(crate) fn execute(c: &Compiled, inputs: &[Tensor]) -> Result<Vec<Value>> {
    execute_timed(c, inputs, None)
}

/// [`execute`] on bare values, writing the outputs into `outs` (cleared first): a loop
/// primitive runs its compiled body once per step this way, and a warm step asks the
/// allocator for nothing (the values come from the program's reserve, the vector keeps its
/// room).
pub(crate) fn execute_values(c: &Compiled, inputs: &[Value], outs: &mut Vec<Value>) -> Result<()> {
    execute_args(c, Args::Values(inputs), None, outs)
}

/// [`execute`], adding each step's time to `times` when given (one entry per step).
pub(crate) fn execute_timed(
    c: &Compiled,
    inputs: &[Tensor],
    times: Option<&mut [Duration]>,
) -> Result<Vec<Value>> {
    let mut outs = Vec::with_capacity(c.graph.outputs.len());
    execute_args(c, Args::Tensors(inputs), times, &mut outs)?;
    Ok(outs)
}

fn execute_args(
    c: &Compiled,
    inputs: Args<'_>,
    times: Option<&mut [Duration]>,
    outs: &mut Vec<Value>,
) -> Result<()> {
    let g = &c.graph;
    if g.consts.iter().any(|t| t.value().is_abstract()) {
        return Err(Error::new(
            ErrorKind::Tracing,
            "jit",
            "the function closes over a traced tensor from a trace that has ended",
        ));
    }
    let mut local;
    let mut guard = match c.arena.try_lock() {
        Ok(g) => Some(g),
        Err(std::sync::TryLockError::Poisoned(p)) => Some(p.into_inner()),
        Err(std::sync::TryLockError::WouldBlock) => None,
    };
    let arena: &mut Arena = match guard.as_deref_mut() {
        Some(a) => a,
        None => {
            // Another thread is running this program: use buffers of our own this time.
            local = Arena::new(g, &c.plan);
            &mut local
        }
    };
    let mut reserve = std::mem::take(&mut arena.reserve);
    let result = pool::in_program(&mut reserve, || {
        reclaim_returned(&mut arena.returned);
        outs.clear();
        let result = run_steps(g, &c.plan, inputs, arena, times, outs);
        if result.is_ok() {
            // Outputs in planned buffers come back through those; the others are watched.
            let planned = |v: &Value| {
                arena
                    .bufs
                    .iter()
                    .flatten()
                    .any(|b| Arc::ptr_eq(&b.storage, &v.storage))
            };
            for v in outs.iter() {
                if !planned(v) {
                    arena.returned.push((v.clone(), false));
                }
            }
        }
        for j in 0..arena.env.len() {
            release(&mut arena.env, &mut arena.tuples, j);
        }
        result
    });
    arena.reserve = reserve;
    result
}

/// Hand the earlier runs' outputs the caller no longer holds to the reserve; keep the others
/// for one more run, then let them go.
fn reclaim_returned(returned: &mut Vec<(Value, bool)>) {
    let mut i = 0;
    while i < returned.len() {
        let unique = Arc::get_mut(&mut returned[i].0.storage).is_some();
        if unique || returned[i].1 {
            let (v, _) = returned.swap_remove(i);
            if unique {
                pool::recycle(v);
            }
        } else {
            returned[i].1 = true;
            i += 1;
        }
    }
}

/// Release equation `j`'s value (and its outputs, for a tuple) to the reserve.
fn release(env: &mut [Option<Value>], tuples: &mut [Option<Vec<Value>>], j: usize) {
    if let Some(v) = env[j].take() {
        pool::recycle(v);
    }
    if let Some(t) = tuples.get_mut(j) {
        for v in t.take().into_iter().flatten() {
            pool::recycle(v);
        }
    }
}

/// The value of `v`: an input, a constant, or an equation's result computed earlier.
fn fetch<'a>(g: &'a Graph, inputs: Args<'a>, env: &'a [Option<Value>], v: Var) -> &'a Value {
    match v {
        Var::Input(i) => inputs.get(i as usize),
        Var::Const(i) => g.consts[i as usize].value(),
        Var::Eqn(i) => env[i as usize].as_ref().expect("computed before use"),
    }
}

fn run_steps(
    g: &Graph,
    plan: &Plan,
    inputs: Args<'_>,
    arena: &mut Arena,
    mut times: Option<&mut [Duration]>,
    outs: &mut Vec<Value>,
) -> Result<()> {
    let env = &mut arena.env;
    // Equation results only (inputs and constants are read where they are); all `None`
    // between runs.
    env.resize(g.eqns.len(), None);
    for (i, step) in plan.steps.iter().enumerate() {
        let start = times.is_some().then(Instant::now);
        match step {
            Step::Prim(k) if multi_step(g, *k as usize, inputs, env, &mut arena.tuples)? => {}
            Step::Prim(k) => {
                let e = &g.eqns[*k as usize];
                // The result's buffer, asked of the allocator first (as `bind` does eagerly).
                let bytes = alloc::bytes_of(e.aval.shape.numel(), e.aval.dtype.size_bytes());
                alloc::ensure(e.prim.name(), bytes).map_err(|err| err.at(e.location))?;
                let v = {
                    let refs: SmallVec<[&Value; 3]> =
                        e.inputs.iter().map(|&v| fetch(g, inputs, env, v)).collect();
                    crate::core::opmath::eval(&*e.prim, &refs, e.aval.dtype)
                        .and_then(|v| crate::core::bind::as_promised(e.prim.name(), &e.aval, v))
                        .map_err(|err| err.at(e.location))?
                };
                env[*k as usize] = Some(v);
            }
            Step::Kernel(k) => match k.dtype {
                DType::F32 => run_kernel::<f32>(
                    g,
                    k,
                    inputs,
                    env,
                    (&mut arena.bufs, &mut arena.returned),
                    (&mut arena.regs32, &mut arena.first32),
                )?,
                _ => run_kernel::<f64>(
                    g,
                    k,
                    inputs,
                    env,
                    (&mut arena.bufs, &mut arena.returned),
                    (&mut arena.regs64, &mut arena.first64),
                )?,
            },
        }
        if let (Some(t), Some(start)) = (times.as_deref_mut(), start) {
            t[i] += start.elapsed();
        }
        for &j in &plan.drops[i] {
            release(env, &mut arena.tuples, j as usize);
        }
    }
    outs.extend(g.outputs.iter().map(|&v| fetch(g, inputs, env, v).clone()));
    Ok(())
}

/// Run equation `k` if it is a multi-output primitive's tuple (all its outputs computed at
/// once, kept in `tuples`) or one of its projections (read from there); false for any other.
fn multi_step(
    g: &Graph,
    k: usize,
    inputs: Args<'_>,
    env: &mut [Option<Value>],
    tuples: &mut Vec<Option<Vec<Value>>>,
) -> Result<bool> {
    let e = &g.eqns[k];
    if let Some(j) = output_index(&*e.prim) {
        let Some(Var::Eqn(t)) = e.inputs.first().copied() else {
            unreachable!("an output equation reads a tuple equation");
        };
        let outs = tuples[t as usize]
            .as_ref()
            .expect("tuple computed before use");
        env[k] = Some(outs[j].clone());
        return Ok(true);
    }
    let Some(t) = as_tuple(&*e.prim) else {
        return Ok(false);
    };
    let outs = {
        let refs: SmallVec<[&Value; 3]> =
            e.inputs.iter().map(|&v| fetch(g, inputs, env, v)).collect();
        let outs = t.multi.eval(&refs).map_err(|err| err.at(e.location))?;
        check_values(t.multi.name(), &t.avals, &outs).map_err(|err| err.at(e.location))?;
        outs
    };
    if tuples.len() < g.eqns.len() {
        tuples.resize(g.eqns.len(), None);
    }
    tuples[k] = Some(outs);
    env[k] = Some(placeholder(false));
    Ok(true)
}

/// One entry per part of a piecewise input (a concat's operands, a pad's fill and body).
type Parts<T> = SmallVec<[T; 4]>;

/// A packed buffer of `numel` elements of `T` for an output: the planned one when nobody else
/// holds it, else one from the reserve, asked of the allocator first (an out-of-memory error naming
/// `op`, the equation whose value it holds, when refused).
fn out_buffer<T: Element>(
    kept: Option<Value>,
    numel: usize,
    op: &'static str,
    returned: &mut Vec<(Value, bool)>,
) -> Result<Value> {
    if let Some(mut v) = kept {
        if let Some(s) = Arc::get_mut(&mut v.storage).and_then(T::slice_mut) {
            if s.len() == numel {
                return Ok(v);
            }
        }
        // Still held (an output the caller passes back in): it joins the returned values, to
        // come back to the reserve once the caller lets it go.
        returned.push((v, false));
    }
    alloc::ensure(op, alloc::bytes_of(numel, std::mem::size_of::<T>()))?;
    // One or two elements are kept inline (a loop counter's buffer is no allocation).
    Ok(Value::from_buf(
        pool::filled_buf(numel, T::from_f64(0.0)),
        crate::core::Shape::from(&[numel][..]),
    ))
}

/// The loop's first-phase reduction into `out` (see `epilogue`), with the primitive's own kernel.
fn first_phase<T: BlockFloat>(r: &FirstReduce, v: &Value, out: &mut Vec<T>) {
    let data = v.elements::<T>();
    out.resize(r.outer * r.inner, T::zero());
    if r.max {
        reduce_into(&data, r.outer, r.red, r.inner, &MaxR, out);
    } else {
        reduce_into(&data, r.outer, r.red, r.inner, &SumR, out);
    }
}

fn run_kernel<T: BlockFloat>(
    g: &Graph,
    k: &Kernel,
    inputs: Args<'_>,
    env: &mut [Option<Value>],
    (bufs, returned): (&mut [Option<Value>], &mut Vec<(Value, bool)>),
    (regs, first): (&mut Vec<T>, &mut Vec<T>),
) -> Result<()> {
    if let Some(r) = &k.first {
        first_phase(r, fetch(g, inputs, env, r.var), first);
    }
    let first_input = k.first.map(|r| r.input as usize);
    // Outputs, in their planned buffers.
    let mut outs: SmallVec<[Value; 8]> = k
        .outputs
        .iter()
        .map(|o| {
            let kept = bufs[o.buf as usize].take();
            let Var::Eqn(j) = o.var else {
                unreachable!("loop outputs are equations")
            };
            let e = &g.eqns[j as usize];
            let r = if o.dtype == DType::Bool {
                out_buffer::<bool>(kept, o.numel, e.prim.name(), returned)
            } else {
                out_buffer::<T>(kept, o.numel, e.prim.name(), returned)
            };
            r.map_err(|err| err.at(e.location))
        })
        .collect::<Result<_>>()?;
    {
        // Strided bool inputs (and strided inputs of one element per row) are packed once
        // here; other float ones are read in place, block by block (see `strided`).
        let packed: SmallVec<[Option<Value>; 16]> = k
            .inputs
            .iter()
            .enumerate()
            .map(|(j, i)| {
                if first_input == Some(j) || i.pieces.is_some() {
                    return Ok(None);
                }
                let v = fetch(g, inputs, env, i.var);
                if i.scalar || v.layout.is_contiguous() || (i.dtype != DType::Bool && !i.row) {
                    return Ok(None);
                }
                let bytes = alloc::bytes_of(v.shape().numel(), v.dtype().size_bytes());
                alloc::ensure("jit", bytes)?;
                Ok(Some(v.clone().into_contiguous()))
            })
            .collect::<Result<_>>()?;
        // The parts of piecewise inputs that are not contiguous, packed once here.
        let part_packed: SmallVec<[Parts<Option<Value>>; 16]> = k
            .inputs
            .iter()
            .map(|i| {
                let Some(p) = &i.pieces else {
                    return Ok(Parts::new());
                };
                p.parts
                    .iter()
                    .map(|&(v, _)| {
                        let Some(v) = v else { return Ok(None) };
                        let v = fetch(g, inputs, env, v);
                        if v.layout.is_contiguous() {
                            return Ok(None);
                        }
                        let bytes = alloc::bytes_of(v.shape().numel(), v.dtype().size_bytes());
                        alloc::ensure("jit", bytes)?;
                        Ok(Some(v.clone().into_contiguous()))
                    })
                    .collect::<Result<Parts<_>>>()
            })
            .collect::<Result<_>>()?;
        let runs: SmallVec<[Parts<Run<'_, T>>; 16]> = k
            .inputs
            .iter()
            .zip(&part_packed)
            .map(|(i, packed)| {
                let Some(pieces) = &i.pieces else {
                    return Parts::new();
                };
                pieces
                    .parts
                    .iter()
                    .zip(packed)
                    .map(|(&(v, len), packed)| Run {
                        len,
                        src: v.map(|v| {
                            packed
                                .as_ref()
                                .unwrap_or_else(|| fetch(g, inputs, env, v))
                                .contiguous_slice::<T>()
                                .expect("packed")
                        }),
                        fill: T::from_f64(pieces.fill),
                    })
                    .collect()
            })
            .collect();
        let mut io = Bound {
            tin: SmallVec::new(),
            views: SmallVec::new(),
            bin: SmallVec::new(),
            scalars: SmallVec::new(),
            tout: SmallVec::new(),
            bout: SmallVec::new(),
            slot: SmallVec::new(),
        };
        for (j, (i, p)) in k.inputs.iter().zip(&packed).enumerate() {
            if first_input == Some(j) {
                // The first phase's result, in place of the reduction's value.
                let (t, s) = if i.scalar {
                    (&[][..], first[0])
                } else {
                    (&first[..], T::zero())
                };
                io.tin.push(t);
                io.views.push(None);
                io.bin.push(&[]);
                io.scalars.push(s);
                continue;
            }
            if i.pieces.is_some() {
                io.tin.push(&[]);
                io.views.push(Some(Strided::runs(&runs[j])));
                io.bin.push(&[]);
                io.scalars.push(T::zero());
                continue;
            }
            let v = p.as_ref().unwrap_or_else(|| fetch(g, inputs, env, i.var));
            let mut view = None;
            let (t, b, s): (&[T], &[bool], T) = if i.scalar {
                let x = if i.dtype == DType::Bool {
                    T::from_f64(
                        bool::slice(&v.storage).expect("bool")[v.layout.offset] as u8 as f64,
                    )
                } else {
                    T::slice(&v.storage).expect("loop dtype")[v.layout.offset]
                };
                (&[], &[], x)
            } else if i.dtype == DType::Bool {
                (
                    &[],
                    v.contiguous_slice::<bool>().expect("packed"),
                    T::zero(),
                )
            } else if i.row {
                // One element per row, read as a view that repeats it along the row.
                let data = T::slice(&v.storage).expect("loop dtype");
                let rows = v.shape().numel();
                let len = k.row.expect("row inputs belong to row loops");
                let mut layout = Layout::contiguous(crate::core::Shape::from(&[rows, 1][..]))
                    .broadcast_to(&crate::core::Shape::from(&[rows, len][..]));
                layout.offset = v.layout.offset;
                view = Some(Strided::new(data, &layout));
                (&[], &[], T::zero())
            } else if !v.layout.is_contiguous() {
                let data = T::slice(&v.storage).expect("loop dtype");
                view = Some(Strided::new(data, &v.layout));
                (&[], &[], T::zero())
            } else {
                (v.contiguous_slice::<T>().expect("packed"), &[], T::zero())
            };
            io.tin.push(t);
            io.views.push(view);
            io.bin.push(b);
            io.scalars.push(s);
        }
        for (o, v) in k.outputs.iter().zip(outs.iter_mut()) {
            let storage = Arc::get_mut(&mut v.storage).expect("planned buffers are unshared");
            if o.dtype == DType::Bool {
                io.slot.push(io.bout.len());
                io.bout.push(bool::slice_mut(storage).expect("bool buffer"));
            } else {
                io.slot.push(io.tout.len());
                io.tout.push(T::slice_mut(storage).expect("loop buffer"));
            }
        }
        k.exec(&mut io, regs);
    }
    for (o, mut v) in k.outputs.iter().zip(outs) {
        let Var::Eqn(j) = o.var else {
            unreachable!("loop outputs are equations")
        };
        let e = &g.eqns[j as usize];
        let shape = &e.aval.shape;
        if o.spread {
            // One element per row, seen as their broadcast (the equation's operand's shape).
            let from = g.aval(e.inputs[0]).shape.clone();
            v.layout = Layout::contiguous(from).broadcast_to(shape);
        } else if v.layout.shape != *shape || v.layout.offset != 0 {
            v.layout = Layout::contiguous(shape.clone());
        }
        bufs[o.buf as usize] = Some(v.clone());
        env[j as usize] = Some(v);
    }
    Ok(())
}
