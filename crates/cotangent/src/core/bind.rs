//! `bind`: the one entry point through which every primitive is applied. It checks shapes and
//! dtypes, runs the kernel (or, when an input is a traced placeholder, only the shape rule), and
//! keeps the edges to the inputs only when an active level tracks one of them.

use std::panic::Location;
use std::sync::Arc;

use super::debug::{check_output, debug_nans};
use super::dtype::DType;
use super::error::Result;
use super::level::{active, forward};
use super::opmath;
use super::storage::Value;
use super::tangent;
use super::tensor::{Inputs, Node, Origin, Tensor};
use crate::core::primitive::{Aval, AvalRef, Primitive, Values};

/// A primitive as `bind` takes it: a concrete one by value, or one already shared (replaying a
/// traced graph).
pub(crate) trait Bindable {
    type Prim: Primitive + ?Sized;
    fn prim(&self) -> &Self::Prim;
    fn shared(self) -> Arc<dyn Primitive>;
}

impl<P: Primitive> Bindable for P {
    type Prim = P;
    fn prim(&self) -> &P {
        self
    }
    fn shared(self) -> Arc<dyn Primitive> {
        Arc::new(self)
    }
}

impl Bindable for Arc<dyn Primitive> {
    type Prim = dyn Primitive;
    fn prim(&self) -> &dyn Primitive {
        &**self
    }
    fn shared(self) -> Arc<dyn Primitive> {
        self
    }
}

/// Apply `prim` to `inputs`, recording the edge when needed.
#[track_caller]
pub(crate) fn bind<B: Bindable>(prim: B, inputs: Inputs) -> Result<Tensor> {
    bind_at(prim, inputs, Location::caller())
}

/// [`bind`] with an explicit source location (replaying a graph keeps the traced locations).
pub(crate) fn bind_at<B: Bindable>(
    prim: B,
    inputs: Inputs,
    location: &'static Location<'static>,
) -> Result<Tensor> {
    let aval = check_shapes(prim.prim(), &inputs).map_err(|e| e.at(location))?;
    let mut levels = 0;
    let mut traced = false;
    for t in &inputs {
        let l = t.levels();
        levels |= l;
        if t.value().is_abstract() {
            if l & super::level::tracing() == 0 {
                return Err(leaked(prim.prim().name(), t).at(location));
            }
            traced = true;
        }
    }
    levels &= active();
    let checking = debug_nans();
    if !traced {
        probe_memory(prim.prim(), &aval, &inputs).map_err(|e| e.at(location))?;
    }
    let value = if traced {
        Value::abstract_of(aval.shape, aval.dtype)
    } else if levels == 0
        && !checking
        && inputs.iter().any(Tensor::is_sole_owner)
        && !opmath::widens(prim.prim(), inputs.iter().map(Tensor::dtype), aval.dtype)
    {
        // Someone handed over a tensor nobody else holds: its buffer may be reused in place.
        let values: Values = inputs.into_iter().map(Tensor::into_value).collect();
        let value = prim
            .prim()
            .eval_consuming(values)
            .and_then(|v| as_promised(prim.prim().name(), &aval, v))
            .map_err(|e| e.at(location))?;
        return Ok(Tensor::from_value(value, location));
    } else {
        let value = eval_borrowed(prim.prim(), &inputs, aval.dtype)
            .and_then(|v| as_promised(prim.prim().name(), &aval, v))
            .map_err(|e| e.at(location))?;
        if checking {
            let refs: Vec<&Value> = inputs.iter().map(Tensor::value).collect();
            check_output(prim.prim().name(), &refs, &value, location)?;
        }
        value
    };
    if levels == 0 {
        return Ok(Tensor::from_value(value, location));
    }
    record(prim.shared(), inputs, value, levels, location)
}

/// The node for `value` computed by `prim` from `inputs`, tracked at `levels`: edges kept for
/// the recording levels, tangents pushed for the forward ones.
fn record(
    prim: Arc<dyn Primitive>,
    inputs: Inputs,
    value: Value,
    levels: u64,
    location: &'static Location<'static>,
) -> Result<Tensor> {
    let recording = levels & !forward();
    let tangents = if levels & forward() != 0 {
        tangent::push(&prim, &inputs, &value, levels, recording, location)
    } else {
        None
    };
    Ok(Tensor::new_node(Node {
        value,
        levels,
        epoch: super::level::epoch(),
        origin: (recording != 0).then_some(Origin { prim, inputs }),
        location,
        tangents,
    }))
}

/// `value` if it has the shape and dtype the primitive's shape rule promised (a user
/// primitive whose kernel disagrees with its `abstract_eval` would otherwise corrupt
/// everything downstream, and compiled programs would disagree with eager ones).
pub(crate) fn as_promised(op: &'static str, aval: &Aval, value: Value) -> Result<Value> {
    if value.shape() == &aval.shape && value.dtype() == aval.dtype {
        return Ok(value);
    }
    Err(super::error::Error::shape(
        op,
        format!(
            "its kernel returned {}{} but its shape rule promised {}{}",
            value.dtype(),
            value.shape(),
            aval.dtype,
            aval.shape
        ),
    ))
}

/// Ask the allocator for the output's bytes plus those of the contiguous copies the kernel
/// makes of strided inputs (a reduction over a broadcast view materializes it), so that an
/// impossible allocation is an error rather than an abort.
fn probe_memory<P: Primitive + ?Sized>(prim: &P, out: &Aval, inputs: &Inputs) -> Result<()> {
    let mut bytes = if prim.is_view() {
        Some(0)
    } else {
        super::alloc::bytes_of(out.shape.numel(), out.dtype.size_bytes())
    };
    for t in inputs {
        let v = t.value();
        if !v.layout.is_contiguous() {
            let copy = super::alloc::bytes_of(v.shape().numel(), v.dtype().size_bytes());
            bytes = bytes.zip(copy).and_then(|(a, b)| a.checked_add(b));
        }
    }
    super::alloc::ensure(prim.name(), bytes)
}

/// A traced tensor (shape and dtype, no values) whose trace has ended, used as an input.
fn leaked(op: &'static str, t: &Tensor) -> super::error::Error {
    super::error::Error::new(
        super::error::ErrorKind::Tracing,
        op,
        format!(
            "a traced tensor escaped its trace: it was made at {}:{} inside a jit, vmap or \
             trace that has finished (stored in a variable outside the traced function?), and \
             has no values; return it from the traced function instead",
            t.location().file(),
            t.location().line()
        ),
    )
}

/// Run the kernel on borrowed input values (through f32 for 16-bit floats, see
/// [`opmath`]); `out` is the promised dtype.
fn eval_borrowed<P: Primitive + ?Sized>(prim: &P, inputs: &Inputs, out: DType) -> Result<Value> {
    let run = |refs: &[&Value]| opmath::eval(prim, refs, out);
    match inputs.len() {
        1 => run(&[inputs[0].value()]),
        2 => run(&[inputs[0].value(), inputs[1].value()]),
        3 => run(&[inputs[0].value(), inputs[1].value(), inputs[2].value()]),
        _ => run(&inputs.iter().map(Tensor::value).collect::<Vec<&Value>>()),
    }
}

/// Run the primitive's shape rule (without collecting into a heap buffer for small arities).
fn check_shapes<P: Primitive + ?Sized>(prim: &P, inputs: &Inputs) -> Result<Aval> {
    match inputs.len() {
        1 => prim.abstract_eval(&[inputs[0].aval()]),
        2 => prim.abstract_eval(&[inputs[0].aval(), inputs[1].aval()]),
        3 => prim.abstract_eval(&[inputs[0].aval(), inputs[1].aval(), inputs[2].aval()]),
        _ => prim.abstract_eval(
            &inputs
                .iter()
                .map(Tensor::aval)
                .collect::<Vec<AvalRef<'_>>>(),
        ),
    }
}

/// Record an already computed `value` as the output of `prim` applied to `inputs` (a custom
/// function run eagerly: its value came from running it, so the kernel is not run again).
pub(crate) fn bind_computed<P: Primitive>(
    prim: P,
    inputs: Inputs,
    value: Value,
    location: &'static Location<'static>,
) -> Result<Tensor> {
    let levels = inputs.iter().fold(0, |acc, t| acc | t.levels()) & active();
    record(Arc::new(prim), inputs, value, levels, location)
}
