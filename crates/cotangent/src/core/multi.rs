//! Primitives with several outputs ([`MultiPrimitive`]: a loop's final carries and stacked
//! outputs, a compiled program's results), each output keeping its own shape and dtype, so an
//! i64 carry stays exact and nothing is packed into one vector.
//!
//! How they are recorded. Applying one makes a hidden *tuple* node (the primitive applied to
//! the inputs; its own value is an empty placeholder) and one node per output, the output `k`
//! being the [`Output`] projection `k` of the tuple. So the recorded graph, and a traced
//! [`crate::ir::Graph`], keep one edge kind: one tuple equation, then one `output` equation
//! per output used. The walks treat the pair specially:
//!
//! - reverse mode collects the cotangents of the outputs at their tuple (every output comes
//!   after its tuple in topological order, so they are all in when the walk reaches it) and
//!   runs the primitive's VJP once, on all of them;
//! - forward mode runs its JVP once and hands each output its tangent;
//! - a graph's interpreter (evaluation, batching) applies the tuple once and reads the
//!   projections from its results.

use std::any::Any;
use std::fmt::Debug;
use std::panic::Location;
use std::sync::Arc;

use smallvec::SmallVec;

use super::bind::as_promised;
use super::debug::{check_output, debug_nans, RuleScope};
use super::dtype::DType;
use super::error::{Error, Result};
use super::level::{active, epoch, forward, inner_to, oldest_first, tracing, MaskGuard};
use super::primitive::{Aval, AvalRef, Primitive};
use super::storage::Value;
use super::tangent::{check_tangent, record_failure, Tangents};
use super::tensor::{Inputs, Node, Origin, Tensor};

/// One differentiable operation with several outputs (of any shapes and dtypes): its shape
/// rule, kernel, derivative and batching rules. Apply it with [`crate::apply_multi_primitive`].
///
/// ```
/// use cotangent::prim::{Aval, AvalRef, MultiPrimitive};
/// use cotangent::{apply_multi_primitive, grad, Result, Tensor, Value};
///
/// /// `(sin x, cos x)` from one kernel.
/// #[derive(Debug)]
/// struct SinCos;
/// impl MultiPrimitive for SinCos {
///     fn name(&self) -> &'static str { "sincos" }
///     fn abstract_eval(&self, i: &[AvalRef<'_>]) -> Result<Vec<Aval>> {
///         Ok(vec![i[0].to_aval(), i[0].to_aval()])
///     }
///     fn eval(&self, i: &[&Value]) -> Result<Vec<Value>> {
///         let x = i[0].to_vec::<f64>();
///         let s = x.iter().map(|v| v.sin()).collect();
///         let c = x.iter().map(|v| v.cos()).collect();
///         Ok(vec![Value::from_vec(s, i[0].shape().clone()), Value::from_vec(c, i[0].shape().clone())])
///     }
///     fn jvp(&self, p: &[Tensor], t: &[Option<Tensor>], _: &[Tensor]) -> Result<Vec<Option<Tensor>>> {
///         Ok(match &t[0] {
///             Some(t) => vec![Some(t * &p[0].cos()), Some(-(t * &p[0].sin()))],
///             None => vec![None, None],
///         })
///     }
///     fn vjp(&self, p: &[Tensor], _: &[Tensor], g: &[Tensor]) -> Result<Vec<Option<Tensor>>> {
///         Ok(vec![Some(&g[0] * &p[0].cos() - &g[1] * &p[0].sin())])
///     }
/// }
///
/// let f = |x: &Tensor| {
///     let sc = apply_multi_primitive(SinCos, &[x.clone()]).unwrap();
///     &sc[0] * &sc[1] // sin(2x) / 2
/// };
/// let d = grad(f)(&Tensor::scalar(0.3)).item::<f64>();
/// assert!((d - 0.6f64.cos()).abs() < 1e-15);
/// ```
pub trait MultiPrimitive: Any + Debug + Send + Sync + 'static {
    /// The name used in errors, graph listings and diagnostics.
    fn name(&self) -> &'static str;

    /// The outputs' shapes and dtypes, or an error naming the operation.
    fn abstract_eval(&self, inputs: &[AvalRef<'_>]) -> Result<Vec<Aval>>;

    /// Compute the outputs from concrete input values. Inputs arrive in their own dtypes:
    /// f16 and bf16 values are not widened first (as they are for a [`Primitive`] that does
    /// not declare `native_half`).
    fn eval(&self, inputs: &[&Value]) -> Result<Vec<Value>>;

    /// Forward-mode rule: one tangent per output (`None` = zero) given the input tangents
    /// (`None` = zero) and the outputs.
    fn jvp(
        &self,
        primals: &[Tensor],
        tangents: &[Option<Tensor>],
        outs: &[Tensor],
    ) -> Result<Vec<Option<Tensor>>>;

    /// Reverse-mode rule: one cotangent per input (`None` = zero or not differentiable) given
    /// the outputs and one cotangent per output (zeros of the output's dtype where nothing
    /// flowed back).
    fn vjp(
        &self,
        primals: &[Tensor],
        outs: &[Tensor],
        cotangents: &[Tensor],
    ) -> Result<Vec<Option<Tensor>>>;

    /// Batching rule for `vmap`, as [`Primitive::batch`] but with each output and its batch
    /// axis. `Ok(None)` (the default): applied once per example and stacked.
    #[allow(clippy::type_complexity)]
    fn batch(
        &self,
        args: &[Tensor],
        dims: &[Option<usize>],
        size: usize,
    ) -> Result<Option<Vec<(Tensor, Option<usize>)>>> {
        let _ = (args, dims, size);
        Ok(None)
    }

    /// Parameters for listings; empty when there are none.
    fn params(&self) -> String {
        String::new()
    }
}

/// The hidden tuple node's primitive: a multi-output primitive applied once, with the values it
/// computed (abstract ones under a trace), from which its [`Output`] projections read.
#[derive(Debug)]
pub(crate) struct Tuple {
    pub(crate) multi: Arc<dyn MultiPrimitive>,
    pub(crate) avals: Vec<Aval>,
    values: Vec<Value>,
    /// Each output's tangents at the forward levels (they refer to twins, never to this
    /// tuple's node), handed to the outputs a rule is given.
    tangents: Vec<Option<Box<Tangents>>>,
}

/// The placeholder type of a tuple node (it holds no elements of its own).
fn tuple_aval() -> Aval {
    Aval::new(&[0], DType::Bool)
}

/// The value a tuple node holds in place of its outputs: empty, and abstract under a trace.
pub(crate) fn placeholder(traced: bool) -> Value {
    if traced {
        Value::abstract_of(tuple_aval().shape, DType::Bool)
    } else {
        Value::from_vec(Vec::<bool>::new(), tuple_aval().shape)
    }
}

impl Primitive for Tuple {
    fn name(&self) -> &'static str {
        self.multi.name()
    }
    fn params(&self) -> String {
        self.multi.params()
    }
    fn abstract_eval(&self, _: &[AvalRef<'_>]) -> Result<Aval> {
        Ok(tuple_aval())
    }
    fn eval(&self, _: &[&Value]) -> Result<Value> {
        Err(not_direct(self.multi.name()))
    }
    fn jvp(&self, _: &[Tensor], _: &[Option<Tensor>], _: &Tensor) -> Result<Option<Tensor>> {
        Err(not_direct(self.multi.name()))
    }
    fn vjp(&self, _: &[Tensor], _: &Tensor, _: &Tensor) -> Result<Vec<Option<Tensor>>> {
        Err(not_direct(self.multi.name()))
    }
}

/// Output `index` of a tuple node.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Output {
    pub(crate) index: usize,
    aval: Aval,
}

impl Primitive for Output {
    fn name(&self) -> &'static str {
        "output"
    }
    fn params(&self) -> String {
        self.index.to_string()
    }
    fn abstract_eval(&self, _: &[AvalRef<'_>]) -> Result<Aval> {
        Ok(self.aval.clone())
    }
    fn eval(&self, _: &[&Value]) -> Result<Value> {
        Err(not_direct("output"))
    }
    fn jvp(&self, _: &[Tensor], _: &[Option<Tensor>], _: &Tensor) -> Result<Option<Tensor>> {
        Err(not_direct("output"))
    }
    fn vjp(&self, _: &[Tensor], _: &Tensor, _: &Tensor) -> Result<Vec<Option<Tensor>>> {
        Err(not_direct("output"))
    }
    fn is_equivalent(&self, other: &dyn Primitive) -> bool {
        (other as &dyn Any)
            .downcast_ref::<Output>()
            .is_some_and(|o| o == self)
    }
    fn hash_params(&self, state: &mut dyn std::hash::Hasher) {
        state.write_usize(self.index);
    }
}

fn not_direct(op: &'static str) -> Error {
    Error::usage(
        op,
        "a part of a multi-output primitive was applied on its own (the graph walks handle a \
         tuple and its outputs together)",
    )
}

/// The tuple primitive `prim` is, if it is one.
pub(crate) fn as_tuple(prim: &dyn Primitive) -> Option<&Tuple> {
    (prim as &dyn Any).downcast_ref::<Tuple>()
}

/// Which output `prim` projects, if it is a tuple's projection.
pub(crate) fn output_index(prim: &dyn Primitive) -> Option<usize> {
    (prim as &dyn Any).downcast_ref::<Output>().map(|o| o.index)
}

/// The output tensors of the tuple node `tuple`, as rules see them: each a fresh projection of
/// the tuple (recorded for the levels tracking it, so a rule's use of an output is
/// differentiated by them), with their tangents at the forward levels.
pub(crate) fn outputs_of(tuple: &Tensor) -> Vec<Tensor> {
    let origin = tuple.origin().expect("a tuple node has an origin");
    let t = as_tuple(&*origin.prim).expect("a tuple primitive");
    (0..t.values.len())
        .map(|k| project(tuple, t, k, t.tangents[k].clone()))
        .collect()
}

/// Output `k` of the tuple node `tuple` (whose primitive is `t`), with `tangents`.
fn project(tuple: &Tensor, t: &Tuple, k: usize, tangents: Option<Box<Tangents>>) -> Tensor {
    let recording = tuple.origin().is_some();
    Tensor::new_node(Node {
        value: t.values[k].clone(),
        levels: tuple.levels(),
        epoch: epoch(),
        origin: recording.then(|| Origin {
            prim: Arc::new(Output {
                index: k,
                aval: t.avals[k].clone(),
            }),
            inputs: std::iter::once(tuple.clone()).collect(),
        }),
        location: tuple.location(),
        tangents,
    })
}

/// Zeros where no cotangent came back for an output of type `avals[k]`.
pub(crate) fn dense_cotangents(avals: &[Aval], cts: Vec<Option<Tensor>>) -> Result<Vec<Tensor>> {
    cts.into_iter()
        .zip(avals)
        .map(|(c, a)| match c {
            Some(c) => Ok(c),
            None => Tensor::try_zeros(a.shape.dims(), a.dtype),
        })
        .collect()
}

/// Apply the multi-output primitive `prim` to `inputs`: its outputs, recorded as a tuple node
/// and its projections when a level tracks an input.
pub(crate) fn bind_multi(
    prim: Arc<dyn MultiPrimitive>,
    inputs: Inputs,
    location: &'static Location<'static>,
) -> Result<Vec<Tensor>> {
    let avals = {
        let refs: Vec<AvalRef<'_>> = inputs.iter().map(Tensor::aval).collect();
        prim.abstract_eval(&refs).map_err(|e| e.at(location))?
    };
    let mut levels = 0;
    let mut traced = false;
    for t in &inputs {
        levels |= t.levels();
        if t.value().is_abstract() {
            if t.levels() & tracing() == 0 {
                return Err(Error::new(
                    super::error::ErrorKind::Tracing,
                    prim.name(),
                    "a traced tensor escaped its trace and was used as an input",
                )
                .at(location));
            }
            traced = true;
        }
    }
    levels &= active();
    let values: Vec<Value> = if traced {
        avals
            .iter()
            .map(|a| Value::abstract_of(a.shape.clone(), a.dtype))
            .collect()
    } else {
        let refs: Vec<&Value> = inputs.iter().map(Tensor::value).collect();
        let values = prim.eval(&refs).map_err(|e| e.at(location))?;
        check_values(prim.name(), &avals, &values).map_err(|e| e.at(location))?;
        if debug_nans() {
            for v in &values {
                check_output(prim.name(), &refs, v, location)?;
            }
        }
        values
    };
    record_multi(prim, inputs, avals, values, levels, traced, location)
}

/// Record the already computed `values` as the outputs of `prim` applied to `inputs` (for a
/// primitive whose kernel ran before its node could be made: a compiled call that keeps its
/// residuals in the primitive).
pub(crate) fn bind_multi_computed(
    prim: Arc<dyn MultiPrimitive>,
    inputs: Inputs,
    values: Vec<Value>,
    location: &'static Location<'static>,
) -> Result<Vec<Tensor>> {
    let avals = values.iter().map(Aval::of_value).collect();
    let levels = inputs.iter().fold(0, |acc, t| acc | t.levels()) & active();
    record_multi(prim, inputs, avals, values, levels, false, location)
}

/// The output tensors of `prim` for `values`, tracked at `levels` (see the module docs).
fn record_multi(
    prim: Arc<dyn MultiPrimitive>,
    inputs: Inputs,
    avals: Vec<Aval>,
    values: Vec<Value>,
    levels: u64,
    traced: bool,
    location: &'static Location<'static>,
) -> Result<Vec<Tensor>> {
    if levels == 0 {
        return Ok(values
            .into_iter()
            .map(|v| Tensor::from_value(v, location))
            .collect());
    }
    let recording = levels & !forward();
    let placeholder = placeholder(traced);
    let mut t = Tuple {
        multi: prim.clone(),
        avals,
        values,
        tangents: Vec::new(),
    };
    let tangents = if levels & forward() != 0 {
        push_tangents(&prim, &inputs, &t, levels, recording, location)
    } else {
        vec![None; t.values.len()]
    };
    t.tangents = tangents.clone();
    if recording == 0 {
        // Forward mode only: nothing records, each output carries its tangents.
        return Ok(t
            .values
            .into_iter()
            .zip(tangents)
            .map(|(value, tangents)| {
                Tensor::new_node(Node {
                    value,
                    levels,
                    epoch: epoch(),
                    origin: None,
                    location,
                    tangents,
                })
            })
            .collect());
    }
    let tuple = Tensor::new_node(Node {
        value: placeholder,
        levels,
        epoch: epoch(),
        origin: Some(Origin {
            prim: Arc::new(t),
            inputs,
        }),
        location,
        tangents: None,
    });
    let origin = tuple.origin().expect("just made");
    let t = as_tuple(&*origin.prim).expect("a tuple primitive");
    Ok(tangents
        .into_iter()
        .enumerate()
        .map(|(k, ts)| project(&tuple, t, k, ts))
        .collect())
}

/// An error unless the kernel's `values` have the promised types.
pub(crate) fn check_values(op: &'static str, avals: &[Aval], values: &[Value]) -> Result<()> {
    if values.len() != avals.len() {
        return Err(Error::shape(
            op,
            format!(
                "its kernel returned {} outputs but its shape rule promised {}",
                values.len(),
                avals.len()
            ),
        ));
    }
    for (v, a) in values.iter().zip(avals) {
        as_promised(op, a, v.clone())?;
    }
    Ok(())
}

/// The outputs' tangents at the forward levels among `levels` (oldest first, as
/// `core::tangent::push` does for one output), one list per output.
fn push_tangents(
    prim: &Arc<dyn MultiPrimitive>,
    inputs: &Inputs,
    t: &Tuple,
    levels: u64,
    record: u64,
    location: &'static Location<'static>,
) -> Vec<Option<Box<Tangents>>> {
    let n = t.values.len();
    let mut out: Vec<Tangents> = vec![Tangents::new(); n];
    for f in oldest_first(levels & forward()) {
        let ins: SmallVec<[Option<Tensor>; 2]> =
            inputs.iter().map(|i| i.tangent(f).cloned()).collect();
        if ins.iter().all(Option::is_none) {
            continue;
        }
        // Twins of the outputs carrying the tangents so far (of the outer levels), recorded
        // as projections of a twin tuple so outer recording levels see the rule's use of them.
        let twin_tuple = Tensor::new_node(Node {
            value: placeholder(false),
            levels,
            epoch: epoch(),
            origin: (record != 0).then(|| Origin {
                prim: Arc::new(Tuple {
                    multi: prim.clone(),
                    avals: t.avals.clone(),
                    values: t.values.clone(),
                    tangents: out
                        .iter()
                        .map(|ts| (!ts.is_empty()).then(|| Box::new(ts.clone())))
                        .collect(),
                }),
                inputs: inputs.clone(),
            }),
            location,
            tangents: None,
        });
        let twins: Vec<Tensor> = (0..n)
            .map(|k| {
                let ts = (!out[k].is_empty()).then(|| Box::new(out[k].clone()));
                project(&twin_tuple, t, k, ts)
            })
            .collect();
        let result = {
            let _off = MaskGuard::without(f | inner_to(f, active()));
            let _rule = RuleScope::enter();
            prim.jvp(inputs, &ins, &twins)
        };
        let checked = result.and_then(|ts| {
            if ts.len() != n {
                return Err(Error::shape(
                    prim.name(),
                    format!(
                        "its jvp rule returned {} tangents for {n} outputs",
                        ts.len()
                    ),
                ));
            }
            for (tk, v) in ts.iter().zip(&t.values) {
                if let Some(tk) = tk {
                    check_tangent(prim.name(), inputs, &ins, v, tk, location)?;
                }
            }
            Ok(ts)
        });
        match checked.map_err(|e| e.at(location)) {
            Ok(ts) => {
                for (k, tk) in ts.into_iter().enumerate() {
                    if let Some(tk) = tk {
                        out[k].push((f, tk));
                    }
                }
            }
            Err(e) => record_failure(f, e),
        }
    }
    out.into_iter()
        .map(|ts| (!ts.is_empty()).then(|| Box::new(ts)))
        .collect()
}
