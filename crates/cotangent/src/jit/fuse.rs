//! Fusion: group elementwise equations of one size and float type, and an elementwise chain
//! feeding a reduction over a contiguous block of axes, into [`Kernel`]s, and lower each group
//! to register bytecode. A broadcast of a one-element value is not a separate step: the loops
//! that read it splat the element.
//!
//! Row loops: a reduction over the trailing axes (rows of 2 to [`MAX_ROW`] elements) joins
//! the group of its operand, or starts one, and makes it a row loop, run one row per block. Its
//! result is *per row* (one value per row, kept in a register's first lane); elementwise work on
//! per-row values is per row too, a reshape of any member and the broadcast of a per-row member
//! along its rows are aliases of the same register, and a group of per-row values with no rows
//! of its own becomes per-row work when a row loop reads it (or when it is broadcast along rows).
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

impl Step {
    /// The values this step reads as they are: a primitive's operands, a loop's inputs and its
    /// first-phase operand.
    fn operands(&self, g: &Graph) -> Vec<Var> {
        match self {
            Step::Prim(k) => g.eqns[*k as usize].inputs.to_vec(),
            Step::Kernel(k) => k
                .inputs
                .iter()
                .map(|i| i.var)
                .chain(k.first.map(|r| r.var))
                .collect(),
        }
    }
}

/// For each equation, the steps that read its value (in order, each once).
pub(super) fn readers(g: &Graph, steps: &[Step]) -> Vec<Vec<usize>> {
    let mut readers: Vec<Vec<usize>> = vec![Vec::new(); g.eqns.len()];
    for (i, s) in steps.iter().enumerate() {
        for v in s.operands(g) {
            if let Var::Eqn(j) = v {
                if readers[j as usize].last() != Some(&i) {
                    readers[j as usize].push(i);
                }
            }
        }
    }
    readers
}

/// For each equation, whether the graph returns its value.
pub(super) fn outputs(g: &Graph) -> Vec<bool> {
    let mut o = vec![false; g.eqns.len()];
    for &v in &g.outputs {
        if let Var::Eqn(j) = v {
            o[j as usize] = true;
        }
    }
    o
}

/// `steps` without those marked `removed`.
pub(super) fn without(mut steps: Vec<Step>, removed: &[bool]) -> Vec<Step> {
    let mut i = 0;
    steps.retain(|_| {
        i += 1;
        !removed[i - 1]
    });
    steps
}

/// The longest row a row loop runs as one block (its registers hold whole rows).
const MAX_ROW: usize = 8192;

struct Group {
    members: Vec<u32>,
    n: usize,
    dtype: DType,
    open: bool,
    reduced: bool,
    alive: bool,
    /// For a row loop, the row's length.
    row: Option<usize>,
}

impl Group {
    /// An open group with no members yet, looping over `n` elements of `dtype`.
    fn new(n: usize, dtype: DType) -> Group {
        Group {
            members: Vec::new(),
            n,
            dtype,
            open: true,
            reduced: false,
            alive: true,
            row: None,
        }
    }

    /// Make this loop a row loop of rows of `row` elements over `n` elements: every member so
    /// far holds one value per row.
    fn make_per_row(&mut self, is_row: &mut [bool], row: Option<usize>, n: usize) {
        for &m in &self.members {
            is_row[m as usize] = true;
        }
        self.row = row;
        self.n = n;
    }
}

/// What a member of a fused loop does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// Applies an elementwise rule.
    Map,
    /// Reduces each row of a row loop.
    RowReduce,
    /// A reduction folded in at the loop's end.
    Reduce,
    /// A reshape, or the broadcast of a per-row value along its row: the same registers as
    /// member `canon`.
    Alias(u32),
}

/// The member whose registers member `j` reads: itself, or the member it is an alias of.
fn canon(role: &[Role], j: u32) -> u32 {
    match role[j as usize] {
        Role::Alias(c) => c,
        _ => j,
    }
}

/// Whether equation `k` broadcasts a one-element value (absorbed by the loops reading it).
fn is_scalar_broadcast(g: &Graph, k: usize) -> bool {
    let e = &g.eqns[k];
    matches!(e.prim.lowering(), Lowering::Broadcast { .. })
        && g.aval(e.inputs[0]).shape.numel() == 1
}

/// `v` seen through broadcasts of one element: the value read and whether it is splatted.
pub(super) fn resolve(g: &Graph, mut v: Var) -> (Var, bool) {
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
pub(super) fn reduction(g: &Graph, k: usize) -> Option<(bool, usize, usize)> {
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

/// For a reduction over the trailing axes of a value with at least two rows of 2 to
/// [`MAX_ROW`] elements: whether it is a max, and the row's length (a row loop runs it).
fn row_reduction(g: &Graph, k: usize) -> Option<(bool, usize)> {
    let (max, red, inner) = reduction(g, k)?;
    let n = g.aval(g.eqns[k].inputs[0]).shape.numel();
    (inner == 1 && (2..=MAX_ROW).contains(&red) && n / red >= 2).then_some((max, red))
}

/// Whether broadcasting `from` to `to` repeats each element along rows of `row` elements
/// (the trailing axes of `to` that make up a row are new or of size 1 in `from`, the rest
/// are kept).
fn is_row_broadcast(from: &[usize], to: &[usize], row: usize) -> bool {
    if from.len() > to.len() {
        return false;
    }
    let pad = to.len() - from.len();
    let dim = |d: usize| if d < pad { 1 } else { from[d - pad] };
    let mut tail = 1;
    let mut split = to.len();
    while tail < row && split > 0 {
        split -= 1;
        tail *= to[split];
    }
    tail == row && (split..to.len()).all(|d| dim(d) == 1) && (0..split).all(|d| dim(d) == to[d])
}

/// Whether no member of `gr` (group `gid`) reads a bool value from outside the loop (per-row
/// work cannot read one element per row of a bool value).
fn reads_no_bool(g: &Graph, gr: &Group, group_of: &[Option<usize>], gid: usize) -> bool {
    gr.members.iter().all(|&mm| {
        g.eqns[mm as usize].inputs.iter().all(|&v| {
            let (s, scalar) = resolve(g, v);
            let inside = matches!(s, Var::Eqn(i) if group_of[i as usize] == Some(gid));
            inside || scalar || g.aval(s).dtype != DType::Bool
        })
    })
}

/// Group the equations of `g` and return the program: fused loops and primitive steps, in an
/// order where every value is computed before it is read.
pub(crate) fn fuse(g: &Graph) -> Vec<Step> {
    let ne = g.eqns.len();
    let mut group_of: Vec<Option<usize>> = vec![None; ne];
    let mut role: Vec<Role> = vec![Role::Map; ne];
    // Whether a member holds one value per row of its row loop.
    let mut is_row: Vec<bool> = vec![false; ne];
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
            let m = eqn.aval.shape.numel();
            // Each operand's open loop that this equation could join, and whether the operand
            // is per row there.
            let opts: Vec<(Var, Option<(usize, bool)>)> = eqn
                .inputs
                .iter()
                .map(|&v| {
                    let (s, scalar) = resolve(g, v);
                    let opt = match s {
                        Var::Eqn(j) if !scalar => group_of[j as usize]
                            .filter(|&gid| {
                                let gr = &groups[gid];
                                let fits = if is_row[j as usize] {
                                    gr.row.is_some_and(|r| gr.n / r == m)
                                } else {
                                    gr.n == m
                                };
                                gr.open && !gr.reduced && gr.dtype == dtype && fits
                            })
                            .map(|gid| (gid, is_row[j as usize])),
                        _ => None,
                    };
                    (s, opt)
                })
                .collect();
            // A per-row operand makes this equation per-row work of that row loop.
            let lead = opts
                .iter()
                .find_map(|&(_, o)| o.filter(|&(_, pr)| pr))
                .or_else(|| opts.iter().find_map(|&(_, o)| o));
            let (per_row, loop_n, mut row) = match lead {
                Some((gid, pr)) => (pr, groups[gid].n, groups[gid].row),
                None => (false, m, None),
            };
            let mut cands: Vec<usize> = Vec::new();
            // Loops of per-row values with no rows of their own, joining as per-row work.
            let mut promoted: Vec<usize> = Vec::new();
            let mut others: Vec<Var> = Vec::new();
            for (s, opt) in opts {
                let ok = match opt {
                    Some((gid, pr)) if pr == per_row => {
                        let gr = &groups[gid];
                        gr.n == loop_n && (row.is_none() || gr.row.is_none() || gr.row == row)
                    }
                    Some((gid, false)) if per_row => {
                        groups[gid].row.is_none() && reads_no_bool(g, &groups[gid], &group_of, gid)
                    }
                    _ => false,
                };
                match opt {
                    Some((gid, pr)) if ok => {
                        if !cands.contains(&gid) {
                            cands.push(gid);
                            if per_row && !pr {
                                promoted.push(gid);
                            }
                        }
                        row = row.or(groups[gid].row);
                    }
                    _ => others.push(s),
                }
            }
            // A per-row equation reads its other operands one element per row; a bool one
            // is not read that way, so such an equation starts a loop of its own.
            if per_row
                && others
                    .iter()
                    .any(|&s| g.aval(s).dtype == DType::Bool && g.aval(s).shape.numel() > 1)
            {
                for gid in cands.drain(..) {
                    groups[gid].open = false;
                }
                promoted.clear();
                row = None;
            }
            for gid in promoted {
                groups[gid].make_per_row(&mut is_row, row, loop_n);
            }
            let per_row = per_row && !cands.is_empty();
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
                    groups.push(Group::new(m, dtype));
                    groups.len() - 1
                }
            };
            for &gid in &cands {
                if gid != target {
                    let moved = std::mem::take(&mut groups[gid].members);
                    groups[gid].alive = false;
                    for &mm in &moved {
                        group_of[mm as usize] = Some(target);
                    }
                    groups[target].members.extend(moved);
                }
            }
            if !cands.is_empty() {
                groups[target].row = row;
            }
            groups[target].members.push(k as u32);
            group_of[k] = Some(target);
            is_row[k] = per_row;
            continue;
        }
        if let Some((_, r)) = row_reduction(g, k) {
            let (s, scalar) = resolve(g, eqn.inputs[0]);
            let a = g.aval(s);
            if !scalar && a.dtype == eqn.aval.dtype {
                let joined = match s {
                    Var::Eqn(j) => group_of[j as usize].filter(|&gid| {
                        let gr = &groups[gid];
                        gr.open
                            && !gr.reduced
                            && !is_row[j as usize]
                            && gr.n == a.shape.numel()
                            && gr.dtype == a.dtype
                            && gr.row.is_none_or(|x| x == r)
                    }),
                    _ => None,
                };
                let gid = match joined {
                    Some(gid) => gid,
                    None => {
                        close(s, &group_of, &mut groups);
                        groups.push(Group::new(a.shape.numel(), a.dtype));
                        groups.len() - 1
                    }
                };
                groups[gid].row = Some(r);
                groups[gid].members.push(k as u32);
                group_of[k] = Some(gid);
                role[k] = Role::RowReduce;
                is_row[k] = true;
                continue;
            }
        }
        if reduction(g, k).is_some() {
            let (s, scalar) = resolve(g, eqn.inputs[0]);
            let a = g.aval(s);
            if let (Var::Eqn(j), false) = (s, scalar) {
                if let Some(gid) = group_of[j as usize] {
                    let gr = &mut groups[gid];
                    if gr.open
                        && !gr.reduced
                        && gr.row.is_none()
                        && !is_row[j as usize]
                        && gr.n == a.shape.numel()
                        && gr.dtype == a.dtype
                    {
                        gr.members.push(k as u32);
                        gr.reduced = true;
                        gr.open = false;
                        group_of[k] = Some(gid);
                        role[k] = Role::Reduce;
                        continue;
                    }
                }
            }
        }
        // A broadcast along rows of a loop's values that has no rows yet makes it a row loop
        // whose members are all per row (computed once per row).
        if let (Lowering::Broadcast { shape }, Some(&Var::Eqn(j))) =
            (eqn.prim.lowering(), eqn.inputs.first())
        {
            if let Some(gid) = group_of[j as usize] {
                let gr = &groups[gid];
                let from = g.eqns[j as usize].aval.shape.dims();
                let r = shape.numel() / gr.n.max(1);
                let promote = gr.open
                    && !gr.reduced
                    && gr.row.is_none()
                    && (2..=MAX_ROW).contains(&r)
                    && shape.numel() == gr.n * r
                    && is_row_broadcast(from, shape.dims(), r)
                    && reads_no_bool(g, gr, &group_of, gid);
                if promote {
                    groups[gid].make_per_row(&mut is_row, Some(r), shape.numel());
                }
            }
        }
        // A reshape of a member, or the broadcast of a per-row member along its rows, reads
        // the same registers.
        let alias = match (eqn.prim.lowering(), eqn.inputs.first()) {
            (Lowering::Reshape { .. }, Some(&Var::Eqn(j))) => group_of[j as usize]
                .filter(|&gid| groups[gid].open && !groups[gid].reduced)
                .map(|gid| (gid, j, is_row[j as usize])),
            (Lowering::Broadcast { shape }, Some(&Var::Eqn(j))) => group_of[j as usize]
                .filter(|&gid| {
                    let gr = &groups[gid];
                    gr.open
                        && !gr.reduced
                        && is_row[j as usize]
                        && shape.numel() == gr.n
                        && gr.row.is_some_and(|r| {
                            is_row_broadcast(g.eqns[j as usize].aval.shape.dims(), shape.dims(), r)
                        })
                })
                .map(|gid| (gid, j, false)),
            _ => None,
        };
        if let Some((gid, j, per_row)) = alias {
            groups[gid].members.push(k as u32);
            group_of[k] = Some(gid);
            role[k] = Role::Alias(canon(&role, j));
            is_row[k] = per_row;
            continue;
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
    let is_output = outputs(g);
    for gr in groups.iter_mut().filter(|gr| gr.alive) {
        gr.members.sort_unstable();
    }
    let after = eject_reshaped_outputs(
        g,
        &mut groups,
        &mut group_of,
        &role,
        &is_row,
        &users,
        &is_output,
    );
    let mut moved = vec![false; ne];
    for &m in after.iter().flatten() {
        moved[m as usize] = true;
    }
    let ctx = Ctx {
        group_of: &group_of,
        role: &role,
        is_row: &is_row,
        users: &users,
        is_output: &is_output,
    };
    let mut steps = Vec::new();
    for k in 0..ne {
        match group_of[k] {
            Some(gid) => {
                let gr = &groups[gid];
                if *gr.members.last().expect("non-empty group") as usize == k {
                    steps.push(Step::Kernel(Box::new(lower(g, gr, &ctx))));
                    steps.extend(after[gid].iter().map(|&m| Step::Prim(m)));
                }
            }
            None if moved[k] => {}
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

/// Loops shorter than this keep their reshaped outputs: a one-element loop must stay a single
/// step (the scalar fast path), and a short second store costs less than a step of its own.
const EJECT_MIN: usize = 4096;

/// Reshapes that would store a second copy of a value their loop already stores: a member
/// `m = reshape(j)` of `j`'s loop (of at least [`EJECT_MIN`] elements), where both values leave
/// the loop and nothing inside reads `m`. Each leaves the loop (its group entry cleared) and
/// runs as a step of its own right after it, a view of `j`'s buffer, instead of a second buffer
/// written with the same elements. Returns, per group, the reshapes to run after its loop, in
/// order.
fn eject_reshaped_outputs(
    g: &Graph,
    groups: &mut [Group],
    group_of: &mut [Option<usize>],
    role: &[Role],
    is_row: &[bool],
    users: &[Vec<u32>],
    is_output: &[bool],
) -> Vec<Vec<u32>> {
    let mut after = vec![Vec::new(); groups.len()];
    for (gid, gr) in groups
        .iter_mut()
        .enumerate()
        .filter(|(_, gr)| gr.alive && gr.n >= EJECT_MIN)
    {
        let leaves = |k: u32, group_of: &[Option<usize>]| {
            is_output[k as usize]
                || users[k as usize]
                    .iter()
                    .any(|&u| group_of[u as usize] != Some(gid))
        };
        let mut ejected = Vec::new();
        for &m in &gr.members {
            let eqn = &g.eqns[m as usize];
            let Some(&Var::Eqn(j)) = eqn.inputs.first() else {
                continue;
            };
            let plain = matches!(eqn.prim.lowering(), Lowering::Reshape { .. })
                && role[m as usize] == Role::Alias(j)
                && role[j as usize] == Role::Map
                && group_of[j as usize] == Some(gid)
                && !is_row[m as usize]
                && !is_row[j as usize];
            let read_inside = users[m as usize]
                .iter()
                .any(|&u| group_of[u as usize] == Some(gid));
            if plain && !read_inside && leaves(m, group_of) && leaves(j, group_of) {
                ejected.push(m);
            }
        }
        if ejected.is_empty() {
            continue;
        }
        for &m in &ejected {
            group_of[m as usize] = None;
        }
        // Members are sorted, and so is `ejected` (a subsequence of them).
        let mut rest = ejected.iter().peekable();
        gr.members.retain(|m| rest.next_if_eq(&m).is_none());
        after[gid] = ejected;
    }
    after
}

/// What lowering a group needs to know of every equation.
struct Ctx<'a> {
    group_of: &'a [Option<usize>],
    role: &'a [Role],
    is_row: &'a [bool],
    users: &'a [Vec<u32>],
    is_output: &'a [bool],
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
fn lower(g: &Graph, gr: &Group, cx: &Ctx<'_>) -> Kernel {
    let gid = cx.group_of[gr.members[0] as usize];
    let in_group = |k: u32| cx.group_of[k as usize] == gid;
    // The member whose registers hold operand `v`, if this loop computes it.
    let member = |v: Var| match resolve(g, v) {
        (Var::Eqn(j), false) if in_group(j) => Some(canon(cx.role, j)),
        _ => None,
    };
    // The last member reading each member's registers (inside this loop).
    let mut last_use: FxHashMap<u32, u32> = FxHashMap::default();
    for &m in &gr.members {
        match cx.role[m as usize] {
            Role::Alias(c) => {
                last_use.insert(c, m);
            }
            _ => {
                for &v in &g.eqns[m as usize].inputs {
                    if let Some(j) = member(v) {
                        last_use.insert(j, m);
                    }
                }
            }
        }
    }
    let mut k = Kernel {
        dtype: gr.dtype,
        n: gr.n,
        row: gr.row,
        inputs: Vec::new(),
        preload: Vec::new(),
        code: Vec::new(),
        nregs: 0,
        outputs: Vec::new(),
        reduce: None,
        first: None,
        members: gr.members.clone(),
    };
    let mut regs = Regs {
        free: Vec::new(),
        count: 0,
    };
    let mut value_of: FxHashMap<u32, Src> = FxHashMap::default();
    // Per-row members whose register holds their value in every lane (the rest hold it in the
    // first lane only, until elementwise work over the row reads it).
    let mut splatted: Vec<u32> = Vec::new();
    // Each input's index, by what it reads, whether it is splatted and whether it is per row.
    let mut input_index: FxHashMap<(Var, bool, bool), u32> = FxHashMap::default();
    // Reserved registers of scalar and bool inputs, by input index.
    let mut input_reg: FxHashMap<u32, u32> = FxHashMap::default();
    // Whether member `m` leaves as a broadcast view of one value per row: it is the broadcast
    // of a per-row member along its rows.
    let spreads = |m: u32| {
        let eqn = &g.eqns[m as usize];
        matches!(cx.role[m as usize], Role::Alias(_))
            && !cx.is_row[m as usize]
            && matches!(
                (eqn.prim.lowering(), eqn.inputs.first()),
                (Lowering::Broadcast { .. }, Some(&Var::Eqn(j))) if in_group(j) && cx.is_row[j as usize]
            )
    };
    // Write member `m`'s value, held in register `r`, to a new output (one element per row
    // for a per-row value and for the broadcast of one).
    let store = |k: &mut Kernel, m: u32, r: u32| {
        let eqn = &g.eqns[m as usize];
        let spread = spreads(m);
        let row = cx.is_row[m as usize] || spread;
        let numel = eqn.aval.shape.numel();
        k.outputs.push(KOutput {
            var: Var::Eqn(m),
            dtype: eqn.aval.dtype,
            numel: if spread {
                numel / gr.row.expect("a row loop")
            } else {
                numel
            },
            row,
            spread,
            buf: 0,
        });
        let out = k.outputs.len() as u32 - 1;
        k.code.push(if row {
            Instr::RowStore { out, src: r }
        } else {
            Instr::Store {
                out,
                src: Src::Reg(r),
            }
        });
    };
    // Fill per-row member `j`'s register `r` across the row, once, before work over the row
    // reads it.
    let splat = |k: &mut Kernel, splatted: &mut Vec<u32>, j: u32, r: u32| {
        if !splatted.contains(&j) {
            k.code.push(Instr::Splat { reg: r });
            splatted.push(j);
        }
    };
    for &m in &gr.members {
        let eqn = &g.eqns[m as usize];
        let needed_outside =
            cx.is_output[m as usize] || cx.users[m as usize].iter().any(|&u| !in_group(u));
        let role = cx.role[m as usize];
        if let Role::Alias(c) = role {
            let Some(&Src::Reg(r)) = value_of.get(&c) else {
                unreachable!("an alias reads a member's registers")
            };
            if needed_outside {
                // A per-row value leaving whole (not as a broadcast view) is spread first.
                if cx.is_row[c as usize] && !cx.is_row[m as usize] && !spreads(m) {
                    splat(&mut k, &mut splatted, c, r);
                }
                store(&mut k, m, r);
            }
            if last_use.get(&c) == Some(&m) && !regs.free.contains(&r) {
                regs.free.push(r);
            }
            continue;
        }
        let mut srcs: Vec<Src> = Vec::with_capacity(3);
        let per_row = cx.is_row[m as usize] && role == Role::Map;
        for &v in &eqn.inputs {
            if let Some(j) = member(v) {
                let src = value_of[&j];
                if let (Src::Reg(r), true, false) = (src, cx.is_row[j as usize], per_row) {
                    splat(&mut k, &mut splatted, j, r);
                }
                srcs.push(src);
                continue;
            }
            let (s, scalar) = resolve(g, v);
            let row = !scalar && per_row;
            let dtype = g.aval(s).dtype;
            let idx = *input_index.entry((s, scalar, row)).or_insert_with(|| {
                k.inputs.push(KInput {
                    var: s,
                    scalar,
                    row,
                    dtype,
                    pieces: None,
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
        if role == Role::Reduce {
            let (max, red, inner) = reduction(g, m as usize).expect("a reduction");
            k.outputs.push(KOutput {
                var: Var::Eqn(m),
                dtype: gr.dtype,
                numel: eqn.aval.shape.numel(),
                row: false,
                spread: false,
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
        if role == Role::RowReduce {
            let (max, _) = row_reduction(g, m as usize).expect("a row reduction");
            k.code.push(Instr::RowReduce {
                max,
                src: srcs[0],
                dst,
            });
        } else {
            let (rule, _) = classify(g, eqn).expect("members are fusible");
            let mut args = [srcs[0]; 3];
            args[..srcs.len()].copy_from_slice(&srcs);
            k.code.push(if per_row {
                Instr::RowMap { rule, dst, args }
            } else {
                Instr::Map { rule, dst, args }
            });
        }
        if needed_outside {
            store(&mut k, m, dst);
        }
        // Operands read for the last time give their registers back.
        for &v in &eqn.inputs {
            if let Some(j) = member(v) {
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
