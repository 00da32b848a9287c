//! What a compiled program does, step by step: [`StepReport`] (the equations a step runs, the
//! bytes it reads and writes, its floating-point operations) from [`Compiled::report`], and
//! measured per-step times from [`Compiled::profile`], from which a benchmark derives the
//! memory bandwidth of the fused loops and the GFLOP/s of the matmuls.

use std::time::Duration;

use super::compiled::Compiled;
use super::fuse::Step;
use crate::core::{Result, Tensor};
use crate::ir::{Graph, Var};

/// What runs in one step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepKind {
    /// A fused loop (its equations run element by element in one pass).
    Loop,
    /// One primitive run by its own kernel (its name).
    Primitive(&'static str),
}

/// One step of a compiled program: what it runs and what it moves.
///
/// ```
/// use cotangent::jit::{Jit, StepKind};
/// use cotangent::{DType, Tensor};
/// let f = Jit::new(|x: &[Tensor]| vec![(x[0].matmul(&x[1]) + 1.0).tanh()]);
/// let xs = [Tensor::ones(&[4, 8], DType::F32), Tensor::ones(&[8, 16], DType::F32)];
/// let steps = f.compiled(&xs).unwrap().report();
/// assert_eq!(steps[0].kind, StepKind::Primitive("matmul"));
/// assert_eq!(steps[0].flops, 2 * 4 * 8 * 16);
/// assert_eq!(steps[0].bytes_read, (4 * 8 + 8 * 16) * 4);
/// assert_eq!(steps[1].kind, StepKind::Loop); // add and tanh in one pass
/// assert_eq!(steps[1].equations.len(), 2);
/// // It reads the product and the splatted 1.0 and writes the result.
/// assert_eq!(steps[1].bytes(), 2 * 4 * 16 * 4 + 4);
/// ```
#[derive(Clone, Debug)]
pub struct StepReport {
    /// A fused loop or a primitive.
    pub kind: StepKind,
    /// The equations it runs, as `%7 = tanh %6`.
    pub equations: Vec<String>,
    /// Bytes of its inputs (a splatted scalar counts once; a view reads nothing).
    pub bytes_read: usize,
    /// Bytes of its outputs (a view writes nothing).
    pub bytes_written: usize,
    /// Floating-point operations: `2·m·n·k` per matmul, one per element and equation in a
    /// loop, 0 for the other primitives (not counted).
    pub flops: u64,
}

impl StepReport {
    /// Bytes read and written.
    pub fn bytes(&self) -> usize {
        self.bytes_read + self.bytes_written
    }
}

fn bytes_of(g: &Graph, v: Var) -> usize {
    let a = g.aval(v);
    a.shape.numel() * a.dtype.size_bytes()
}

fn equation(g: &Graph, k: u32) -> String {
    let e = &g.eqns[k as usize];
    let mut s = format!("%{} = {}", g.number(Var::Eqn(k)), e.prim.name());
    for &v in &e.inputs {
        s.push_str(&format!(" %{}", g.number(v)));
    }
    s
}

/// `2·m·n·k` times the batch for a matmul equation, else 0.
fn matmul_flops(g: &Graph, k: u32) -> u64 {
    let e = &g.eqns[k as usize];
    if e.prim.name() != "matmul" || e.inputs.len() != 2 {
        return 0;
    }
    let a = g.aval(e.inputs[0]);
    let inner = a.shape.dims().last().copied().unwrap_or(1);
    2 * e.aval.shape.numel() as u64 * inner as u64
}

pub(crate) fn report(c: &Compiled) -> Vec<StepReport> {
    let g = &c.graph;
    c.plan
        .steps
        .iter()
        .map(|step| match step {
            Step::Prim(k) => {
                let e = &g.eqns[*k as usize];
                let view = e.prim.is_view();
                StepReport {
                    kind: StepKind::Primitive(e.prim.name()),
                    equations: vec![equation(g, *k)],
                    bytes_read: if view {
                        0
                    } else {
                        e.inputs.iter().map(|&v| bytes_of(g, v)).sum()
                    },
                    bytes_written: if view {
                        0
                    } else {
                        e.aval.shape.numel() * e.aval.dtype.size_bytes()
                    },
                    flops: matmul_flops(g, *k),
                }
            }
            Step::Kernel(k) => StepReport {
                kind: StepKind::Loop,
                equations: k.members.iter().map(|&m| equation(g, m)).collect(),
                bytes_read: k
                    .inputs
                    .iter()
                    .enumerate()
                    .map(|(j, i)| match k.first {
                        // Computed in the loop's first phase from its operand.
                        Some(r) if r.input as usize == j => bytes_of(g, r.var),
                        _ if i.pieces.is_some() => i.pieces.as_ref().map_or(0, |p| {
                            p.parts
                                .iter()
                                .filter_map(|&(v, _)| v)
                                .map(|v| bytes_of(g, v))
                                .sum()
                        }),
                        _ if i.scalar => i.dtype.size_bytes(),
                        _ => bytes_of(g, i.var),
                    })
                    .sum(),
                bytes_written: k
                    .outputs
                    .iter()
                    .map(|o| o.numel * o.dtype.size_bytes())
                    .sum(),
                flops: (k.n * k.members.len()) as u64,
            },
        })
        .collect()
}

/// The total time of each step over `runs` runs of `c` on `xs`.
pub(crate) fn profile(c: &Compiled, xs: &[Tensor], runs: usize) -> Result<Vec<Duration>> {
    let mut times = vec![Duration::ZERO; c.plan.steps.len()];
    for _ in 0..runs {
        super::run::execute_timed(c, xs, Some(&mut times))?;
    }
    Ok(times)
}
