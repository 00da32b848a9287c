//! [`Compiled`]: one function compiled for one list of input shapes and dtypes — the traced
//! graph, the optimized graph, the fused program with its buffer plan, and the arena of
//! buffers kept between runs.

use std::fmt::{self, Write as _};
use std::sync::Mutex;

use super::epilogue::fold_reductions;
use super::fuse::Step;
use super::passes::{optimize, PassStats};
use super::pieces::read_in_place;
use super::plan::{plan, Plan};
use super::recompute::with_copies;
use super::run::Arena;
use super::scalar::ScalarProgram;
use crate::ir::Graph;

/// A function compiled for one list of input shapes and dtypes (see [`super::Jit::compiled`]).
///
/// ```
/// use cotangent::{jit::Jit, Tensor};
/// let f = Jit::new(|x: &[Tensor]| vec![((x[0].sin() * 2.0) + 1.0).exp()]);
/// let c = f.compiled(&[Tensor::from_vec(vec![0.5f32; 8], &[8])]).unwrap();
/// assert_eq!(c.kernels(), 1); // sin, mul, add and exp in one loop
/// assert!(c.listing().contains("sin"));
/// ```
#[derive(Debug)]
pub struct Compiled {
    pub(crate) traced: Graph,
    /// The graph the plan runs: the optimized one, with cheap values copied into the loops
    /// that compute them again (see `recompute`).
    pub(crate) graph: Graph,
    /// The optimized graph before those copies, when there are any: what `grad`, `jvp` and
    /// `vmap` transform (a copy would be differentiated twice).
    pub(crate) source: Option<Graph>,
    pub(crate) plan: Plan,
    pub(crate) stats: PassStats,
    pub(crate) arena: Mutex<Arena>,
    /// The fast path, when the program is one loop over single elements.
    pub(crate) scalar: Option<ScalarProgram>,
    /// Whether a captured constant is tracked by some transformation.
    pub(crate) tracked_consts: bool,
    /// Time spent tracing and compiling (set by the cache).
    pub(crate) compile_time: std::time::Duration,
    /// Its reverse mode split into compiled forward and backward programs, made at the first
    /// call that reverse mode tracks (`None` if the split failed: such calls replay the graph).
    pub(crate) split: std::sync::OnceLock<Option<std::sync::Arc<super::call::Split>>>,
    /// Its batched forms, compiled for `vmap`: batch axes, size, program (see `batch`).
    pub(crate) batched: Mutex<Vec<Batched>>,
}

/// A batched form of a program: the batch axes of its inputs, the batch size, the program.
pub(crate) type Batched = (Vec<Option<usize>>, usize, std::sync::Arc<Compiled>);

impl Compiled {
    /// Optimize, fuse and plan a traced graph.
    pub(crate) fn new(traced: Graph) -> Compiled {
        let (graph, stats) = optimize(&traced);
        // Cheap values the loops reading them can compute again are copied into them (see
        // `recompute`): the graph that runs, the one transformations see, its fused steps.
        let (graph, source, fused) = with_copies(graph);
        let steps = read_in_place(&graph, fold_reductions(&graph, fused));
        let plan = plan(&graph, steps);
        let arena = Mutex::new(Arena::new(&graph, &plan));
        let scalar = ScalarProgram::of(&graph, &plan);
        let tracked_consts = graph.consts.iter().any(|t| t.levels() != 0);
        Compiled {
            scalar,
            tracked_consts,
            compile_time: std::time::Duration::ZERO,
            split: std::sync::OnceLock::new(),
            batched: Mutex::new(Vec::new()),
            traced,
            graph,
            source,
            plan,
            stats,
            arena,
        }
    }

    /// The graph that transformations of the program (`grad`, `jvp`, `vmap`) work on: the
    /// optimized graph, without the copies made for the loops.
    pub(crate) fn source(&self) -> &Graph {
        self.source.as_ref().unwrap_or(&self.graph)
    }

    /// The graph as traced.
    pub fn traced(&self) -> &Graph {
        &self.traced
    }

    /// The graph after the rewriting passes, as the plan runs it (with the cheap values copied
    /// into the loops that compute them again).
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// What each pass did.
    pub fn stats(&self) -> PassStats {
        self.stats
    }

    /// Steps of the program: fused loops plus primitives run on their own.
    pub fn steps(&self) -> usize {
        self.plan.steps.len()
    }

    /// Fused loops in the program.
    pub fn kernels(&self) -> usize {
        self.plan
            .steps
            .iter()
            .filter(|s| matches!(s, Step::Kernel(_)))
            .count()
    }

    /// Equations that run inside fused loops.
    pub fn fused_eqns(&self) -> usize {
        self.plan
            .steps
            .iter()
            .map(|s| match s {
                Step::Kernel(k) => k.members.len(),
                Step::Prim(_) => 0,
            })
            .sum()
    }

    /// Planned buffers the fused loops write (kept and reused across runs).
    pub fn buffers(&self) -> usize {
        self.plan.nbufs
    }

    /// How long tracing and compiling this program took (tracing, the rewriting passes,
    /// fusion and the buffer plan): the number ADBench reports beside run time.
    ///
    /// ```
    /// use cotangent::{jit::Jit, Tensor};
    /// let f = Jit::new(|x: &[Tensor]| vec![x[0].sin()]);
    /// let c = f.compiled(&[Tensor::scalar(1.0)]).unwrap();
    /// assert!(c.compile_time() > std::time::Duration::ZERO);
    /// ```
    pub fn compile_time(&self) -> std::time::Duration {
        self.compile_time
    }

    /// Each step of the program: the equations it runs, the bytes it reads and writes, and its
    /// floating-point operations (see [`super::StepReport`]).
    pub fn report(&self) -> Vec<super::StepReport> {
        super::report::report(self)
    }

    /// Run the program `runs` times on `xs` and return each step's total time (one entry per
    /// step, in the order of [`Compiled::report`]): bytes over time is a fused loop's achieved
    /// bandwidth, flops over time a matmul's rate.
    ///
    /// ```
    /// use cotangent::{jit::Jit, DType, Tensor};
    /// let f = Jit::new(|x: &[Tensor]| vec![x[0].exp() * 2.0]);
    /// let xs = [Tensor::ones(&[1000], DType::F32)];
    /// let c = f.compiled(&xs).unwrap();
    /// let times = c.profile(&xs, 3).unwrap();
    /// assert_eq!(times.len(), c.report().len());
    /// ```
    pub fn profile(
        &self,
        xs: &[crate::Tensor],
        runs: usize,
    ) -> crate::Result<Vec<std::time::Duration>> {
        super::report::profile(self, xs, runs)
    }

    /// The program as text: one block per fused loop (its bytecode), one line per other step.
    pub fn listing(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Compiled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let g = &self.graph;
        let s = self.stats;
        writeln!(
            f,
            "program: {} steps, {} fused loops ({} equations), {} buffers; passes removed {} dead, merged {} repeated, folded {}, simplified {}",
            self.steps(),
            self.kernels(),
            self.fused_eqns(),
            self.buffers(),
            s.dce,
            s.cse,
            s.folded,
            s.simplified
        )?;
        let reports = self.report();
        for (i, step) in self.plan.steps.iter().enumerate() {
            match step {
                Step::Prim(k) => {
                    let e = &g.eqns[*k as usize];
                    let mut line = format!(
                        "  [{i}] %{} = {}",
                        g.number(crate::ir::Var::Eqn(*k)),
                        e.prim.name()
                    );
                    let params = e.prim.params();
                    if !params.is_empty() {
                        let _ = write!(line, "[{params}]");
                    }
                    for &v in &e.inputs {
                        let _ = write!(line, " %{}", g.number(v));
                    }
                    writeln!(f, "{line} : {}{}", e.aval, moves(&reports[i]))?;
                }
                Step::Kernel(k) => {
                    writeln!(
                        f,
                        "  [{i}] loop {}[{}] over {} equations, {} registers{}:",
                        k.dtype,
                        k.n,
                        k.members.len(),
                        k.nregs,
                        moves(&reports[i])
                    )?;
                    let fused: Vec<String> = k
                        .members
                        .iter()
                        .map(|&m| format!("%{}", g.number(crate::ir::Var::Eqn(m))))
                        .collect();
                    writeln!(f, "      fuses {}", fused.join(" "))?;
                    for (j, inp) in k.inputs.iter().enumerate() {
                        let how = if inp.scalar { " (splat)" } else { "" };
                        match k.first.filter(|r| r.input as usize == j) {
                            Some(r) => writeln!(
                                f,
                                "      in{j} = %{} = {} of %{} over blocks of {} (first, into scratch){how}",
                                g.number(inp.var),
                                if r.max { "max" } else { "sum" },
                                g.number(r.var),
                                r.red
                            )?,
                            None => match &inp.pieces {
                                Some(p) => {
                                    let runs: Vec<String> = p
                                        .parts
                                        .iter()
                                        .map(|&(v, n)| match v {
                                            Some(v) => format!("%{}", g.number(v)),
                                            None => format!("{}×{n}", p.fill),
                                        })
                                        .collect();
                                    writeln!(
                                        f,
                                        "      in{j} = %{} = {} (read in place)",
                                        g.number(inp.var),
                                        runs.join(" ++ ")
                                    )?
                                }
                                None => writeln!(f, "      in{j} = %{}{how}", g.number(inp.var))?,
                            },
                        }
                    }
                    for &(r, j) in &k.preload {
                        writeln!(f, "      r{r} = in{j} (once)")?;
                    }
                    for ins in &k.code {
                        writeln!(f, "      {ins}")?;
                    }
                    if let Some(r) = &k.reduce {
                        let kind = if r.max { "max" } else { "sum" };
                        writeln!(
                            f,
                            "      out{} {kind}= {} (block {} of {})",
                            r.out,
                            r.src,
                            r.red,
                            r.red * r.inner
                        )?;
                    }
                    for (j, o) in k.outputs.iter().enumerate() {
                        writeln!(
                            f,
                            "      out{j} -> %{} in buffer {}",
                            g.number(o.var),
                            o.buf
                        )?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// `; moves N bytes` (and the flops of a matmul) for a listing line.
fn moves(r: &super::StepReport) -> String {
    let mut s = format!("; moves {} bytes", r.bytes());
    if matches!(r.kind, super::StepKind::Primitive(_)) && r.flops > 0 {
        s.push_str(&format!(", {} flops", r.flops));
    }
    s
}
