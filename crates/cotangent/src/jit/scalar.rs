//! The fast path for programs that are one fused loop over single elements (the value and
//! gradient of a scalar function, say): registers are plain numbers, inputs are read straight
//! from the caller's tensors, and no arena or value table is involved.

use std::panic::Location;
use std::sync::{Arc, Mutex};

use smallvec::SmallVec;

use super::fuse::Step;
use super::kernel::{Instr, Kernel, Src};
use super::plan::Plan;
use crate::core::{DType, Element, Tensor, Value};
use crate::ir::{Graph, Var};
use crate::prim::lowering::BlockFloat;

/// A one-element program: its loop, and for each graph output the loop output it is.
#[derive(Debug)]
pub(crate) struct ScalarProgram {
    kernel: Kernel,
    outputs: Vec<usize>,
    /// Last run's output tensors: rewritten in place (no allocation) when the caller has
    /// dropped every handle to them.
    kept: Mutex<Vec<Option<Tensor>>>,
}

impl ScalarProgram {
    /// The fast path for `plan`, if it is a single one-element loop that reads only inputs and
    /// constants and produces every output.
    pub(crate) fn of(g: &Graph, plan: &Plan) -> Option<ScalarProgram> {
        let [Step::Kernel(k)] = &plan.steps[..] else {
            return None;
        };
        let simple = k.n == 1
            && k.reduce.is_none()
            && k.inputs.iter().all(|i| !matches!(i.var, Var::Eqn(_)));
        if !simple {
            return None;
        }
        let outputs = g
            .outputs
            .iter()
            .map(|v| k.outputs.iter().position(|o| o.var == *v))
            .collect::<Option<Vec<usize>>>()?;
        Some(ScalarProgram {
            kernel: (**k).clone(),
            kept: Mutex::new(vec![None; outputs.len()]),
            outputs,
        })
    }

    /// Run on `inputs` (concrete, untracked, of the compiled shapes); the outputs are made at
    /// `location`.
    pub(crate) fn run(
        &self,
        g: &Graph,
        inputs: &[Tensor],
        location: &'static Location<'static>,
    ) -> Vec<Tensor> {
        match self.kernel.dtype {
            DType::F32 => self.run_t::<f32>(g, inputs, location),
            _ => self.run_t::<f64>(g, inputs, location),
        }
    }

    fn run_t<T: BlockFloat>(
        &self,
        g: &Graph,
        inputs: &[Tensor],
        location: &'static Location<'static>,
    ) -> Vec<Tensor> {
        let k = &self.kernel;
        let ins_v: SmallVec<[T; 8]> = k
            .inputs
            .iter()
            .map(|i| {
                let v = match i.var {
                    Var::Input(j) => inputs[j as usize].value(),
                    Var::Const(j) => g.consts[j as usize].value(),
                    Var::Eqn(_) => unreachable!("checked when compiled"),
                };
                if i.dtype == DType::Bool {
                    let b = bool::slice(&v.storage).expect("bool")[v.layout.offset];
                    if b {
                        T::one()
                    } else {
                        T::zero()
                    }
                } else {
                    T::slice(&v.storage).expect("loop dtype")[v.layout.offset]
                }
            })
            .collect();
        let mut regs_v: SmallVec<[T; 32]> = SmallVec::from_elem(T::zero(), k.nregs);
        let mut outs_v: SmallVec<[T; 4]> = SmallVec::from_elem(T::zero(), k.outputs.len());
        // Plain slices: indexing them skips the inline-or-heap check of each SmallVec access.
        let (ins, regs, outs) = (&ins_v[..], &mut regs_v[..], &mut outs_v[..]);
        for &(r, i) in &k.preload {
            regs[r as usize] = ins[i as usize];
        }
        for ins_ in &k.code {
            let val = |s: Src, regs: &[T]| match s {
                Src::Reg(r) => regs[r as usize],
                Src::In(i) => ins[i as usize],
            };
            match *ins_ {
                Instr::Map { rule, dst, args } => {
                    regs[dst as usize] = T::one_fn(rule)(args.map(|s| val(s, regs)));
                }
                Instr::Load { dst, input } => regs[dst as usize] = ins[input as usize],
                Instr::Store { out, src } => outs[out as usize] = val(src, regs),
                Instr::RowReduce { .. }
                | Instr::RowStore { .. }
                | Instr::RowMap { .. }
                | Instr::Splat { .. } => {
                    unreachable!("a one-element loop has no rows")
                }
            }
        }
        let mut kept = self.kept.try_lock().ok();
        self.outputs
            .iter()
            .enumerate()
            .map(|(slot, &o)| {
                let out = &k.outputs[o];
                let x = outs[o];
                if let Some(kept) = kept.as_deref_mut() {
                    // Reuse last run's tensor when only `kept` still holds it and its storage.
                    let node = kept[slot].as_mut().and_then(|t| Arc::get_mut(&mut t.0));
                    if let Some(node) = node {
                        if let Some(storage) = Arc::get_mut(&mut node.value.storage) {
                            if out.dtype == DType::Bool {
                                bool::slice_mut(storage).expect("bool")[0] = x != T::zero();
                            } else {
                                T::slice_mut(storage).expect("loop dtype")[0] = x;
                            }
                            node.location = location;
                            return kept[slot].clone().expect("just written");
                        }
                    }
                }
                let Var::Eqn(j) = out.var else {
                    unreachable!("loop outputs are equations")
                };
                let shape = g.eqns[j as usize].aval.shape.clone();
                let v = if out.dtype == DType::Bool {
                    Value::from_buf(smallvec::smallvec![x != T::zero()], shape)
                } else {
                    Value::from_buf(smallvec::smallvec![x], shape)
                };
                let t = Tensor::from_value(v, location);
                if let Some(kept) = kept.as_deref_mut() {
                    kept[slot] = Some(t.clone());
                }
                t
            })
            .collect()
    }
}
