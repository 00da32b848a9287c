//! Implicit differentiation: [`custom_root`] (a user's root finder, differentiated by the
//! implicit function theorem, like JAX's `lax.custom_root`) and [`custom_linear_solve`] (a
//! user's linear solver, differentiated as the solution of a linear system, like JAX's
//! `lax.custom_linear_solve`). This module owns both and their one primitive.
//!
//! The residual function (or the matrix-vector product) is traced once into a graph by closure
//! conversion: the tensors it closes over that a transformation tracks (an outer `grad`'s
//! variables, an outer `jit`'s or `vmap`'s placeholders) become explicit inputs of the
//! primitive, so they are the parameters θ derivatives are taken with respect to. The user's
//! solver is opaque: the primitive's kernel calls it on concrete values (eagerly, and inside a
//! compiled `jit` program alike), and its iterations are never differentiated. The rules are:
//!
//! - JVP: `ẋ = −(∂f/∂x)⁻¹ (∂f/∂θ · θ̇)`, with `(∂f/∂x)⁻¹` applied by the user's tangent solver
//!   (for a linear solve: a new `custom_linear_solve` of the same operator, so the tangent is
//!   itself differentiable and transposable).
//! - VJP: `w = (∂f/∂x)⁻ᵀ x̄` by the tangent solver given the *transposed* linearization
//!   (for a linear solve: the user's `transpose_solve`, or `solve` when symmetric), then
//!   `θ̄ = −(∂f/∂θ)ᵀ w`.
//!
//! Both rules are written with tensor ops, so second derivatives come from differentiating
//! them (the solution inside them is this primitive again). Under `vmap` the primitive becomes
//! one batched node whose kernel calls the user's solver once per example (the solver is
//! arbitrary Rust code: it always sees one unbatched problem) and whose rules are the
//! unbatched rules mapped with `vmap`, so the tangent solves run batched.

use std::cell::RefCell;
use std::fmt;
use std::panic::Location;
use std::sync::Arc;

use super::closure::trace_closed;
use super::type_list;
use crate::core::bind::bind_at;
use crate::core::tensor::Inputs;
use crate::core::{Error, Result, Tensor, Value};
use crate::ir::Graph;
use crate::no_grad;
use crate::prim::{Aval, AvalRef, Primitive};
use crate::transform::grad::try_vjp;
use crate::transform::jvp::try_jvp;
use crate::transform::vmap::move_axis;

/// A user's solver: given a function `g` and a tensor `y`, returns `x` (a root of `g` near the
/// initial guess `y` for `custom_root`'s `solve`; the solution of `g(x) = y` for a linear `g`
/// otherwise).
type SolveFn = Arc<dyn Fn(&dyn Fn(&Tensor) -> Tensor, &Tensor) -> Tensor + Send + Sync>;

/// What the carried graph is and how its linear systems are solved.
#[derive(Clone)]
enum Kind {
    /// `custom_root`: the graph is the residual `f(x, extras…)`; the primitive's inputs are
    /// the initial guess (no derivative flows to it), then the extras.
    Root { tangent_solve: SolveFn },
    /// `custom_linear_solve`: the graph is the product `A(extras…)·x`; the primitive's inputs
    /// are the right-hand side `b`, then the extras. The residual is `A·x − b`.
    Linear {
        transpose_solve: SolveFn,
        symmetric: bool,
    },
}

/// The primitive: its output is the user's solution; its rules are implicit differentiation.
#[derive(Clone)]
struct Implicit {
    kind: Kind,
    /// The residual (root) or the matrix-vector product (linear), traced with `x` as input 0.
    graph: Arc<Graph>,
    solve: SolveFn,
    /// The type of `x` (and of the output).
    aval: Aval,
}

impl fmt::Debug for Implicit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.op(), self.aval)
    }
}

/// `g` as the infallible function a user's solver calls: the first error is kept in `err` and
/// the call returns zeros of `out` (the caller reports `err` once the solver returns).
fn guarded<'a>(
    g: impl Fn(&Tensor) -> Result<Tensor> + 'a,
    err: &'a RefCell<Option<Error>>,
    out: &'a Aval,
) -> impl Fn(&Tensor) -> Tensor + 'a {
    move |x| match g(x) {
        Ok(y) => y,
        Err(e) => {
            err.borrow_mut().get_or_insert(e);
            Tensor::zeros(out.shape.dims(), out.dtype)
        }
    }
}

/// An error naming `op` unless `got` (what `who` returned) has exactly the type `want`.
fn check_returned(op: &'static str, who: &str, got: &Tensor, want: &Aval) -> Result<()> {
    let got = Aval::of(got);
    if &got != want {
        return Err(Error::shape(
            op,
            format!("{who} returned {got} but the solution must be {want}"),
        ));
    }
    Ok(())
}

/// The tangent of `f` at `primals` along `tangents`, for a fallible `f` with output type `out`.
fn jvp_r(
    f: impl FnOnce(&[Tensor]) -> Result<Tensor>,
    primals: &[Tensor],
    tangents: &[Tensor],
    out: &Aval,
) -> Result<Tensor> {
    let mut err = None;
    let (_, t) = try_jvp(
        |xs| {
            f(xs).unwrap_or_else(|e| {
                err = Some(e);
                Tensor::zeros(out.shape.dims(), out.dtype)
            })
        },
        primals,
        tangents,
    )?;
    err.map_or(Ok(t), Err)
}

/// The cotangents of `primals` for the output cotangent `ct`, for a fallible `f`.
fn vjp_r(
    f: impl FnOnce(&[Tensor]) -> Result<Tensor>,
    primals: &[Tensor],
    ct: &Tensor,
) -> Result<Vec<Tensor>> {
    let mut err = None;
    let out = Aval::of(ct);
    let (_, pb) = try_vjp(
        |xs| {
            f(xs).unwrap_or_else(|e| {
                err = Some(e);
                Tensor::zeros(out.shape.dims(), out.dtype)
            })
        },
        primals,
    )?;
    if let Some(e) = err {
        return Err(e);
    }
    pb.try_call(ct)
}

impl Implicit {
    fn op(&self) -> &'static str {
        match self.kind {
            Kind::Root { .. } => "custom_root",
            Kind::Linear { .. } => "custom_linear_solve",
        }
    }

    /// The carried graph at `x`, with the primitive's inputs `ins` supplying the extras.
    fn apply_graph(&self, x: &Tensor, ins: &[Tensor]) -> Result<Tensor> {
        let mut args = Vec::with_capacity(ins.len());
        args.push(x.clone());
        args.extend(ins[1..].iter().cloned());
        Ok(self.graph.eval(&args)?.swap_remove(0))
    }

    /// The residual `f(x; θ)` whose root the output is.
    fn residual(&self, x: &Tensor, ins: &[Tensor]) -> Result<Tensor> {
        let y = self.apply_graph(x, ins)?;
        match self.kind {
            Kind::Root { .. } => Ok(y),
            Kind::Linear { .. } => y.try_sub(&ins[0]),
        }
    }

    /// The inputs derivatives flow to: the float extras, and `b` for a linear solve (never the
    /// initial guess of a root).
    fn differentiable(&self, ins: &[Tensor]) -> Vec<usize> {
        let first = usize::from(matches!(self.kind, Kind::Root { .. }));
        (first..ins.len())
            .filter(|&i| ins[i].dtype().is_float())
            .collect()
    }

    /// `ins` with the positions `pos` replaced by `sub`.
    fn with(ins: &[Tensor], pos: &[usize], sub: &[Tensor]) -> Vec<Tensor> {
        let mut full = ins.to_vec();
        for (j, &i) in pos.iter().enumerate() {
            full[i] = sub[j].clone();
        }
        full
    }

    /// `∂f/∂x · z` at the solution `xs` (or its transpose applied to `z`).
    fn linearized(
        &self,
        transpose: bool,
        xs: &Tensor,
        ins: &[Tensor],
        z: &Tensor,
    ) -> Result<Tensor> {
        match (&self.kind, transpose) {
            (Kind::Linear { .. }, false)
            | (
                Kind::Linear {
                    symmetric: true, ..
                },
                true,
            ) => self.apply_graph(z, ins),
            (Kind::Linear { .. }, true) => {
                // Linear in x: the transpose at any point, zero included.
                let zero = Tensor::try_zeros(self.aval.shape.dims(), self.aval.dtype)?;
                Ok(vjp_r(|a| self.apply_graph(&a[0], ins), &[zero], z)?.swap_remove(0))
            }
            (Kind::Root { .. }, false) => jvp_r(
                |a| self.residual(&a[0], ins),
                std::slice::from_ref(xs),
                std::slice::from_ref(z),
                &self.aval,
            ),
            (Kind::Root { .. }, true) => {
                Ok(
                    vjp_r(|a| self.residual(&a[0], ins), std::slice::from_ref(xs), z)?
                        .swap_remove(0),
                )
            }
        }
    }

    /// `(∂f/∂x)⁻¹ y` (or `(∂f/∂x)⁻ᵀ y`) at the solution `xs`.
    fn solve_linearized(
        &self,
        transpose: bool,
        xs: &Tensor,
        ins: &[Tensor],
        y: &Tensor,
    ) -> Result<Tensor> {
        match &self.kind {
            Kind::Root { tangent_solve } => {
                let err = RefCell::new(None);
                let g = guarded(|z| self.linearized(transpose, xs, ins, z), &err, &self.aval);
                let z = tangent_solve(&g, y);
                if let Some(e) = err.take() {
                    return Err(e);
                }
                check_returned(self.op(), "tangent_solve", &z, &self.aval)?;
                Ok(z)
            }
            Kind::Linear {
                transpose_solve,
                symmetric,
            } => {
                // Another linear solve of the same operator (or its transpose), so that this
                // tangent is differentiable and transposable in turn.
                let (solve, back) = if transpose {
                    (transpose_solve.clone(), self.solve.clone())
                } else {
                    (self.solve.clone(), transpose_solve.clone())
                };
                let err = RefCell::new(None);
                let x = linear_solve_at(
                    guarded(|z| self.linearized(transpose, xs, ins, z), &err, &self.aval),
                    y,
                    solve,
                    back,
                    *symmetric,
                    Location::caller(),
                );
                if let Some(e) = err.take() {
                    return Err(e);
                }
                x
            }
        }
    }

    /// The user's solver on concrete inputs.
    fn run_solver(&self, ins: &[Tensor]) -> Result<Tensor> {
        let err = RefCell::new(None);
        let x = match self.kind {
            Kind::Root { .. } => {
                let f = guarded(|x| self.residual(x, ins), &err, &self.aval);
                (self.solve)(&f, &ins[0])
            }
            Kind::Linear { .. } => {
                let matvec = guarded(|x| self.apply_graph(x, ins), &err, &self.aval);
                (self.solve)(&matvec, &ins[0])
            }
        };
        if let Some(e) = err.take() {
            return Err(e);
        }
        check_returned(self.op(), "solve", &x, &self.aval)?;
        Ok(x)
    }
}

impl Primitive for Implicit {
    fn name(&self) -> &'static str {
        self.op()
    }

    fn params(&self) -> String {
        format!("{} eqns", self.graph.eqns().len())
    }

    fn abstract_eval(&self, inputs: &[AvalRef<'_>]) -> Result<Aval> {
        let got: Vec<Aval> = inputs.iter().map(AvalRef::to_aval).collect();
        let mut want = vec![self.aval.clone()];
        want.extend_from_slice(&self.graph.inputs()[1..]);
        if got != want {
            return Err(Error::shape(
                self.op(),
                format!(
                    "operands {} do not match the traced {}",
                    type_list(&got),
                    type_list(&want)
                ),
            ));
        }
        Ok(self.aval.clone())
    }

    fn eval(&self, inputs: &[&Value]) -> Result<Value> {
        let ins: Vec<Tensor> = inputs
            .iter()
            .map(|v| Tensor::from_value((*v).clone(), Location::caller()))
            .collect();
        let x = no_grad(|| self.run_solver(&ins))?;
        Ok(x.value().clone())
    }

    fn jvp(&self, p: &[Tensor], t: &[Option<Tensor>], out: &Tensor) -> Result<Option<Tensor>> {
        let pos: Vec<usize> = self
            .differentiable(p)
            .into_iter()
            .filter(|&i| t[i].is_some())
            .collect();
        if pos.is_empty() {
            return Ok(None);
        }
        let sub: Vec<Tensor> = pos.iter().map(|&i| p[i].clone()).collect();
        let subt: Vec<Tensor> = pos.iter().filter_map(|&i| t[i].clone()).collect();
        // ∂f/∂θ · θ̇ at the solution, then ẋ = −(∂f/∂x)⁻¹ of it.
        let rhs = jvp_r(
            |s| self.residual(out, &Self::with(p, &pos, s)),
            &sub,
            &subt,
            &self.aval,
        )?;
        Ok(Some(self.solve_linearized(false, out, p, &rhs)?.try_neg()?))
    }

    fn vjp(&self, p: &[Tensor], out: &Tensor, g: &Tensor) -> Result<Vec<Option<Tensor>>> {
        let mut cts = vec![None; p.len()];
        let pos = self.differentiable(p);
        if pos.is_empty() {
            return Ok(cts);
        }
        // w = (∂f/∂x)⁻ᵀ x̄, then θ̄ = −(∂f/∂θ)ᵀ w.
        let w = self.solve_linearized(true, out, p, g)?;
        let sub: Vec<Tensor> = pos.iter().map(|&i| p[i].clone()).collect();
        let got = vjp_r(|s| self.residual(out, &Self::with(p, &pos, s)), &sub, &w)?;
        for (c, &i) in got.into_iter().zip(&pos) {
            cts[i] = Some(c.try_neg()?);
        }
        Ok(cts)
    }

    fn batch(
        &self,
        args: &[Tensor],
        dims: &[Option<usize>],
        size: usize,
    ) -> Result<Option<(Tensor, Option<usize>)>> {
        PerExample::apply(Arc::new(self.clone()), args, dims, size)
    }
}

/// A batch of the same solve, one per example: the kernel runs the unbatched primitive's
/// kernel (the user's solver) on each example and stacks the solutions at axis 0; the
/// derivative rules are the unbatched primitive's rules mapped with `vmap`, so the tangent
/// solves and the products with ∂f/∂θ run batched, and the batch stays one node of the graph.
#[derive(Clone)]
struct PerExample {
    inner: Arc<dyn Primitive>,
    /// The batch axis of each input (`None`: shared by every example).
    dims: Vec<Option<usize>>,
    size: usize,
}

impl fmt::Debug for PerExample {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} per example of {}", self.inner, self.size)
    }
}

/// The shape and dtype of one example of `a`, batched at `d`.
fn unbatched(a: &Aval, d: Option<usize>) -> Aval {
    let mut dims = a.shape.dims().to_vec();
    if let Some(d) = d {
        dims.remove(d);
    }
    Aval::new(&dims, a.dtype)
}

impl PerExample {
    fn apply(
        inner: Arc<dyn Primitive>,
        args: &[Tensor],
        dims: &[Option<usize>],
        size: usize,
    ) -> Result<Option<(Tensor, Option<usize>)>> {
        let prim = PerExample {
            inner,
            dims: dims.to_vec(),
            size,
        };
        let inputs: Inputs = args.iter().cloned().collect();
        Ok(Some((bind_at(prim, inputs, Location::caller())?, Some(0))))
    }

    /// Example `b` of input `x` (batched at `d`).
    fn example(x: &Tensor, d: Option<usize>, b: usize) -> Result<Tensor> {
        match d {
            Some(d) => x.try_narrow(d as isize, b, 1)?.try_squeeze(d as isize),
            None => Ok(x.clone()),
        }
    }
}

impl Primitive for PerExample {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn params(&self) -> String {
        format!("per example of {}: {}", self.size, self.inner.params())
    }

    fn abstract_eval(&self, inputs: &[AvalRef<'_>]) -> Result<Aval> {
        let mut per = Vec::with_capacity(inputs.len());
        for (a, &d) in inputs.iter().zip(&self.dims) {
            let a = Aval {
                shape: a.shape.clone(),
                dtype: a.dtype,
            };
            if let Some(d) = d {
                if a.shape.dims().get(d) != Some(&self.size) {
                    return Err(Error::shape(
                        self.name(),
                        format!("operand {a} has no batch axis {d} of size {}", self.size),
                    ));
                }
            }
            per.push(unbatched(&a, d));
        }
        let refs: Vec<AvalRef<'_>> = per
            .iter()
            .map(|a| AvalRef {
                shape: &a.shape,
                dtype: a.dtype,
            })
            .collect();
        let one = self.inner.abstract_eval(&refs)?;
        let mut dims = vec![self.size];
        dims.extend_from_slice(one.shape.dims());
        Ok(Aval::new(&dims, one.dtype))
    }

    fn eval(&self, inputs: &[&Value]) -> Result<Value> {
        let xs: Vec<Tensor> = inputs
            .iter()
            .map(|v| Tensor::from_value((*v).clone(), Location::caller()))
            .collect();
        let outs = no_grad(|| {
            (0..self.size)
                .map(|b| {
                    let one: Vec<Tensor> = xs
                        .iter()
                        .zip(&self.dims)
                        .map(|(x, &d)| Self::example(x, d, b))
                        .collect::<Result<_>>()?;
                    let refs: Vec<&Value> = one.iter().map(Tensor::value).collect();
                    let v = self.inner.eval(&refs)?;
                    Ok(Tensor::from_value(v, Location::caller()))
                })
                .collect::<Result<Vec<_>>>()
        })?;
        Ok(Tensor::try_stack(&outs, 0)?.value().clone())
    }

    fn jvp(&self, p: &[Tensor], t: &[Option<Tensor>], out: &Tensor) -> Result<Option<Tensor>> {
        let n = p.len();
        let given: Vec<bool> = t.iter().map(Option::is_some).collect();
        let mut args = p.to_vec();
        args.extend(crate::transform::function::dense(p, t));
        args.push(out.clone());
        let mut axes = self.dims.clone();
        axes.extend(self.dims.iter().copied());
        axes.push(Some(0));
        let mut err = None;
        let mut zero = true;
        let ts = crate::try_vmap_call(
            |a| {
                let ts: Vec<Option<Tensor>> =
                    (0..n).map(|i| given[i].then(|| a[n + i].clone())).collect();
                match self.inner.jvp(&a[..n], &ts, &a[2 * n]) {
                    Ok(Some(t)) => {
                        zero = false;
                        vec![t]
                    }
                    Ok(None) => vec![a[2 * n].zeros_like()],
                    Err(e) => {
                        err = Some(e);
                        vec![a[2 * n].zeros_like()]
                    }
                }
            },
            &args,
            &axes,
            &[0],
        )?;
        if let Some(e) = err {
            return Err(e);
        }
        Ok((!zero).then(|| ts.into_iter().next().expect("one output")))
    }

    fn vjp(&self, p: &[Tensor], out: &Tensor, g: &Tensor) -> Result<Vec<Option<Tensor>>> {
        let n = p.len();
        let mut args = p.to_vec();
        args.extend([out.clone(), g.clone()]);
        let mut axes = self.dims.clone();
        axes.extend([Some(0), Some(0)]);
        let mut err = None;
        let mut some = vec![false; n];
        let cts = crate::try_vmap_call(
            |a| match self.inner.vjp(&a[..n], &a[n], &a[n + 1]) {
                Ok(cts) => cts
                    .into_iter()
                    .enumerate()
                    .map(|(i, c)| {
                        some[i] = c.is_some();
                        c.unwrap_or_else(|| a[i].zeros_like())
                    })
                    .collect(),
                Err(e) => {
                    err = Some(e);
                    a[..n].iter().map(Tensor::zeros_like).collect()
                }
            },
            &args,
            &axes,
            &[0],
        )?;
        if let Some(e) = err {
            return Err(e);
        }
        cts.into_iter()
            .zip(&self.dims)
            .zip(some)
            .map(|((c, d), some)| {
                if !some {
                    return Ok(None);
                }
                Ok(Some(match d {
                    Some(d) => move_axis(&c, 0, *d)?,
                    // Shared by every example: the cotangents add up.
                    None => c.try_sum_axes(&[0], false)?,
                }))
            })
            .collect()
    }

    fn batch(
        &self,
        args: &[Tensor],
        dims: &[Option<usize>],
        size: usize,
    ) -> Result<Option<(Tensor, Option<usize>)>> {
        PerExample::apply(Arc::new(self.clone()), args, dims, size)
    }
}

/// Trace `body` at `x`'s type (its captured tracked tensors lifted into extra inputs) and bind
/// the primitive on `first` and the extras.
fn apply(
    kind: Kind,
    body: impl FnOnce(&Tensor) -> Tensor,
    first: &Tensor,
    solve: SolveFn,
    what: &str,
    location: &'static Location<'static>,
) -> Result<Tensor> {
    let aval = Aval::of(first);
    let op = match kind {
        Kind::Root { .. } => "custom_root",
        Kind::Linear { .. } => "custom_linear_solve",
    };
    if !aval.dtype.is_float() {
        return Err(Error::dtype(op, format!("x must be a float tensor, got {aval}")).at(location));
    }
    let (graph, extras) = trace_closed(|a| Ok(vec![body(&a[0])]), std::slice::from_ref(&aval))
        .map_err(|e| e.at(location))?;
    let outs = graph.output_avals();
    if outs != [aval.clone()] {
        return Err(Error::shape(
            op,
            format!(
                "{what} returns {} for x of {aval}: it must return one tensor of x's shape and dtype",
                type_list(&outs)
            ),
        )
        .at(location));
    }
    let prim = Implicit {
        kind,
        graph: Arc::new(graph),
        solve,
        aval,
    };
    let mut inputs = Inputs::new();
    inputs.push(first.clone());
    inputs.extend(extras);
    bind_at(prim, inputs, location)
}

fn linear_solve_at(
    matvec: impl FnOnce(&Tensor) -> Tensor,
    b: &Tensor,
    solve: SolveFn,
    transpose_solve: SolveFn,
    symmetric: bool,
    location: &'static Location<'static>,
) -> Result<Tensor> {
    let kind = Kind::Linear {
        transpose_solve,
        symmetric,
    };
    apply(kind, matvec, b, solve, "matvec", location)
}

/// Like [`custom_root`], returning an error when `f`'s result does not have the initial guess's
/// shape and dtype, the initial guess is not a float tensor, `f` cannot be traced, or `solve` or
/// `tangent_solve` return a tensor of the wrong type.
///
/// ```
/// use cotangent::{try_custom_root, Tensor};
/// let a = Tensor::from_vec(vec![1.0, 2.0], &[2]);
/// // The residual is a scalar for an x of two elements: refused, naming both types.
/// let e = try_custom_root(|x| x.sum(), &a, |_, x0| x0.clone(), |g, y| y / &g(&y.ones_like()))
///     .unwrap_err();
/// assert!(e.to_string().contains("custom_root") && e.to_string().contains("(f64[])"));
/// ```
#[track_caller]
pub fn try_custom_root<F, S, T>(
    f: F,
    initial_guess: &Tensor,
    solve: S,
    tangent_solve: T,
) -> Result<Tensor>
where
    F: FnOnce(&Tensor) -> Tensor,
    S: Fn(&dyn Fn(&Tensor) -> Tensor, &Tensor) -> Tensor + Send + Sync + 'static,
    T: Fn(&dyn Fn(&Tensor) -> Tensor, &Tensor) -> Tensor + Send + Sync + 'static,
{
    let kind = Kind::Root {
        tangent_solve: Arc::new(tangent_solve),
    };
    apply(
        kind,
        f,
        initial_guess,
        Arc::new(solve),
        "f",
        Location::caller(),
    )
}

/// A root `x*` of `f` (`f(x*) = 0`) found by the user's `solve`, differentiated by the implicit
/// function theorem (JAX's `lax.custom_root`).
///
/// - `f(x)` is the residual, of `x`'s shape and dtype, written with tensor ops. The tensors it
///   closes over are its parameters θ: derivatives of `x*` with respect to them (and to anything
///   they are computed from) are `dx*/dθ = −(∂f/∂x)⁻¹ ∂f/∂θ` at the root. `f` is traced once.
/// - `solve(f, initial_guess)` is the root finder: any Rust code (Newton, bisection with
///   comparisons and `item()`, a fixed-point loop). It always runs on concrete, untracked
///   values — eagerly, and inside a compiled `jit` program alike — and its iterations are never
///   differentiated. The initial guess gets no derivative.
/// - `tangent_solve(g, y)` returns `z` with `g(z) = y`, for the linear map `g` (the
///   linearization of `f` in `x` at the root; in reverse mode, its transpose). It runs inside
///   the derivative rules, so it must be written with tensor ops (not `item()`); for a scalar
///   `x` it is `|g, y| y / g(&y.ones_like())`, for a vector `x` it can build the Jacobian of `g`
///   and call [`crate::linalg::solve`], or call [`custom_linear_solve`] with an iterative solver.
///   Higher derivatives differentiate it.
///
/// Works in reverse mode (`grad`), forward mode (`jvp`), to second order, under `jit` (the
/// solver is an opaque step of the compiled program) and `vmap` (one node for the batch; the
/// solver is called once per example, the derivative rules run batched). Panics like [`try_custom_root`] errors.
///
/// ```
/// use cotangent::{custom_root, grad, Tensor};
/// // sqrt(a) as the root of x² − a, found by Newton's method in plain Rust.
/// let sqrt = |a: &Tensor| {
///     custom_root(
///         |x| x.square() - a,
///         &Tensor::scalar(1.0),
///         |f, x0| {
///             let mut x = x0.item::<f64>();
///             for _ in 0..60 {
///                 let fx = f(&Tensor::scalar(x)).item::<f64>();
///                 x -= fx / (2.0 * x);
///             }
///             Tensor::scalar(x)
///         },
///         |g, y| y / &g(&y.ones_like()),
///     )
/// };
/// let a = Tensor::scalar(4.0);
/// assert!((sqrt(&a).item::<f64>() - 2.0).abs() < 1e-15);
/// assert!((grad(sqrt)(&a).item::<f64>() - 0.25).abs() < 1e-15); // 1 / (2 sqrt a)
/// ```
#[track_caller]
pub fn custom_root<F, S, T>(f: F, initial_guess: &Tensor, solve: S, tangent_solve: T) -> Tensor
where
    F: FnOnce(&Tensor) -> Tensor,
    S: Fn(&dyn Fn(&Tensor) -> Tensor, &Tensor) -> Tensor + Send + Sync + 'static,
    T: Fn(&dyn Fn(&Tensor) -> Tensor, &Tensor) -> Tensor + Send + Sync + 'static,
{
    let kind = Kind::Root {
        tangent_solve: Arc::new(tangent_solve),
    };
    apply(
        kind,
        f,
        initial_guess,
        Arc::new(solve),
        "f",
        Location::caller(),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// Like [`custom_linear_solve`], returning an error when `matvec`'s result does not have `b`'s
/// shape and dtype, `b` is not a float tensor, or a solver returns a tensor of the wrong type.
///
/// ```
/// use cotangent::{try_custom_linear_solve, Tensor};
/// let b = Tensor::from_vec(vec![1.0, 2.0], &[2]);
/// let e = try_custom_linear_solve(|x| x.sum(), &b, |_, b| b.clone(), |_, b| b.clone()).unwrap_err();
/// assert!(e.to_string().contains("custom_linear_solve"));
/// ```
#[track_caller]
pub fn try_custom_linear_solve<M, S, T>(
    matvec: M,
    b: &Tensor,
    solve: S,
    transpose_solve: T,
) -> Result<Tensor>
where
    M: FnOnce(&Tensor) -> Tensor,
    S: Fn(&dyn Fn(&Tensor) -> Tensor, &Tensor) -> Tensor + Send + Sync + 'static,
    T: Fn(&dyn Fn(&Tensor) -> Tensor, &Tensor) -> Tensor + Send + Sync + 'static,
{
    linear_solve_at(
        matvec,
        b,
        Arc::new(solve),
        Arc::new(transpose_solve),
        false,
        Location::caller(),
    )
}

/// `x = solve(matvec, b)`, the solution of `A x = b` for the linear map `matvec(x) = A x`, found
/// by the user's solver and differentiated as the solution of that system (JAX's
/// `lax.custom_linear_solve`).
///
/// - `matvec(x)` is written with tensor ops and returns a tensor of `b`'s shape and dtype; the
///   tensors it closes over (the entries of `A`, or parameters `A` is computed from) are
///   differentiated, as is `b`. It is traced once.
/// - `solve(matvec, b)` is any Rust code (conjugate gradients with a tolerance, a call into
///   another library); it runs on concrete values and is never differentiated.
/// - `transpose_solve(vecmat, c)` solves `Aᵀ y = c` given `vecmat(y) = Aᵀ y`; reverse mode
///   uses it. (For a symmetric `A` use [`custom_linear_solve_symmetric`].)
///
/// Derivatives: `ẋ = A⁻¹ (ḃ − Ȧ x)` (another linear solve of `A`), `b̄ = A⁻ᵀ x̄`, and the
/// parameters of `A` get `−(∂(A x)/∂θ)ᵀ b̄`. Works with `grad`, `jvp`, higher orders, `jit` and
/// `vmap` (one solve per example). Panics like [`try_custom_linear_solve`] errors.
///
/// ```
/// use cotangent::{custom_linear_solve, grad, Tensor};
/// // A diagonal system, "solved" by elementwise division in plain Rust.
/// let d = Tensor::from_vec(vec![2.0, 4.0], &[2]);
/// let f = |b: &Tensor| {
///     let diag = d.clone();
///     let inv = Tensor::from_vec(vec![0.5, 0.25], &[2]);
///     let solve = move |_: &dyn Fn(&Tensor) -> Tensor, b: &Tensor| b * &inv;
///     custom_linear_solve(move |x| x * &diag, b, solve.clone(), solve).sum()
/// };
/// let g = grad(f)(&Tensor::from_vec(vec![1.0, 1.0], &[2]));
/// assert_eq!(g.to_vec::<f64>(), vec![0.5, 0.25]);
/// ```
#[track_caller]
pub fn custom_linear_solve<M, S, T>(matvec: M, b: &Tensor, solve: S, transpose_solve: T) -> Tensor
where
    M: FnOnce(&Tensor) -> Tensor,
    S: Fn(&dyn Fn(&Tensor) -> Tensor, &Tensor) -> Tensor + Send + Sync + 'static,
    T: Fn(&dyn Fn(&Tensor) -> Tensor, &Tensor) -> Tensor + Send + Sync + 'static,
{
    linear_solve_at(
        matvec,
        b,
        Arc::new(solve),
        Arc::new(transpose_solve),
        false,
        Location::caller(),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// Like [`custom_linear_solve_symmetric`], returning an error instead of panicking.
///
/// ```
/// use cotangent::{try_custom_linear_solve_symmetric, Tensor};
/// let b = Tensor::from_vec(vec![3.0], &[1]);
/// let x = try_custom_linear_solve_symmetric(|x| x * 3.0, &b, |_, b| b / 3.0).unwrap();
/// assert_eq!(x.to_vec::<f64>(), vec![1.0]);
/// ```
#[track_caller]
pub fn try_custom_linear_solve_symmetric<M, S>(matvec: M, b: &Tensor, solve: S) -> Result<Tensor>
where
    M: FnOnce(&Tensor) -> Tensor,
    S: Fn(&dyn Fn(&Tensor) -> Tensor, &Tensor) -> Tensor + Send + Sync + 'static,
{
    let solve: SolveFn = Arc::new(solve);
    linear_solve_at(matvec, b, solve.clone(), solve, true, Location::caller())
}

/// [`custom_linear_solve`] for a symmetric `A` (JAX's `symmetric=True`): reverse mode reuses
/// `solve` and `matvec` for the transposed system. The natural home of conjugate gradients.
///
/// ```
/// use cotangent::{custom_linear_solve_symmetric, grad, Tensor};
/// // A x = b with A = θ·I, solved by a plain division; d/dθ Σx = −Σb/θ².
/// let f = |t: &Tensor| {
///     let b = Tensor::from_vec(vec![1.0, 3.0], &[2]);
///     custom_linear_solve_symmetric(|x| x * t, &b, |_, b| {
///         let theta = 2.0; // the solver may know A by other means
///         b / theta
///     })
///     .sum()
/// };
/// let g = grad(f)(&Tensor::scalar(2.0));
/// assert!((g.item::<f64>() + 1.0).abs() < 1e-15); // −4 / 4
/// ```
#[track_caller]
pub fn custom_linear_solve_symmetric<M, S>(matvec: M, b: &Tensor, solve: S) -> Tensor
where
    M: FnOnce(&Tensor) -> Tensor,
    S: Fn(&dyn Fn(&Tensor) -> Tensor, &Tensor) -> Tensor + Send + Sync + 'static,
{
    let solve: SolveFn = Arc::new(solve);
    linear_solve_at(matvec, b, solve.clone(), solve, true, Location::caller())
        .unwrap_or_else(|e| panic!("{e}"))
}
