//! Evaluating a graph by replaying its equations through `bind`: on concrete inputs this
//! computes the values; under an enclosing transformation it records as eager code would.

use std::panic::Location;

use smallvec::SmallVec;

use super::graph::{Eqn, Graph, Var};
use crate::core::bind::bind_at;
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
            |eqn, args| bind_at(eqn.prim.clone(), args.into_iter().collect(), eqn.location),
        )
    }

    /// Walk the equations in order, computing each one's value with `apply` from its operands'
    /// values (`leaf` gives the values of inputs and constants), freeing every value after its
    /// last use, and return the outputs' values. Evaluation and batching both run on it.
    pub(crate) fn interpret<T: Clone>(
        &self,
        leaf: impl Fn(Var) -> T,
        mut apply: impl FnMut(&Eqn, SmallVec<[T; 3]>) -> Result<T>,
    ) -> Result<Vec<T>> {
        let last_use = self.last_uses();
        let mut env: Vec<Option<T>> = vec![None; self.eqns.len()];
        let read = |env: &[Option<T>], v: Var| -> T {
            match v {
                Var::Eqn(i) => env[i as usize]
                    .clone()
                    .expect("operand computed before use"),
                leafvar => leaf(leafvar),
            }
        };
        for (k, eqn) in self.eqns.iter().enumerate() {
            let args: SmallVec<[T; 3]> = eqn.inputs.iter().map(|&v| read(&env, v)).collect();
            for &v in &eqn.inputs {
                if let Var::Eqn(i) = v {
                    if last_use[i as usize] == k {
                        env[i as usize] = None;
                    }
                }
            }
            env[k] = Some(apply(eqn, args)?);
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
