//! Evaluating a graph by replaying its equations through `bind`: on concrete inputs this
//! computes the values; under an enclosing transformation it records as eager code would.

use std::panic::Location;

use smallvec::SmallVec;

use super::graph::{Eqn, Graph, Var};
use crate::core::bind::bind_at;
use crate::core::multi::{as_tuple, bind_multi, output_index, Tuple};
use crate::core::{Error, Result, Tensor};
use crate::prim::Aval;

impl Graph {
    /// Run the graph on `inputs` (shapes and dtypes must match the traced ones). Enclosing
    /// transformations see every equation, so `grad` of a graph's evaluation works.
    ///
    /// ```
    /// use cotangent::{ir::trace, prim::Aval, DType, Tensor};
    /// let g = trace(|x: &Tensor| x.square(), &Aval::new(&[], DType::F64)).unwrap();
    /// assert_eq!(g.eval(&[Tensor::scalar(3.0)]).unwrap()[0].item::<f64>(), 9.0);
    /// ```
    #[track_caller]
    pub fn eval(&self, inputs: &[Tensor]) -> Result<Vec<Tensor>> {
        let location = Location::caller();
        self.check_inputs("graph eval", inputs)
            .map_err(|e| e.at(location))?;
        self.interpret(
            |v| match v {
                Var::Input(i) => inputs[i as usize].clone(),
                Var::Const(i) => self.consts[i as usize].clone(),
                Var::Eqn(_) => unreachable!("equations are read from the environment"),
            },
            |_, eqn, args| bind_at(eqn.prim.clone(), args.into_iter().collect(), eqn.location),
            |_, eqn, t, args| bind_multi(t.multi.clone(), args.into_iter().collect(), eqn.location),
        )
    }

    /// Walk the equations in order, computing each one's value with `apply` from its operands'
    /// values (`leaf` gives the values of inputs and constants), freeing every value after its
    /// last use, and return the outputs' values. Evaluation and batching both run on it. A
    /// multi-output primitive's tuple equation is computed by `apply_multi` (all its outputs at
    /// once), and its `output` equations read from those. Both closures get the equation's
    /// index.
    pub(crate) fn interpret<T: Clone>(
        &self,
        leaf: impl Fn(Var) -> T,
        mut apply: impl FnMut(usize, &Eqn, SmallVec<[T; 3]>) -> Result<T>,
        mut apply_multi: impl FnMut(usize, &Eqn, &Tuple, SmallVec<[T; 3]>) -> Result<Vec<T>>,
    ) -> Result<Vec<T>> {
        let last_use = self.last_uses();
        let mut env: Vec<Option<T>> = vec![None; self.eqns.len()];
        // The outputs of each tuple equation computed so far (freed with its last projection).
        let mut tuples: Vec<Option<Vec<T>>> = Vec::new();
        let read = |env: &[Option<T>], v: Var| -> T {
            match v {
                Var::Eqn(i) => env[i as usize]
                    .clone()
                    .expect("operand computed before use"),
                leafvar => leaf(leafvar),
            }
        };
        for (k, eqn) in self.eqns.iter().enumerate() {
            if let Some(j) = output_index(&*eqn.prim) {
                let Some(Var::Eqn(t)) = eqn.inputs.first().copied() else {
                    unreachable!("an output equation reads a tuple equation");
                };
                let outs = tuples[t as usize]
                    .as_ref()
                    .expect("tuple computed before use");
                env[k] = Some(outs[j].clone());
                if last_use[t as usize] == k {
                    tuples[t as usize] = None;
                }
                continue;
            }
            let args: SmallVec<[T; 3]> = eqn.inputs.iter().map(|&v| read(&env, v)).collect();
            for &v in &eqn.inputs {
                if let Var::Eqn(i) = v {
                    if last_use[i as usize] == k {
                        env[i as usize] = None;
                    }
                }
            }
            if let Some(t) = as_tuple(&*eqn.prim) {
                let outs = apply_multi(k, eqn, t, args)?;
                if outs.len() != t.avals.len() {
                    // A user's batching rule, say, with one result too few.
                    return Err(Error::shape(
                        t.multi.name(),
                        format!(
                            "gave {} outputs where its shape rule promised {}",
                            outs.len(),
                            t.avals.len()
                        ),
                    )
                    .at(eqn.location));
                }
                if tuples.len() <= k {
                    tuples.resize(k + 1, None);
                }
                tuples[k] = Some(outs);
                continue;
            }
            env[k] = Some(apply(k, eqn, args)?);
        }
        Ok(self.outputs.iter().map(|&v| read(&env, v)).collect())
    }

    /// For each equation, the index of the last equation that reads it (`usize::MAX` for an
    /// output or an unused value, which is kept to the end).
    pub(crate) fn last_uses(&self) -> Vec<usize> {
        let mut last = vec![0usize; self.eqns.len()];
        for (k, eqn) in self.eqns.iter().enumerate() {
            for &v in &eqn.inputs {
                if let Var::Eqn(i) = v {
                    last[i as usize] = k;
                }
            }
        }
        for &v in &self.outputs {
            if let Var::Eqn(i) = v {
                last[i as usize] = usize::MAX;
            }
        }
        last
    }

    /// An error naming `op` unless `inputs` match the traced shapes and dtypes.
    pub(crate) fn check_inputs(&self, op: &'static str, inputs: &[Tensor]) -> Result<()> {
        if inputs.len() != self.inputs.len() {
            return Err(Error::usage(
                op,
                format!(
                    "the graph takes {} inputs, got {}",
                    self.inputs.len(),
                    inputs.len()
                ),
            ));
        }
        for (i, (x, a)) in inputs.iter().zip(&self.inputs).enumerate() {
            if Aval::of(x) != *a {
                return Err(Error::shape(
                    op,
                    format!("input {i} was traced as {a}, got {}", Aval::of(x)),
                ));
            }
        }
        Ok(())
    }
}
