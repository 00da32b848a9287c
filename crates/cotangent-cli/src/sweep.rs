//! Values and adjoints of every node of a graph, from one forward evaluation
//! and one reverse sweep of the library.
//!
//! The library's reverse mode reports gradients with respect to a
//! function's inputs only. To read the adjoint `v̄_i = ∂f/∂v_i` of every
//! intermediate, each node gets a zero "probe" input added to its result (see
//! [`crate::build::build`]); the gradient with respect to that probe is the
//! node's adjoint. One call of [`cotangent::try_value_and_grad_n`] gives them
//! all.

use cotangent::{try_value_and_grad_n, Tensor};

use crate::build::{build, scalar_value};
use crate::dag::Dag;

/// Values and adjoints of a graph's nodes at one point.
#[derive(Clone, Debug, PartialEq)]
pub struct Sweep {
    /// `values[i]` is node `i`'s value.
    pub values: Vec<f64>,
    /// `adjoints[i]` is `∂f/∂v_i`, the derivative of the output with respect
    /// to node `i` (0 for a node the output does not depend on).
    pub adjoints: Vec<f64>,
    /// The output's value.
    pub output: f64,
}

/// Runs `dag` at `vars` (indexed like [`Dag::vars`]) forward and backward.
///
/// # Panics
///
/// Panics if the library has no free recording level (more than 63 nested
/// transformations on this thread), which cannot happen here.
pub fn sweep(dag: &Dag, vars: &[f64]) -> Sweep {
    let vars: Vec<Tensor> = vars.iter().map(|&v| Tensor::scalar(v)).collect();
    let probes: Vec<Tensor> = dag.nodes.iter().map(|_| Tensor::scalar(-0.0)).collect();
    let mut values = Vec::new();
    let (y, grads) = try_value_and_grad_n(
        |p: &[Tensor]| {
            let built = build(dag, &vars, Some(p));
            values = built.nodes.iter().map(scalar_value).collect();
            built.root
        },
        &probes,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    Sweep {
        values,
        adjoints: grads.iter().map(scalar_value).collect(),
        output: scalar_value(&y),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::parse;

    #[test]
    fn teaching_example_adjoints() {
        let dag = Dag::from_expr(&parse("log((x1 + x2)^2 + sin(x1*x2))").unwrap());
        let s = sweep(&dag, &[1.5, 0.5]);
        assert!((s.output - 1.543_648_211_0).abs() < 1e-10);
        assert!((s.adjoints[0] - 0.932_546_2).abs() < 1e-7);
        assert!((s.adjoints[1] - 1.088_835_3).abs() < 1e-7);
        let v5 = s.values[6];
        assert_eq!(s.adjoints[7], 1.0);
        assert_eq!(s.adjoints[6], 1.0 / v5);
        assert_eq!(s.adjoints[2], s.adjoints[3] * 2.0 * s.values[2]);
    }

    #[test]
    fn constant_output_has_zero_adjoints() {
        let dag = Dag::from_expr(&parse("pi").unwrap());
        let s = sweep(&dag, &[]);
        assert_eq!(s.output, std::f64::consts::PI);
        assert!(s.adjoints.is_empty());
    }
}
