//! Concrete runs of a loop primitive whose body is compiled: step after step on bare values,
//! with no tensor handle made per step. A scan's sequence elements are views into its
//! sequences, the carries pass from step to step, and each step's outputs are copied into
//! their stacked buffers as they come. Inside a compiled program, the values a step no longer
//! needs return to the program's reserve (those the body program still watches, at its next
//! run), so a warm loop asks the allocator for nothing per step.

use std::mem;

use smallvec::SmallVec;

use crate::backend::cpu::dispatch::dispatch_all;
use crate::core::layout::Layout;
use crate::core::shape::{Dims, Shape};
use crate::core::{alloc, pool, DType, Element, Result, Value};
use crate::jit::body::BodyProgram;
use crate::prim::Aval;

/// Element `t` of the sequence `x` along its leading axis, as a view (no copy).
fn element_at(x: &Value, t: usize) -> Value {
    let l = &x.layout;
    x.with_layout(Layout {
        shape: Shape(Dims::from_slice(&l.shape[1..])),
        strides: Dims::from_slice(&l.strides[1..]),
        offset: l.offset + t * l.strides[0],
    })
}

/// Zeros of `rows` rows of `shape`, from the pool when it has a buffer that size (an
/// out-of-memory error naming `op` when the allocator refuses).
fn zeros(op: &'static str, dtype: DType, rows: usize, shape: &Shape) -> Result<Value> {
    let n = rows * shape.numel();
    alloc::ensure(op, alloc::bytes_of(n, dtype.size_bytes()))?;
    let mut dims = Dims::from_slice(&[rows]);
    dims.extend_from_slice(shape);
    Ok(dispatch_all!(dtype, T => {
        Value::from_buf(pool::filled_buf(n, T::from_f64(0.0)), Shape(dims))
    }))
}

/// Copy `src` (of one step's shape) into row `at` of the stacked buffer `dst`.
fn write_row<T: Element>(dst: &mut Value, at: usize, src: &Value) {
    let n = src.shape().numel();
    let d = dst
        .unique_slice_mut::<T>()
        .expect("a stacked buffer is its loop's own");
    let row = &mut d[at * n..(at + 1) * n];
    if let Some(s) = src.contiguous_slice::<T>() {
        row.copy_from_slice(s);
        return;
    }
    let mut k = 0;
    src.for_each_run::<T>(|run| {
        row[k..k + run.len()].copy_from_slice(run);
        k += run.len();
    });
}

/// Replace `old` by `new`, handing `old`'s buffer back now when nothing else holds it (else it
/// returns when its last holder lets it go).
fn pass_on(old: &mut Value, new: Value) {
    pool::recycle(mem::replace(old, new));
}

/// What a scan runs over: `n_carry` carries, `n_xs` sequences of `length` steps (run last to
/// first when `reverse`), and per-step outputs of the types `ys`.
pub(super) struct ScanSpec<'a> {
    pub(super) n_carry: usize,
    pub(super) n_xs: usize,
    pub(super) length: usize,
    pub(super) reverse: bool,
    pub(super) ys: &'a [Aval],
}

/// The scan `s` with the compiled body `body` on `inputs` (carries, sequences, invariants):
/// the final carries, then the stacked per-step outputs.
pub(super) fn scan(
    s: &ScanSpec<'_>,
    body: BodyProgram<'_>,
    inputs: &[&Value],
) -> Result<Vec<Value>> {
    let (n, m) = (s.n_carry, s.n_xs);
    let mut stacks =
        s.ys.iter()
            .map(|a| zeros("scan", a.dtype, s.length, &a.shape))
            .collect::<Result<SmallVec<[Value; 4]>>>()?;
    // The arguments of each step; the outputs at the end (the final carries and the stacks).
    let mut args: Vec<Value> = Vec::with_capacity(inputs.len().max(n + stacks.len()));
    args.extend(inputs.iter().map(|&v| v.clone()));
    let mut outs = Vec::with_capacity(n + stacks.len());
    for step in 0..s.length {
        let t = if s.reverse { s.length - 1 - step } else { step };
        for j in n..n + m {
            args[j] = element_at(inputs[j], t);
        }
        body.run(&args, &mut outs)?;
        let mut o = outs.drain(..);
        for a in &mut args[..n] {
            pass_on(a, o.next().expect("a carry per carry"));
        }
        for (stack, y) in stacks.iter_mut().zip(o) {
            dispatch_all!(y.dtype(), T => write_row::<T>(stack, t, &y));
            pool::recycle(y);
        }
    }
    args.truncate(n);
    args.extend(stacks);
    Ok(args)
}

/// The while loop `cond`/`body` on `inputs` (`n` carries, then invariants): the final carries.
pub(super) fn while_loop(
    n: usize,
    cond: BodyProgram<'_>,
    body: BodyProgram<'_>,
    inputs: &[&Value],
) -> Result<Vec<Value>> {
    let mut args: Vec<Value> = inputs.iter().map(|&v| v.clone()).collect();
    let mut outs = Vec::with_capacity(n);
    loop {
        cond.run(&args, &mut outs)?;
        let go = outs[0].elements::<bool>()[0];
        pool::recycle(outs.pop().expect("a condition"));
        if !go {
            break;
        }
        body.run(&args, &mut outs)?;
        for (a, c) in args.iter_mut().zip(outs.drain(..)) {
            pass_on(a, c);
        }
    }
    args.truncate(n);
    Ok(args)
}
