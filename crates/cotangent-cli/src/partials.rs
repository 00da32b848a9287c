//! Local partial derivatives at the evaluation point: for every operation
//! `v_i` and each of its operands `u`, the number `∂v_i/∂u`, the factor an
//! adjoint picks up along that edge in the reverse sweep
//! (`ū += v̄_i · ∂v_i/∂u`).
//!
//! Each comes from the library: the VJP of that one operation at its operand
//! values, with cotangent 1, so every function has its library derivative
//! rule (`max` at a tie gives ½ to each side, `floor` gives 0).

use cotangent::{vjp, Tensor};

use crate::build::{apply, scalar_value};
use crate::dag::{Dag, Op, Operand};

/// `partials[i][k]` is `∂v_i/∂(operand k of node i)` at the node values
/// `values` (indexed like [`Dag::nodes`]); empty for a variable.
pub fn local_partials(dag: &Dag, values: &[f64]) -> Vec<Vec<f64>> {
    dag.nodes
        .iter()
        .map(|node| {
            if matches!(node.op, Op::Var(_)) {
                return Vec::new();
            }
            let xs: Vec<Tensor> = node
                .args
                .iter()
                .map(|a| {
                    Tensor::scalar(match a {
                        Operand::Node(c) => values[*c],
                        Operand::Const(v, _) => *v,
                    })
                })
                .collect();
            let op = node.op;
            let (_, pullback) = vjp(|xs: &[Tensor]| apply(op, xs), &xs);
            pullback
                .call(&Tensor::scalar(1.0))
                .iter()
                .map(scalar_value)
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::parse;
    use crate::sweep::sweep;

    #[test]
    fn adjoints_are_sums_along_edges() {
        let dag = Dag::from_expr(&parse("log((x1 + x2)^2 + sin(x1*x2))").unwrap());
        let s = sweep(&dag, &[1.5, 0.5]);
        let p = local_partials(&dag, &s.values);
        // sin(v_3) at v_3 = 0.75; v_3 = x1 · x2; v_1^2 at v_1 = 2.
        assert_eq!(p[5], [0.75f64.cos()]);
        assert_eq!(p[4], [0.5, 1.5]);
        assert_eq!(p[3][0], 4.0);
        // Every adjoint is the sum over its uses of user adjoint × partial.
        for (i, users) in dag.users().iter().enumerate() {
            if users.is_empty() {
                continue;
            }
            let sum: f64 = users.iter().map(|&(u, k)| s.adjoints[u] * p[u][k]).sum();
            assert!((sum - s.adjoints[i]).abs() < 1e-15, "node {i}");
        }
        let p = local_partials(
            &Dag::from_expr(&parse("max(x, 1) + floor(x)").unwrap()),
            &[1.0, 1.0, 1.0, 2.0],
        );
        assert_eq!((p[1][0], p[2][0]), (0.5, 0.0));
    }
}
