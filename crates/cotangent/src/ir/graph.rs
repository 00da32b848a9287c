//! [`Graph`]: named inputs, captured constants, equations (one primitive application each, in
//! an order where every operand comes first) and outputs.

use std::panic::Location;
use std::sync::Arc;

use smallvec::SmallVec;

use crate::core::Tensor;
use crate::prim::{Aval, Primitive};

/// A value of a graph: an input, a captured constant, or the output of an equation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Var {
    /// The i-th input.
    Input(u32),
    /// The i-th captured constant.
    Const(u32),
    /// The output of the i-th equation.
    Eqn(u32),
}

/// One primitive application: `out = prim(inputs…)`. A primitive with several outputs
/// ([`crate::prim::MultiPrimitive`]) appears as one equation whose value is a placeholder
/// (`bool[0]`, listed under the primitive's name) followed by one `output` equation per
/// result it reads, each with that result's shape and dtype.
#[derive(Clone, Debug)]
pub struct Eqn {
    /// The primitive (shared with the traced tensors it came from).
    pub prim: Arc<dyn Primitive>,
    /// Its operands.
    pub inputs: SmallVec<[Var; 3]>,
    /// The output's shape and dtype.
    pub aval: Aval,
    /// The user's source line that applied it.
    pub location: &'static Location<'static>,
}

/// A traced computation: evaluate it with [`Graph::eval`], print it with `Display` (one line per
/// equation), or export it with [`Graph::to_dot`].
///
/// ```
/// use cotangent::{ir::trace, prim::Aval, DType, Tensor};
/// let g = trace(|x: &Tensor| (x * 2.0).sin(), &Aval::new(&[3], DType::F64)).unwrap();
/// assert_eq!(g.eqns().len(), 2); // mul by the constant, sin
/// let y = g.eval(&[Tensor::from_vec(vec![0.0, 0.5, 1.0], &[3])]).unwrap();
/// assert!((y[0].to_vec::<f64>()[2] - 2f64.sin()).abs() < 1e-15);
/// ```
#[derive(Clone, Debug)]
pub struct Graph {
    pub(crate) inputs: Vec<Aval>,
    pub(crate) consts: Vec<Tensor>,
    pub(crate) eqns: Vec<Eqn>,
    pub(crate) outputs: Vec<Var>,
}

impl Graph {
    /// The shapes and dtypes of the inputs.
    pub fn inputs(&self) -> &[Aval] {
        &self.inputs
    }

    /// The tensors the traced function closed over.
    pub fn consts(&self) -> &[Tensor] {
        &self.consts
    }

    /// The equations, operands before their users.
    pub fn eqns(&self) -> &[Eqn] {
        &self.eqns
    }

    /// The outputs.
    pub fn outputs(&self) -> &[Var] {
        &self.outputs
    }

    /// The shape and dtype of a value of this graph.
    pub fn aval(&self, v: Var) -> Aval {
        match v {
            Var::Input(i) => self.inputs[i as usize].clone(),
            Var::Const(i) => Aval::of(&self.consts[i as usize]),
            Var::Eqn(i) => self.eqns[i as usize].aval.clone(),
        }
    }

    /// The shapes and dtypes of the outputs.
    pub fn output_avals(&self) -> Vec<Aval> {
        self.outputs.iter().map(|&v| self.aval(v)).collect()
    }

    /// The number the listing gives `v` (`%n`): inputs first, then constants, then equations.
    pub fn number(&self, v: Var) -> usize {
        match v {
            Var::Input(i) => i as usize,
            Var::Const(i) => self.inputs.len() + i as usize,
            Var::Eqn(i) => self.inputs.len() + self.consts.len() + i as usize,
        }
    }
}
