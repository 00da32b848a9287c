//! Evaluating a [`Dag`] with cotangent tensors (f64 scalars), so that every
//! transformation of the library (reverse mode, forward mode, Hessians) can
//! differentiate it.
//!
//! Each operation of the expression language maps onto the library's ops:
//! one to one (`cbrt`, `log2` and `log10` are the library's own primitives,
//! `hypot` its overflow-free composite, as `jnp.hypot`), `max`/`min` as
//! `maximum`/`minimum` (a tie splits the derivative evenly, as in JAX),
//! `relu` with derivative 0 at 0, and `ceil(x)` as `-floor(-x)` (the library
//! has `floor`, `round` and `sign`, all with derivative 0). The loop over the nodes is flat, so any
//! depth builds without recursion.

use cotangent::Tensor;

use crate::dag::{Dag, Op, Operand};
use crate::expr::{BinOp, Func};

/// Applies operation `op` (not a variable) to its operand tensors.
///
/// # Panics
///
/// Panics for [`Op::Var`] or a wrong number of operands.
pub fn apply(op: Op, args: &[Tensor]) -> Tensor {
    let a = &args[0];
    let b = || &args[1];
    match op {
        Op::Var(_) => panic!("a variable is not an operation"),
        Op::Neg => -a,
        Op::Bin(BinOp::Add) => a + b(),
        Op::Bin(BinOp::Sub) => a - b(),
        Op::Bin(BinOp::Mul) => a * b(),
        Op::Bin(BinOp::Div) => a / b(),
        Op::Bin(BinOp::Pow) => a.pow(b()),
        Op::Call(f) => match f {
            Func::Sin => a.sin(),
            Func::Cos => a.cos(),
            Func::Tan => a.tan(),
            Func::Asin => a.asin(),
            Func::Acos => a.acos(),
            Func::Atan => a.atan(),
            Func::Sinh => a.sinh(),
            Func::Cosh => a.cosh(),
            Func::Tanh => a.tanh(),
            Func::Asinh => a.asinh(),
            Func::Acosh => a.acosh(),
            Func::Atanh => a.atanh(),
            Func::Exp => a.exp(),
            Func::Expm1 => a.expm1(),
            Func::Log => a.log(),
            Func::Log1p => a.log1p(),
            Func::Log2 => a.log2(),
            Func::Log10 => a.log10(),
            Func::Sqrt => a.sqrt(),
            Func::Cbrt => a.cbrt(),
            Func::Abs => a.abs(),
            Func::Sigmoid => a.sigmoid(),
            Func::Relu => a.relu(),
            Func::Softplus => a.softplus(),
            Func::Erf => a.erf(),
            Func::Exp2 => a.exp2(),
            Func::Floor => a.floor(),
            Func::Ceil => -(-a).floor(),
            Func::Round => a.round(),
            Func::Sign => a.sign(),
            Func::Pow => a.pow(b()),
            Func::Atan2 => a.atan2(b()),
            Func::Max => a.maximum(b()),
            Func::Min => a.minimum(b()),
            Func::Hypot => a.hypot(b()),
        },
    }
}

/// The tensors of one evaluation of a graph.
pub struct Built {
    /// One tensor per node of the graph.
    pub nodes: Vec<Tensor>,
    /// The result (a node's tensor, or an untracked constant).
    pub root: Tensor,
}

/// The tensor of an operand.
fn operand(nodes: &[Tensor], a: &Operand) -> Tensor {
    match a {
        Operand::Node(i) => nodes[*i].clone(),
        Operand::Const(v, _) => Tensor::scalar(*v),
    }
}

/// Evaluates `dag` with `vars[i]` as the value of variable `dag.vars[i]`.
///
/// With `probes` (one rank-0 tensor per node, each holding `-0.0`), every
/// node's result has its probe added: `v + (-0.0)` is exactly `v` for every
/// float, including `-0.0`, so values do not change, and the gradient with
/// respect to a probe is the adjoint of its node.
pub fn build(dag: &Dag, vars: &[Tensor], probes: Option<&[Tensor]>) -> Built {
    let mut nodes: Vec<Tensor> = Vec::with_capacity(dag.nodes.len());
    let mut args: Vec<Tensor> = Vec::with_capacity(2);
    for (i, node) in dag.nodes.iter().enumerate() {
        let t = match node.op {
            Op::Var(v) => vars[v].clone(),
            op => {
                args.clear();
                args.extend(node.args.iter().map(|a| operand(&nodes, a)));
                apply(op, &args)
            }
        };
        nodes.push(match probes {
            Some(p) => t + &p[i],
            None => t,
        });
    }
    let root = operand(&nodes, &dag.root);
    Built { nodes, root }
}

/// The single `f64` of a rank-0 tensor.
pub fn scalar_value(t: &Tensor) -> f64 {
    t.item_f64()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::parse;

    fn eval(src: &str, vars: &[f64]) -> f64 {
        let dag = Dag::from_expr(&parse(src).unwrap());
        let vars: Vec<Tensor> = vars.iter().map(|&v| Tensor::scalar(v)).collect();
        scalar_value(&build(&dag, &vars, None).root)
    }

    #[test]
    fn every_function_matches_f64_evaluation() {
        let mut exprs: Vec<String> = Func::ALL
            .iter()
            .map(|f| match f.arity() {
                1 => format!("{}(x)", f.name()),
                _ => format!("{}(x, y)", f.name()),
            })
            .collect();
        exprs.extend(["-x + y - x*y / x^y".to_string(), "2^x * pi - e".to_string()]);
        for (x, y) in [(0.3, 0.7), (-0.4, 1.9), (0.0, 0.0), (1.5, 1.5)] {
            for src in &exprs {
                let e = parse(src).unwrap();
                let vars = [("x".to_string(), x), ("y".to_string(), y)].into();
                let want = e.eval_f64(&vars);
                let got = eval(src, &[x, y][..e.variables().len()]);
                let close = (got - want).abs() <= 1e-14 * want.abs().max(1.0)
                    || (got.is_nan() && want.is_nan())
                    || got == want;
                assert!(close, "{src} at ({x}, {y}): {got} vs {want}");
            }
        }
    }

    #[test]
    fn probes_do_not_change_values() {
        let dag = Dag::from_expr(&parse("1 / (-x * 0)").unwrap());
        let vars = [Tensor::scalar(2.0)];
        let probes: Vec<Tensor> = dag.nodes.iter().map(|_| Tensor::scalar(-0.0)).collect();
        let v = scalar_value(&build(&dag, &vars, Some(&probes)).root);
        assert_eq!(v, f64::NEG_INFINITY, "the sign of -0 survives");
    }
}
