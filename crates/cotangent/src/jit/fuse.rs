//! Fusion: group elementwise equations of one size and float type, and an elementwise chain
//! feeding a reduction over a contiguous block of axes, into [`Kernel`]s, and lower each group
//! to register bytecode. A broadcast of a one-element value is not a separate step: the loops
//! that read it splat the element.
//!
//! Grouping is greedy in equation order. A group stays open while nothing outside it has read
//! its values; an equation joins (and merges) the open groups of its same-size operands, and any
//! other read closes the group it reads. A group runs where its last member was, which is then
//! valid: its inputs come earlier, and nothing before that point reads it.

use rustc_hash::FxHashMap;

use super::elementwise::classify;
use super::kernel::{Instr, KInput, KOutput, Kernel, Reduce, Src};
use crate::core::DType;
use crate::ir::{Graph, Var};
use crate::prim::lowering::{Lowering, ReduceOp};

/// One step of a compiled program.
#[derive(Clone, Debug)]
pub(crate) enum Step {
    /// Run equation `k` through its primitive's kernel.
    Prim(u32),
    /// Run a fused loop.
    Kernel(Box<Kernel>),
}

struct Group {
    members: Vec<u32>,
    n: usize,
    dtype: DType,
    open: bool,
    reduced: bool,
    alive: bool,
}

/// Whether equation `k` broadcasts a one-element value (absorbed by the loops reading it).
fn is_scalar_broadcast(g: &Graph, k: usize) -> bool {
    let e = &g.eqns[k];
    matches!(e.prim.lowering(), Lowering::Broadcast { .. })
        && g.aval(e.inputs[0]).shape.numel() == 1
}

/// `v` seen through broadcasts of one element: the value read and whether it is splatted.
fn resolve(g: &Graph, mut v: Var) -> (Var, bool) {
    let mut scalar = false;
    while let Var::Eqn(i) = v {
        if !is_scalar_broadcast(g, i as usize) {
            break;
        }
        v = g.eqns[i as usize].inputs[0];
        scalar = true;
    }
    (v, scalar)
}

/// For a `sum` or `reduce_max` over a contiguous block of axes of a float value: whether it is
/// a max, and the sizes of the reduced block and of what follows it.
fn reduction(g: &Graph, k: usize) -> Option<(bool, usize, usize)> {
    let e = &g.eqns[k];
    let Lowering::Reduce { op, axes } = e.prim.lowering() else {
        return None;
    };
    let max = op == ReduceOp::Max;
    let a = g.aval(e.inputs[0]);
    let (first, last) = (*axes.first()?, *axes.last()?);
    let block = axes.windows(2).all(|w| w[1] == w[0] + 1) && last < a.shape.rank();
    if !block || !a.dtype.is_float() || a.dtype.is_half() || a.shape.numel() == 0 {
        return None;
    }
    let dims = a.shape.dims();
    let red = dims[first..=last].iter().product();
    let inner = dims[last + 1..].iter().product();
    Some((max, red, inner))
}

/// Group the equations of `g` and return the program: fused loops and primitive steps, in an
/// order where every value is computed before it is read.
pub(crate) fn fuse(g: &Graph) -> Vec<Step> {
    let ne = g.eqns.len();
    let mut group_of: Vec<Option<usize>> = vec![None; ne];
    let mut groups: Vec<Group> = Vec::new();
    let close = |v: Var, group_of: &[Option<usize>], groups: &mut Vec<Group>| {
        if let Var::Eqn(j) = v {
            if let Some(gid) = group_of[j as usize] {
                groups[gid].open = false;
            }
        }
    };
    for k in 0..ne {
        let eqn = &g.eqns[k];
        if is_scalar_broadcast(g, k) {
            let (src, _) = resolve(g, Var::Eqn(k as u32));
            close(src, &group_of, &mut groups);
            continue;
        }
        if let Some((_, dtype)) = classify(g, eqn) {
            let n = eqn.aval.shape.numel();
            let mut cands: Vec<usize> = Vec::new();
            let mut others: Vec<Var> = Vec::new();
            for &v in &eqn.inputs {
                let (s, scalar) = resolve(g, v);
                let joinable = match s {
                    Var::Eqn(j) if !scalar => group_of[j as usize].filter(|&gid| {
                        let gr = &groups[gid];
                        gr.open && !gr.reduced && gr.n == n && gr.dtype == dtype
                    }),
                    _ => None,
                };
                match joinable {
                    Some(gid) if !cands.contains(&gid) => cands.push(gid),
                    Some(_) => {}
                    None => others.push(s),
                }
            }
            for s in others {
                if let Var::Eqn(j) = s {
                    if group_of[j as usize].is_some_and(|gid| !cands.contains(&gid)) {
                        close(s, &group_of, &mut groups);
                    }
                }
            }
            // Merge into the largest candidate, so each member moves O(log n) times.
            let target = match cands
                .iter()
                .max_by_key(|&&gid| (groups[gid].members.len(), std::cmp::Reverse(gid)))
            {
                Some(&t) => t,
                None => {
                    groups.push(Group {
                        members: Vec::new(),
                        n,
                        dtype,
                        open: true,
                        reduced: false,
                        alive: true,
                    });
                    groups.len() - 1
                }
            };
            for &gid in &cands {
                if gid != target {
                    let moved = std::mem::take(&mut groups[gid].members);
                    groups[gid].alive = false;
                    for &m in &moved {
                        group_of[m as usize] = Some(target);
                    }
                    groups[target].members.extend(moved);
                }
            }
            groups[target].members.push(k as u32);
            group_of[k] = Some(target);
            continue;
        }
        if reduction(g, k).is_some() {
            let (s, scalar) = resolve(g, eqn.inputs[0]);
            let a = g.aval(s);
            if let (Var::Eqn(j), false) = (s, scalar) {
                if let Some(gid) = group_of[j as usize] {
                    let gr = &mut groups[gid];
                    if gr.open && !gr.reduced && gr.n == a.shape.numel() && gr.dtype == a.dtype {
                        gr.members.push(k as u32);
                        gr.reduced = true;
                        gr.open = false;
                        group_of[k] = Some(gid);
                        continue;
                    }
                }
            }
        }
        for &v in &eqn.inputs {
            close(resolve(g, v).0, &group_of, &mut groups);
        }
    }
    // Consumers of each equation, to know which member values leave their loop and which
    // broadcasts must still be materialized.
    let mut users: Vec<Vec<u32>> = vec![Vec::new(); ne];
    for (k, e) in g.eqns.iter().enumerate() {
        for &v in &e.inputs {
            if let Var::Eqn(j) = v {
                users[j as usize].push(k as u32);
            }
        }
    }
    let mut is_output = vec![false; ne];
    for &v in &g.outputs {
        if let Var::Eqn(j) = v {
            is_output[j as usize] = true;
        }
    }
    for gr in groups.iter_mut().filter(|gr| gr.alive) {
        gr.members.sort_unstable();
    }
    let mut steps = Vec::new();
    for k in 0..ne {
        match group_of[k] {
            Some(gid) => {
                let gr = &groups[gid];
                if *gr.members.last().expect("non-empty group") as usize == k {
                    let kernel = lower(g, gr, &group_of, &users, &is_output);
                    steps.push(Step::Kernel(Box::new(kernel)));
                }
            }
            None => {
                let absorbed = is_scalar_broadcast(g, k)
                    && !is_output[k]
                    && users[k].iter().all(|&u| group_of[u as usize].is_some());
                if !absorbed {
                    steps.push(Step::Prim(k as u32));
                }
            }
        }
    }
    steps
}

/// Register allocation with a free list; registers of inputs stay reserved.
struct Regs {
    free: Vec<u32>,
    count: u32,
}

impl Regs {
    fn alloc(&mut self) -> u32 {
        self.free.pop().unwrap_or_else(|| {
            self.count += 1;
            self.count - 1
        })
    }
}

/// Lower one group to a kernel.
fn lower(
    g: &Graph,
    gr: &Group,
    group_of: &[Option<usize>],
    users: &[Vec<u32>],
    is_output: &[bool],
) -> Kernel {
    let gid = group_of[gr.members[0] as usize];
    let in_group = |k: u32| group_of[k as usize] == gid;
    // The last member reading each member's value (inside this loop).
    let mut last_use: FxHashMap<u32, u32> = FxHashMap::default();
    for &m in &gr.members {
        for &v in &g.eqns[m as usize].inputs {
            if let (Var::Eqn(j), false) = resolve(g, v) {
                if in_group(j) {
                    last_use.insert(j, m);
                }
            }
        }
    }
    let mut k = Kernel {
        dtype: gr.dtype,
        n: gr.n,
        inputs: Vec::new(),
        preload: Vec::new(),
        code: Vec::new(),
        nregs: 0,
        outputs: Vec::new(),
        reduce: None,
        members: gr.members.clone(),
    };
    let mut regs = Regs {
        free: Vec::new(),
        count: 0,
    };
    let mut value_of: FxHashMap<u32, Src> = FxHashMap::default();
    // Each input's index, by what it reads and whether it is splatted.
    let mut input_index: FxHashMap<(Var, bool), u32> = FxHashMap::default();
    // Reserved registers of scalar and bool inputs, by input index.
    let mut input_reg: FxHashMap<u32, u32> = FxHashMap::default();
    for &m in &gr.members {
        let eqn = &g.eqns[m as usize];
        let mut srcs: Vec<Src> = Vec::with_capacity(3);
        for &v in &eqn.inputs {
            let (s, scalar) = resolve(g, v);
            if let (Var::Eqn(j), false) = (s, scalar) {
                if let Some(&src) = value_of.get(&j) {
                    srcs.push(src);
                    continue;
                }
            }
            let dtype = g.aval(s).dtype;
            let idx = *input_index.entry((s, scalar)).or_insert_with(|| {
                k.inputs.push(KInput {
                    var: s,
                    scalar,
                    dtype,
                });
                k.inputs.len() as u32 - 1
            });
            if !scalar && dtype != DType::Bool {
                srcs.push(Src::In(idx));
                continue;
            }
            let r = match input_reg.get(&idx) {
                Some(&r) => r,
                None => {
                    // A splatted input is loaded once before the first block: its register
                    // must be one no instruction has used.
                    let r = if scalar {
                        regs.count += 1;
                        regs.count - 1
                    } else {
                        regs.alloc()
                    };
                    input_reg.insert(idx, r);
                    if scalar {
                        k.preload.push((r, idx));
                    } else {
                        k.code.push(Instr::Load { dst: r, input: idx });
                    }
                    r
                }
            };
            srcs.push(Src::Reg(r));
        }
        let needed_outside =
            is_output[m as usize] || users[m as usize].iter().any(|&u| !in_group(u));
        if let Some((max, red, inner)) =
            reduction(g, m as usize).filter(|_| gr.reduced && m == *gr.members.last().unwrap())
        {
            k.outputs.push(KOutput {
                var: Var::Eqn(m),
                dtype: gr.dtype,
                numel: eqn.aval.shape.numel(),
                buf: 0,
            });
            k.reduce = Some(Reduce {
                max,
                src: srcs[0],
                out: k.outputs.len() as u32 - 1,
                red,
                inner,
            });
            break;
        }
        let dst = regs.alloc();
        let (rule, _) = classify(g, eqn).expect("members are fusible");
        let mut args = [srcs[0]; 3];
        args[..srcs.len()].copy_from_slice(&srcs);
        k.code.push(Instr::Map { rule, dst, args });
        if needed_outside {
            k.outputs.push(KOutput {
                var: Var::Eqn(m),
                dtype: eqn.aval.dtype,
                numel: eqn.aval.shape.numel(),
                buf: 0,
            });
            k.code.push(Instr::Store {
                out: k.outputs.len() as u32 - 1,
                src: Src::Reg(dst),
            });
        }
        // Operands read for the last time give their registers back.
        for &v in &eqn.inputs {
            if let (Var::Eqn(j), false) = resolve(g, v) {
                if last_use.get(&j) == Some(&m) {
                    if let Some(&Src::Reg(r)) = value_of.get(&j) {
                        if !regs.free.contains(&r) {
                            regs.free.push(r);
                        }
                    }
                }
            }
        }
        if last_use.contains_key(&m) {
            value_of.insert(m, Src::Reg(dst));
        } else {
            regs.free.push(dst);
        }
    }
    k.nregs = regs.count as usize;
    k
}
