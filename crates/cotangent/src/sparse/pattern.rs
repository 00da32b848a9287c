//! Sparsity detection: which outputs of a traced function can depend on which inputs, element
//! by element. Each value of the graph gets, per element, the sorted set of input elements it
//! may depend on; each equation maps its operands' sets to its own through what the primitive
//! tells the compiler about itself ([`Lowering`]): elementwise ops keep the diagonal, movement
//! ops move sets along their index maps, reductions and matrix products take unions over what
//! they combine. A primitive that describes nothing (`Opaque`) is taken as dense (each output
//! element depends on every input element of every operand), conservatively, and named in
//! [`Pattern::conservative`]. Integer and bool values carry no derivative, so they depend on
//! nothing: comparisons and argmax cut the dependency.
//!
//! The pattern is global (valid for every input value), except that a gather or scatter-add
//! whose indices are a constant of the trace reads or writes exactly those indices. The local
//! pattern ([`super::jacobian_sparsity_local`]) is valid at one input: the graph is evaluated
//! there, and the primitives whose dependency is a choice of the values (`select`, `max`,
//! `min`, `reduce_max`:
//! [`Primitive::local_dependencies`](crate::prim::Primitive::local_dependencies)) keep only the
//! branch taken.

use crate::core::bind::bind_at;
use crate::core::multi::{as_tuple, bind_multi, output_index};
use crate::core::{Error, Result, Shape, Tensor};
use crate::ir::{Graph, Var};
use crate::prim::lowering::{LocalDeps, Lowering};

/// Sorted input-element indices, per element of a value.
type Deps = Vec<Vec<u32>>;

/// What an equation's dependency is at the values of a local pattern's point.
#[derive(Clone, Debug)]
enum Choice {
    /// Per output element, the mask of operands it reads (elementwise choices).
    Operands(Vec<u8>),
    /// Per element of operand 0, whether it reaches its output (a reduction's winners).
    Elements(Vec<bool>),
}

/// A sparse boolean matrix in compressed rows: row `i`'s nonzero columns are
/// `indices[indptr[i]..indptr[i + 1]]`, ascending.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pattern {
    /// Number of rows (output elements).
    pub rows: usize,
    /// Number of columns (input elements).
    pub cols: usize,
    /// Row starts into `indices`, `rows + 1` entries.
    pub indptr: Vec<usize>,
    /// Column indices of the nonzeros, row by row.
    pub indices: Vec<usize>,
    /// Names of the primitives taken as dense for want of a dependency description.
    pub conservative: Vec<&'static str>,
}

impl Pattern {
    /// The number of structural nonzeros.
    pub fn nnz(&self) -> usize {
        self.indices.len()
    }

    /// The nonzero columns of row `i`.
    pub fn row(&self, i: usize) -> &[usize] {
        &self.indices[self.indptr[i]..self.indptr[i + 1]]
    }

    /// Whether entry `(i, j)` may be nonzero.
    pub fn contains(&self, i: usize, j: usize) -> bool {
        self.row(i).binary_search(&j).is_ok()
    }

    /// A sparse matrix with this pattern and these stored entries (row-major order).
    pub(crate) fn with_values(&self, values: Vec<f64>) -> super::Csr {
        debug_assert_eq!(values.len(), self.nnz());
        super::Csr {
            rows: self.rows,
            cols: self.cols,
            indptr: self.indptr.clone(),
            indices: self.indices.clone(),
            values,
        }
    }

    /// The transposed pattern (columns become rows).
    pub fn transpose(&self) -> Pattern {
        let mut counts = vec![0usize; self.cols + 1];
        for &j in &self.indices {
            counts[j + 1] += 1;
        }
        for j in 0..self.cols {
            counts[j + 1] += counts[j];
        }
        let mut next = counts.clone();
        let mut indices = vec![0; self.indices.len()];
        for i in 0..self.rows {
            for &j in self.row(i) {
                indices[next[j]] = i;
                next[j] += 1;
            }
        }
        Pattern {
            rows: self.cols,
            cols: self.rows,
            indptr: counts,
            indices,
            conservative: self.conservative.clone(),
        }
    }
}

fn union(sets: &[&[u32]]) -> Vec<u32> {
    let mut out: Vec<u32> = sets.iter().flat_map(|s| s.iter().copied()).collect();
    out.sort_unstable();
    out.dedup();
    out
}

fn row_major(dims: &[usize]) -> Vec<usize> {
    let mut s = vec![1; dims.len()];
    for d in (0..dims.len().saturating_sub(1)).rev() {
        s[d] = s[d + 1] * dims[d + 1];
    }
    s
}

/// Multi-index of flat index `e` in `dims`.
fn unravel(mut e: usize, dims: &[usize], out: &mut [usize]) {
    for d in (0..dims.len()).rev() {
        out[d] = e % dims[d].max(1);
        e /= dims[d].max(1);
    }
}

/// For each output element, the flat input element it reads (or `None`), by `read`, given the
/// output's multi-index.
fn gather_map(out: &Shape, input: &Deps, mut read: impl FnMut(&[usize]) -> Option<usize>) -> Deps {
    let dims = out.dims();
    let mut idx = vec![0; dims.len()];
    (0..out.numel())
        .map(|e| {
            unravel(e, dims, &mut idx);
            read(&idx).map(|i| input[i].clone()).unwrap_or_default()
        })
        .collect()
}

/// The dependency sets of every output of `g`, given those of its inputs (and, for a local
/// pattern, each equation's choice at the point).
fn propagate(
    g: &Graph,
    inputs: Vec<Deps>,
    conservative: &mut Vec<&'static str>,
    choices: Option<&[Option<Choice>]>,
) -> Vec<Deps> {
    let mut eqn_deps: Vec<Deps> = Vec::with_capacity(g.eqns.len());
    let none = |n: usize| vec![Vec::new(); n];
    for (k, eqn) in g.eqns.iter().enumerate() {
        let choice = choices.and_then(|c| c[k].as_ref());
        let deps_of = |v: Var, eqn_deps: &[Deps]| -> Deps {
            match v {
                Var::Input(i) => inputs[i as usize].clone(),
                Var::Const(c) => none(g.consts[c as usize].numel()),
                Var::Eqn(j) => eqn_deps[j as usize].clone(),
            }
        };
        let out = &eqn.aval.shape;
        let n = out.numel();
        if as_tuple(&*eqn.prim).is_some() {
            // A multi-output primitive describes nothing: its tuple depends on everything its
            // operands do (kept as one set), and every element of each output on that.
            if !conservative.contains(&eqn.prim.name()) {
                conservative.push(eqn.prim.name());
            }
            let ops: Vec<Deps> = eqn.inputs.iter().map(|&v| deps_of(v, &eqn_deps)).collect();
            let all: Vec<&[u32]> = ops.iter().flatten().map(|s| &s[..]).collect();
            eqn_deps.push(vec![union(&all)]);
            continue;
        }
        if output_index(&*eqn.prim).is_some() && eqn.aval.dtype.is_float() {
            let tuple = deps_of(eqn.inputs[0], &eqn_deps);
            eqn_deps.push(vec![tuple[0].clone(); n]);
            continue;
        }
        if !eqn.aval.dtype.is_float() {
            eqn_deps.push(none(n));
            continue;
        }
        let ops: Vec<Deps> = eqn.inputs.iter().map(|&v| deps_of(v, &eqn_deps)).collect();
        let shapes: Vec<Shape> = eqn.inputs.iter().map(|&v| g.aval(v).shape).collect();
        let deps: Deps = match eqn.prim.lowering() {
            Lowering::Elementwise(_) => (0..n)
                .map(|e| {
                    let sets: Vec<&[u32]> = ops
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| match choice {
                            Some(Choice::Operands(m)) => m[e] >> i & 1 == 1,
                            _ => true,
                        })
                        .map(|(_, o)| if o.len() == n { &o[e][..] } else { &o[0][..] })
                        .collect();
                    union(&sets)
                })
                .collect(),
            Lowering::Reshape { .. } => ops[0].clone(),
            Lowering::Broadcast { shape } => {
                let ins = shapes[0].dims();
                let lead = shape.rank() - ins.len();
                let st = row_major(ins);
                gather_map(out, &ops[0], |o| {
                    Some(
                        (0..ins.len())
                            .map(|d| (if ins[d] == 1 { 0 } else { o[lead + d] }) * st[d])
                            .sum(),
                    )
                })
            }
            Lowering::Permute { perm } => {
                let st = row_major(shapes[0].dims());
                gather_map(out, &ops[0], |o| {
                    Some((0..perm.len()).map(|k| o[k] * st[perm[k]]).sum())
                })
            }
            Lowering::Slice { starts, steps, .. } => {
                let st = row_major(shapes[0].dims());
                gather_map(out, &ops[0], |o| {
                    Some(
                        (0..o.len())
                            .map(|d| (starts[d] + o[d] * steps[d]) * st[d])
                            .sum(),
                    )
                })
            }
            Lowering::Pad { lo, interior, .. } => {
                let ins = shapes[0].dims();
                let st = row_major(ins);
                gather_map(out, &ops[0], |o| {
                    let mut at = 0;
                    for d in 0..o.len() {
                        let k = o[d].checked_sub(lo[d])?;
                        if k % (interior[d] + 1) != 0 || k / (interior[d] + 1) >= ins[d] {
                            return None;
                        }
                        at += k / (interior[d] + 1) * st[d];
                    }
                    Some(at)
                })
            }
            Lowering::Concat { axis } => {
                let mut which = Vec::new(); // (operand, offset along axis) per output index
                for (k, s) in shapes.iter().enumerate() {
                    which.extend((0..s[axis]).map(|i| (k, i)));
                }
                let dims = out.dims();
                let mut idx = vec![0; dims.len()];
                (0..n)
                    .map(|e| {
                        unravel(e, dims, &mut idx);
                        let (k, i) = which[idx[axis]];
                        let mut src = idx.clone();
                        src[axis] = i;
                        let st = row_major(shapes[k].dims());
                        ops[k][src.iter().zip(&st).map(|(a, b)| a * b).sum::<usize>()].clone()
                    })
                    .collect()
            }
            Lowering::Reduce { axes, .. } => {
                let ins = shapes[0].dims();
                let kept: Vec<usize> = (0..ins.len()).filter(|d| !axes.contains(d)).collect();
                let kept_dims: Vec<usize> = kept.iter().map(|&d| ins[d]).collect();
                let st = row_major(&kept_dims);
                let mut acc: Vec<Vec<u32>> = none(n);
                let mut idx = vec![0; ins.len()];
                for (e, set) in ops[0].iter().enumerate() {
                    if let Some(Choice::Elements(reaches)) = choice {
                        if !reaches[e] {
                            continue;
                        }
                    }
                    unravel(e, ins, &mut idx);
                    let o: usize = kept.iter().zip(&st).map(|(&d, s)| idx[d] * s).sum();
                    acc[o].extend_from_slice(set);
                }
                acc.into_iter().map(|s| union(&[&s])).collect()
            }
            Lowering::Matmul => {
                let (a, b) = (shapes[0].dims(), shapes[1].dims());
                let r = a.len();
                let (m, k, p) = (a[r - 2], a[r - 1], b[r - 1]);
                (0..n)
                    .map(|e| {
                        let (batch, i, j) = (e / (m * p), e / p % m, e % p);
                        let mut sets: Vec<&[u32]> = Vec::with_capacity(2 * k);
                        for t in 0..k {
                            sets.push(&ops[0][(batch * m + i) * k + t]);
                            sets.push(&ops[1][(batch * k + t) * p + j]);
                        }
                        union(&sets)
                    })
                    .collect()
            }
            Lowering::Gather { axis } => {
                let ins = shapes[0].dims();
                let st = row_major(ins);
                let known = match eqn.inputs[1] {
                    Var::Const(c) => Some(g.consts[c as usize].to_f64_vec()),
                    _ => None,
                };
                let dims = out.dims();
                let mut idx = vec![0; dims.len()];
                (0..n)
                    .map(|e| {
                        unravel(e, dims, &mut idx);
                        let rows: Vec<usize> = match &known {
                            Some(v) => {
                                let i = v[idx[axis]] as i64;
                                vec![if i < 0 {
                                    (i + ins[axis] as i64) as usize
                                } else {
                                    i as usize
                                }]
                            }
                            None => (0..ins[axis]).collect(),
                        };
                        let mut src = idx.clone();
                        let sets: Vec<Vec<u32>> = rows
                            .into_iter()
                            .filter(|&r| r < ins[axis])
                            .map(|r| {
                                src[axis] = r;
                                ops[0][src.iter().zip(&st).map(|(a, b)| a * b).sum::<usize>()]
                                    .clone()
                            })
                            .collect();
                        let refs: Vec<&[u32]> = sets.iter().map(|s| &s[..]).collect();
                        union(&refs)
                    })
                    .collect()
            }
            Lowering::ScatterAdd { axis } => {
                // Output element e (at position r along the axis) is base[e] plus the updates
                // j with idx[j] = r; without known indices, plus every update at e's other
                // coordinates.
                let known = match eqn.inputs[1] {
                    Var::Const(c) => Some(g.consts[c as usize].to_f64_vec()),
                    _ => None,
                };
                let (dims, ud) = (out.dims(), shapes[2].dims());
                let len = dims[axis] as i64;
                let mut sources: Vec<Vec<usize>> = vec![Vec::new(); dims[axis]];
                for j in 0..ud[axis] {
                    match &known {
                        Some(v) => {
                            let i = v[j] as i64;
                            let i = if i < 0 { i + len } else { i };
                            if (0..len).contains(&i) {
                                sources[i as usize].push(j);
                            }
                        }
                        None => sources.iter_mut().for_each(|s| s.push(j)),
                    }
                }
                let st = row_major(ud);
                let mut idx = vec![0; dims.len()];
                (0..n)
                    .map(|e| {
                        unravel(e, dims, &mut idx);
                        let mut sets: Vec<&[u32]> = vec![&ops[0][e]];
                        let mut src = idx.clone();
                        for &j in &sources[idx[axis]] {
                            src[axis] = j;
                            let k: usize = src.iter().zip(&st).map(|(a, b)| a * b).sum();
                            sets.push(&ops[2][k]);
                        }
                        union(&sets)
                    })
                    .collect()
            }
            Lowering::Opaque => {
                if !conservative.contains(&eqn.prim.name()) {
                    conservative.push(eqn.prim.name());
                }
                // Every output element depends on everything its operands depend on.
                let all: Vec<&[u32]> = ops.iter().flatten().map(|s| &s[..]).collect();
                let all = union(&all);
                vec![all; n]
            }
        };
        eqn_deps.push(deps);
    }
    g.outputs
        .iter()
        .map(|&v| match v {
            Var::Input(i) => inputs[i as usize].clone(),
            Var::Const(c) => none(g.consts[c as usize].numel()),
            Var::Eqn(j) => eqn_deps[j as usize].clone(),
        })
        .collect()
}

/// The pattern of the Jacobian of the graph's first output with respect to its first input.
pub(crate) fn of_graph(g: &Graph) -> Result<Pattern> {
    pattern_of(g, None)
}

/// The local pattern at `x` (the graph's only input): valid where every choice the values make
/// (a `select`'s branch, the larger operand of `max`, a reduction's maximum) is the one made at
/// `x`.
pub(crate) fn of_graph_local(g: &Graph, x: &Tensor) -> Result<Pattern> {
    let choices = choices_at(g, x)?;
    pattern_of(g, Some(&choices))
}

/// For each equation of `g`, evaluated at `x`, the choice its primitive declares.
fn choices_at(g: &Graph, x: &Tensor) -> Result<Vec<Option<Choice>>> {
    let x = x.detach();
    if x.value().is_abstract() || g.inputs.len() != 1 {
        return Err(Error::usage(
            "jacobian_sparsity_local",
            "the local pattern needs a concrete input (it evaluates the function there), not \
             a value traced by jit or vmap",
        ));
    }
    let mut choices = vec![None; g.eqns.len()];
    g.interpret(
        |v| match v {
            Var::Input(_) => x.clone(),
            Var::Const(c) => g.consts[c as usize].clone(),
            Var::Eqn(_) => unreachable!("equations are read from the environment"),
        },
        |k, eqn, args| {
            let values: Vec<_> = args.iter().map(|t| t.value()).collect();
            let out = bind_at(
                eqn.prim.clone(),
                args.iter().cloned().collect(),
                eqn.location,
            )?;
            let choice = match eqn.prim.local_dependencies(&values, out.value()) {
                None => None,
                Some(LocalDeps::Operands(m)) => Some(Choice::Operands(m)),
                Some(LocalDeps::Winners) => match eqn.prim.lowering() {
                    Lowering::Reduce { axes, .. } => {
                        Some(Choice::Elements(winners(&args[0], &out, axes)))
                    }
                    _ => None,
                },
            };
            choices[k] = choice;
            Ok(out)
        },
        |_, eqn, t, args| bind_multi(t.multi.clone(), args.into_iter().collect(), eqn.location),
    )?;
    Ok(choices)
}

/// Per element of `input`, whether it equals the output of its reduced block (or that output
/// is NaN).
fn winners(input: &Tensor, out: &Tensor, axes: &[usize]) -> Vec<bool> {
    let ins = input.dims();
    let kept: Vec<usize> = (0..ins.len()).filter(|d| !axes.contains(d)).collect();
    let kept_dims: Vec<usize> = kept.iter().map(|&d| ins[d]).collect();
    let st = row_major(&kept_dims);
    let (iv, ov) = (input.to_f64_vec(), out.to_f64_vec());
    let mut idx = vec![0; ins.len()];
    (0..iv.len())
        .map(|e| {
            unravel(e, ins, &mut idx);
            let o: usize = kept.iter().zip(&st).map(|(&d, s)| idx[d] * s).sum();
            iv[e] == ov[o] || ov[o].is_nan()
        })
        .collect()
}

fn pattern_of(g: &Graph, choices: Option<&[Option<Choice>]>) -> Result<Pattern> {
    let n = g.inputs[0].shape.numel();
    let mut inputs: Vec<Deps> = vec![(0..n as u32).map(|j| vec![j]).collect()];
    for a in &g.inputs[1..] {
        inputs.push(vec![Vec::new(); a.shape.numel()]);
    }
    let mut conservative = Vec::new();
    let out = propagate(g, inputs, &mut conservative, choices).swap_remove(0);
    let mut indptr = Vec::with_capacity(out.len() + 1);
    let mut indices = Vec::new();
    indptr.push(0);
    for row in out {
        indices.extend(row.into_iter().map(|j| j as usize));
        indptr.push(indices.len());
    }
    Ok(Pattern {
        rows: indptr.len() - 1,
        cols: n,
        indptr,
        indices,
        conservative,
    })
}
