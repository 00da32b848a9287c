//! A fused loop: a small register bytecode run over blocks of [`BLOCK`] elements, so that each
//! instruction is one tight loop over data that stays in L1. Operands are registers (one block
//! each) or input slices read in place; results leave the loop through `Store` instructions into
//! the planned output buffers, and an optional reduction folds one register into its output.
//!
//! A *row loop* (softmax, layer norm, cross-entropy and their backward rules) runs one block
//! per row of its last axes: a `RowReduce` folds a register over the row into its first lane,
//! `RowMap` works on such per-row values once per row, and a `Splat` spreads one across its
//! register before the elementwise work that consumes the row's maximum, sum or mean reads it
//! like any other operand. The whole chain is one pass over the row while it sits in L1
//! (reading the row once from memory and writing the results once).

use std::fmt;

use smallvec::SmallVec;

use super::split;
use super::strided::Strided;
use crate::core::DType;
use crate::ir::Var;
use crate::prim::lowering::{BlockFloat, Elementwise};
use crate::Real;

/// Elements per block.
pub(crate) const BLOCK: usize = 512;

/// Where an operand comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Src {
    /// A register.
    Reg(u32),
    /// A full-size input of the loop's float type, read in place.
    In(u32),
}

/// One instruction; `dst` is always a register distinct from the operands' registers.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Instr {
    /// Apply a primitive's elementwise rule to its first `arity` operands (the rest repeat
    /// the first).
    Map {
        rule: &'static Elementwise,
        dst: u32,
        args: [Src; 3],
    },
    /// Read a full-size bool input as 0 or 1.
    Load { dst: u32, input: u32 },
    /// Write a value to an output (converted to bool when the output is bool).
    Store { out: u32, src: Src },
    /// In a row loop: fold register or input `src` over the row (a sum or a max) into the
    /// first lane of register `dst`.
    RowReduce { max: bool, src: Src, dst: u32 },
    /// In a row loop: a rule applied once per row, to the first lanes of its operands.
    RowMap {
        rule: &'static Elementwise,
        dst: u32,
        args: [Src; 3],
    },
    /// In a row loop: fill register `reg` with its first lane (before elementwise work over
    /// the row reads a per-row value).
    Splat { reg: u32 },
    /// In a row loop: write a register holding one value per row (any lane) to the row's
    /// element of an output.
    RowStore { out: u32, src: u32 },
}

/// An input of the loop: a value of the graph, read whole, or (`scalar`) its single element
/// repeated, or (`row`, in a row loop) one element per row, repeated along the row.
#[derive(Clone, Debug)]
pub(crate) struct KInput {
    pub var: Var,
    pub scalar: bool,
    pub row: bool,
    pub dtype: DType,
    /// For the result of a `concat` or `pad` that the loop reads in place of running it: its
    /// runs (see `pieces`).
    pub pieces: Option<Box<Pieces>>,
}

/// A value that is runs of other values, one after another in row-major order: `(Some(v),
/// n)` copies the `n` elements of `v`, `(None, n)` is `fill` repeated `n` times.
#[derive(Clone, Debug)]
pub(crate) struct Pieces {
    pub parts: Vec<(Option<Var>, usize)>,
    pub fill: f64,
}

/// An output of the loop and the planned buffer it is written to (`row`: one element per row
/// of a row loop; `spread`: the value is the broadcast of those along their rows, handed on
/// as a broadcast view of them).
#[derive(Clone, Debug)]
pub(crate) struct KOutput {
    pub var: Var,
    pub dtype: DType,
    pub numel: usize,
    pub row: bool,
    pub spread: bool,
    pub buf: u32,
}

/// A reduction at the end of the loop: the loop's elements, seen as `[outer, red, inner]`, are
/// folded over `red` into output `out` (`[outer, inner]`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Reduce {
    pub max: bool,
    pub src: Src,
    pub out: u32,
    pub red: usize,
    pub inner: usize,
}

/// A reduction run as the loop's first phase (see `epilogue`): operand `var`, seen as
/// `[outer, red, inner]`, folded over `red` into a scratch block that the loop reads as its
/// input `input` (`[outer, inner]`, the loop's length).
#[derive(Clone, Copy, Debug)]
pub(crate) struct FirstReduce {
    pub var: Var,
    pub max: bool,
    pub outer: usize,
    pub red: usize,
    pub inner: usize,
    pub input: u32,
}

/// A fused loop.
#[derive(Clone, Debug)]
pub(crate) struct Kernel {
    /// The float type it computes in.
    pub dtype: DType,
    /// Elements per pass.
    pub n: usize,
    /// For a row loop, the row's length: one block per row.
    pub row: Option<usize>,
    pub inputs: Vec<KInput>,
    /// Registers filled once with a scalar input: `(register, input)`.
    pub preload: Vec<(u32, u32)>,
    pub code: Vec<Instr>,
    pub nregs: usize,
    pub outputs: Vec<KOutput>,
    pub reduce: Option<Reduce>,
    /// A reduction computed before the loop, whose result the loop reads.
    pub first: Option<FirstReduce>,
    /// The equations it replaces.
    pub members: Vec<u32>,
}

/// A kernel's data for one run: inputs as slices (`tin` for packed float inputs, `views` for
/// strided ones, read in place block by block, `bin` for bool inputs, `scalars` for scalar
/// inputs; unused entries empty, `None` or zero) and the output buffers.
pub(crate) struct Bound<'a, T> {
    pub tin: SmallVec<[&'a [T]; 16]>,
    pub views: SmallVec<[Option<Strided<'a, T>>; 16]>,
    pub bin: SmallVec<[&'a [bool]; 16]>,
    pub scalars: SmallVec<[T; 16]>,
    pub tout: SmallVec<[&'a mut [T]; 8]>,
    pub bout: SmallVec<[&'a mut [bool]; 8]>,
    /// Output index → position in `tout` or `bout`.
    pub slot: SmallVec<[usize; 8]>,
}

/// Operand `s` for a block of `len` elements, given the registers split around the
/// destination register `d` (`lo` before it, `hi` after it) and the block's input slices.
#[inline(always)]
fn get<'r, T>(
    s: Src,
    lo: &'r [T],
    hi: &'r [T],
    d: u32,
    b: usize,
    blk: &[&'r [T]],
    len: usize,
) -> &'r [T] {
    match s {
        Src::Reg(r) if r < d => &lo[r as usize * b..r as usize * b + len],
        Src::Reg(r) => {
            let i = (r - d - 1) as usize * b;
            &hi[i..i + len]
        }
        Src::In(i) => &blk[i as usize][..len],
    }
}

impl Kernel {
    /// Run the loop. `regs` is scratch space (grown as needed, reused across runs). Long loops
    /// run split across the rayon pool (see [`super::split`]).
    pub(crate) fn exec<T: BlockFloat>(&self, io: &mut Bound<'_, T>, regs: &mut Vec<T>) {
        if split::splits(self) {
            return split::exec_split(self, io);
        }
        self.exec_range(io, regs, self.n)
    }

    /// Run the loop over its first `n` elements (all of `io`'s slices hold exactly those; `n`
    /// is less than the loop's length for one chunk of a split loop).
    pub(crate) fn exec_range<T: BlockFloat>(
        &self,
        io: &mut Bound<'_, T>,
        regs: &mut Vec<T>,
        n: usize,
    ) {
        // Chosen by the whole loop's length, so every chunk computes the same way.
        #[cfg(target_arch = "x86_64")]
        if self.n >= 64 && std::is_x86_feature_detected!("avx2") {
            // SAFETY: `exec_avx2` only requires the CPU to support AVX2, checked just above.
            return unsafe { self.exec_avx2(io, regs, n) };
        }
        self.exec_blocks(io, regs, n)
    }

    /// [`Kernel::exec_blocks`] compiled for AVX2 (the elementwise loops run 8 f32 lanes wide).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn exec_avx2<T: BlockFloat>(&self, io: &mut Bound<'_, T>, regs: &mut Vec<T>, n: usize) {
        self.exec_blocks(io, regs, n)
    }

    #[inline(always)]
    fn exec_blocks<T: BlockFloat>(&self, io: &mut Bound<'_, T>, regs: &mut Vec<T>, n: usize) {
        let b = self.row.unwrap_or(BLOCK).min(n).max(1);
        // Registers, then one scratch block per strided input.
        let nviews = io.views.iter().filter(|v| v.is_some()).count();
        let need = (self.nregs + nviews) * b;
        if regs.len() < need {
            regs.resize(need, T::zero());
        }
        let (regs, scratch) = regs[..need].split_at_mut(self.nregs * b);
        for &(r, i) in &self.preload {
            regs[r as usize * b..(r as usize + 1) * b].fill(io.scalars[i as usize]);
        }
        if let Some(red) = &self.reduce {
            let init = if red.max {
                T::neg_infinity()
            } else {
                T::zero()
            };
            io.tout[io.slot[red.out as usize]].fill(init);
        }
        // A full sum adds its blocks' sums pairwise, as the eager reduction does.
        // (Decided by the reduction itself, not by the output's length: a chunk of one row of
        // a row reduction folds as the whole loop would.)
        let full_sum = self
            .reduce
            .as_ref()
            .is_some_and(|r| !r.max && r.red == self.n);
        let mut cascade = Cascade::default();
        let mut off = 0;
        while off < n {
            let len = b.min(n - off);
            let mut gathered = scratch.chunks_mut(b);
            for v in io.views.iter().flatten() {
                v.read(off, &mut gathered.next().expect("a block per view")[..len]);
            }
            // This block's inputs: slices of the packed ones, the gathered blocks of the rest.
            let mut gathered = scratch.chunks(b);
            let blk: SmallVec<[&[T]; 16]> = io
                .tin
                .iter()
                .zip(&io.views)
                .map(|(&t, v)| match v {
                    Some(_) => gathered.next().expect("a block per view"),
                    None if t.is_empty() => t,
                    None => &t[off..off + len],
                })
                .collect();
            for ins in &self.code {
                self.step(ins, io, &blk, regs, b, off, len);
            }
            if let Some(red) = &self.reduce {
                let v = get(red.src, regs, &[], u32::MAX, b, &blk, len);
                if full_sum {
                    cascade.push(lane_sum(v));
                } else {
                    let acc = &mut *io.tout[io.slot[red.out as usize]];
                    fold_block(red, v, acc, off);
                }
            }
            off += len;
        }
        if let (true, Some(red)) = (full_sum, &self.reduce) {
            io.tout[io.slot[red.out as usize]][0] = cascade.total();
        }
    }

    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn step<T: BlockFloat>(
        &self,
        ins: &Instr,
        io: &mut Bound<'_, T>,
        blk: &[&[T]],
        regs: &mut [T],
        b: usize,
        off: usize,
        len: usize,
    ) {
        let dst_of = |ins: &Instr| match *ins {
            Instr::Map { dst, .. }
            | Instr::Load { dst, .. }
            | Instr::RowReduce { dst, .. }
            | Instr::RowMap { dst, .. }
            | Instr::Splat { reg: dst } => Some(dst),
            Instr::Store { .. } | Instr::RowStore { .. } => None,
        };
        let Some(d) = dst_of(ins) else {
            if let Instr::RowStore { out, src } = *ins {
                let (x, o) = (regs[src as usize * b], out as usize);
                if self.outputs[o].dtype == DType::Bool {
                    io.bout[io.slot[o]][off / b] = x != T::zero();
                } else {
                    io.tout[io.slot[o]][off / b] = x;
                }
                return;
            }
            let Instr::Store { out, src } = *ins else {
                unreachable!()
            };
            let v = get(src, regs, &[], u32::MAX, b, blk, len);
            let o = out as usize;
            if self.outputs[o].dtype == DType::Bool {
                for (w, &x) in io.bout[io.slot[o]][off..off + len].iter_mut().zip(v) {
                    *w = x != T::zero();
                }
            } else {
                io.tout[io.slot[o]][off..off + len].copy_from_slice(v);
            }
            return;
        };
        let (lo, rest) = regs.split_at_mut(d as usize * b);
        let (dst, hi) = rest.split_at_mut(b);
        let dst = &mut dst[..len];
        let (lo, hi): (&[T], &[T]) = (lo, hi);
        let g = |s: Src| get(s, lo, hi, d, b, blk, len);
        match *ins {
            Instr::Map { rule, args, .. } => {
                let ins = [g(args[0]), g(args[1]), g(args[2])];
                T::block(rule)(dst, &ins[..rule.arity]);
            }
            Instr::Load { input, .. } => {
                for (w, &x) in dst.iter_mut().zip(&io.bin[input as usize][off..off + len]) {
                    *w = if x { T::one() } else { T::zero() };
                }
            }
            Instr::RowReduce { max, src, .. } => {
                let v = g(src);
                let r = if max {
                    v.iter()
                        .fold(T::neg_infinity(), |a, &x| combine(true, a, x))
                } else {
                    lane_sum(v)
                };
                dst[0] = r;
            }
            Instr::RowMap { rule, args, .. } => {
                let ins = [&g(args[0])[..1], &g(args[1])[..1], &g(args[2])[..1]];
                T::block(rule)(&mut dst[..1], &ins[..rule.arity]);
            }
            Instr::Splat { .. } => {
                let x = dst[0];
                dst.fill(x);
            }
            Instr::Store { .. } | Instr::RowStore { .. } => unreachable!(),
        }
    }
}

/// One step of a reduction: `a + x`, or for a max the larger (NaN, once met, stays).
#[inline(always)]
pub(crate) fn combine<T: Real>(max: bool, a: T, x: T) -> T {
    if !max {
        a + x
    } else if x > a || x.is_nan() {
        x
    } else {
        a
    }
}

/// Pairwise summation of a stream of numbers (block sums): a binary counter of partial sums,
/// so the error of `n` additions grows with `log n`, not `n` (a running f32 total over 10⁷
/// elements loses 1e-4 relative, this keeps 1e-7).
pub(crate) struct Cascade<T> {
    parts: SmallVec<[(u32, T); 40]>,
}

impl<T> Default for Cascade<T> {
    fn default() -> Self {
        Cascade {
            parts: SmallVec::new(),
        }
    }
}

impl<T: Real> Cascade<T> {
    /// Add one more number.
    pub(crate) fn push(&mut self, mut x: T) {
        let mut level = 0;
        while let Some(&(l, p)) = self.parts.last() {
            if l != level {
                break;
            }
            self.parts.pop();
            x = p + x;
            level += 1;
        }
        self.parts.push((level, x));
    }

    /// The sum of everything pushed.
    pub(crate) fn total(&self) -> T {
        self.parts
            .iter()
            .rev()
            .fold(T::zero(), |acc, &(_, p)| p + acc)
    }
}

/// The sum of a block, in eight lanes (vectorizes, and is more accurate than a running total).
fn lane_sum<T: Real>(v: &[T]) -> T {
    let mut lanes = [T::zero(); 8];
    let chunks = v.chunks_exact(8);
    let rest = chunks.remainder();
    for c in chunks {
        for k in 0..8 {
            lanes[k] = lanes[k] + c[k];
        }
    }
    rest.iter()
        .fold(lanes.iter().fold(T::zero(), |a, &x| a + x), |a, &x| a + x)
}

/// Fold one block of the reduced value (elements `off..off+v.len()` of the loop) into `acc`
/// (a max, or a sum over some axes; full sums go through [`Cascade`]).
fn fold_block<T: Real>(red: &Reduce, v: &[T], acc: &mut [T], off: usize) {
    if red.max {
        fold_runs(red, v, acc, off, |a, x| combine(true, a, x))
    } else {
        fold_runs(red, v, acc, off, |a, x| a + x)
    }
}

/// [`fold_block`] with the combining function `f` fixed, by runs: element `i` of the loop,
/// seen as `[outer, red, inner]`, folds into `acc[(i / (red·inner))·inner + i % inner]`, so
/// a run of consecutive `i` up to the end of an `inner` row folds into consecutive
/// accumulators (elementwise, which vectorizes), and with `inner = 1` a run up to the end of a
/// reduced row folds into one. Each accumulator sees its elements in loop order, as one at a
/// time would.
#[inline(always)]
fn fold_runs<T: Real>(red: &Reduce, v: &[T], acc: &mut [T], off: usize, f: impl Fn(T, T) -> T) {
    if acc.len() == 1 {
        acc[0] = v.iter().fold(acc[0], |a, &x| f(a, x));
        return;
    }
    let span = red.red * red.inner;
    let mut j = 0;
    while j < v.len() {
        let i = off + j;
        let o = (i / span) * red.inner + i % red.inner;
        // The run ends with its reduced row (inner = 1) or its inner row.
        let end = if red.inner == 1 {
            span - i % span
        } else {
            red.inner - i % red.inner
        };
        let run = &v[j..j + end.min(v.len() - j)];
        if red.inner == 1 {
            acc[o] = run.iter().fold(acc[o], |a, &x| f(a, x));
        } else {
            for (a, &x) in acc[o..o + run.len()].iter_mut().zip(run) {
                *a = f(*a, x);
            }
        }
        j += run.len();
    }
}

impl fmt::Display for Src {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Src::Reg(r) => write!(f, "r{r}"),
            Src::In(i) => write!(f, "in{i}"),
        }
    }
}

impl fmt::Display for Instr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Instr::Map { rule, dst, args } => {
                write!(f, "r{dst} = {}", rule.name)?;
                for a in &args[..rule.arity] {
                    write!(f, " {a}")?;
                }
                Ok(())
            }
            Instr::Load { dst, input } => write!(f, "r{dst} = LoadBool in{input}"),
            Instr::Store { out, src } => write!(f, "out{out} = {src}"),
            Instr::RowReduce { max, src, dst } => {
                let kind = if *max { "max" } else { "sum" };
                write!(f, "r{dst} = row {kind} {src}")
            }
            Instr::RowStore { out, src } => write!(f, "out{out} = r{src} (one per row)"),
            Instr::RowMap { rule, dst, args } => {
                write!(f, "r{dst} = row {}", rule.name)?;
                for a in &args[..rule.arity] {
                    write!(f, " {a}")?;
                }
                Ok(())
            }
            Instr::Splat { reg } => write!(f, "r{reg} = splat r{reg}"),
        }
    }
}
