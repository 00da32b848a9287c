//! Textbook notation for a graph's nodes, as in Griewank & Walther and
//! Baydin et al.: the `n` inputs are `v_{1-n} … v_0`, the operations
//! `v_1, v_2, …` in evaluation order; each node has a defining formula
//! (`v_3 = v_-1 · v_0`) and, for each operand, a local partial derivative
//! (`∂v_3/∂v_-1 = v_0`) used to print the adjoint trace.
//!
//! Formulas are for display only; every number shown next to them comes from
//! the library.

use crate::dag::{Dag, Op, Operand};
use crate::expr::{BinOp, Func};

/// Node names (`v_-1`, `v_0`, `v_1`, …) for a graph.
#[derive(Clone, Debug, PartialEq)]
pub struct Notation {
    /// `names[i]` is node `i`'s name.
    pub names: Vec<String>,
    /// `numbers[i]` is node `i`'s subscript.
    pub numbers: Vec<i64>,
}

impl Notation {
    /// Numbers the nodes of `dag`: variables in the order of `input_order`
    /// (variables missing from it go last, in order of appearance), then
    /// operations in evaluation order.
    pub fn new(dag: &Dag, input_order: &[String]) -> Notation {
        let rank = |name: &str| {
            input_order
                .iter()
                .position(|n| n == name)
                .unwrap_or(usize::MAX)
        };
        let mut inputs: Vec<usize> = (0..dag.nodes.len())
            .filter(|&i| matches!(dag.nodes[i].op, Op::Var(_)))
            .collect();
        inputs.sort_by_key(|&i| match dag.nodes[i].op {
            Op::Var(v) => (rank(&dag.vars[v]), v),
            _ => unreachable!("filtered to variables"),
        });
        let n = inputs.len() as i64;
        let mut numbers = vec![0i64; dag.nodes.len()];
        for (k, &i) in inputs.iter().enumerate() {
            numbers[i] = k as i64 + 1 - n;
        }
        let mut next = 1;
        for (i, node) in dag.nodes.iter().enumerate() {
            if !matches!(node.op, Op::Var(_)) {
                numbers[i] = next;
                next += 1;
            }
        }
        let names = numbers.iter().map(|k| format!("v_{k}")).collect();
        Notation { names, numbers }
    }

    /// The node indices in subscript order (inputs first).
    pub fn order(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.numbers.len()).collect();
        order.sort_by_key(|&i| self.numbers[i]);
        order
    }

    /// How an operand is written: a node's name or the constant's text.
    pub fn operand(&self, a: &Operand) -> String {
        match a {
            Operand::Node(i) => self.names[*i].clone(),
            Operand::Const(_, text) => text.clone(),
        }
    }

    /// The right-hand side defining node `i`: `x1`, `v_-1 + v_0`, `v_1^2`,
    /// `sin(v_3)`, `atan2(v_1, 2)`.
    pub fn formula(&self, dag: &Dag, i: usize) -> String {
        let node = &dag.nodes[i];
        let args: Vec<String> = node.args.iter().map(|a| self.operand(a)).collect();
        match node.op {
            Op::Var(v) => dag.vars[v].clone(),
            Op::Neg => format!("-{}", args[0]),
            Op::Bin(BinOp::Pow) => format!("{}^{}", args[0], args[1]),
            Op::Bin(BinOp::Mul) => format!("{} · {}", args[0], args[1]),
            Op::Bin(op) => format!("{} {} {}", args[0], op.symbol(), args[1]),
            Op::Call(f) => format!("{}({})", f.name(), args.join(", ")),
        }
    }

    /// The local partial derivative `∂v_i/∂(operand k)` of node `i`, written
    /// with operand names (`a`, `b` below) and the node's own name `v`.
    pub fn partial(&self, dag: &Dag, i: usize, k: usize) -> String {
        let node = &dag.nodes[i];
        let args: Vec<String> = node.args.iter().map(|a| self.operand(a)).collect();
        let v = &self.names[i];
        let a = &args[0];
        let b = args.get(1).map_or("", String::as_str);
        match (node.op, k) {
            (Op::Var(_), _) => "1".to_string(),
            (Op::Neg, _) => "-1".to_string(),
            (Op::Bin(BinOp::Add), _) => "1".to_string(),
            (Op::Bin(BinOp::Sub), 0) => "1".to_string(),
            (Op::Bin(BinOp::Sub), _) => "-1".to_string(),
            (Op::Bin(BinOp::Mul), 0) => b.to_string(),
            (Op::Bin(BinOp::Mul), _) => a.to_string(),
            (Op::Bin(BinOp::Div), 0) => format!("1/{b}"),
            (Op::Bin(BinOp::Div), _) => format!("-{v}/{b}"),
            (Op::Bin(BinOp::Pow) | Op::Call(Func::Pow), 0) => power_base(a, &node.args[1], b),
            (Op::Bin(BinOp::Pow) | Op::Call(Func::Pow), _) => format!("{v} · log({a})"),
            (Op::Call(f), k) => call_partial(f, k, a, b, v),
        }
    }
}

/// `∂(a^b)/∂a`, simplified when the exponent is a constant.
fn power_base(a: &str, exponent: &Operand, b: &str) -> String {
    match exponent {
        Operand::Const(c, _) if *c == 2.0 => format!("2 · {a}"),
        Operand::Const(c, _) => {
            let e = crate::number::short(c - 1.0);
            format!("{b} · {a}^{e}")
        }
        Operand::Node(_) => format!("{b} · {a}^({b} - 1)"),
    }
}

/// The partial derivative of a function call with respect to argument `k`.
fn call_partial(f: Func, k: usize, a: &str, b: &str, v: &str) -> String {
    match (f, k) {
        (Func::Sin, _) => format!("cos({a})"),
        (Func::Cos, _) => format!("-sin({a})"),
        (Func::Tan, _) => format!("1 + {v}²"),
        (Func::Asin, _) => format!("1/sqrt(1 - {a}²)"),
        (Func::Acos, _) => format!("-1/sqrt(1 - {a}²)"),
        (Func::Atan, _) => format!("1/(1 + {a}²)"),
        (Func::Sinh, _) => format!("cosh({a})"),
        (Func::Cosh, _) => format!("sinh({a})"),
        (Func::Tanh, _) => format!("1 - {v}²"),
        (Func::Asinh, _) => format!("1/sqrt({a}² + 1)"),
        (Func::Acosh, _) => format!("1/sqrt({a}² - 1)"),
        (Func::Atanh, _) => format!("1/(1 - {a}²)"),
        (Func::Exp, _) => v.to_string(),
        (Func::Expm1, _) => format!("{v} + 1"),
        (Func::Log, _) => format!("1/{a}"),
        (Func::Log1p, _) => format!("1/(1 + {a})"),
        (Func::Log2, _) => format!("1/({a} · ln 2)"),
        (Func::Log10, _) => format!("1/({a} · ln 10)"),
        (Func::Sqrt, _) => format!("1/(2 · {v})"),
        (Func::Cbrt, _) => format!("1/(3 · {v}²)"),
        (Func::Abs, _) => format!("sign({a})"),
        (Func::Sigmoid, _) => format!("{v} · (1 - {v})"),
        (Func::Relu, _) => format!("[{a} > 0]"),
        (Func::Softplus, _) => format!("sigmoid({a})"),
        (Func::Erf, _) => format!("2/√π · exp(-{a}²)"),
        (Func::Exp2, _) => format!("{v} · ln 2"),
        (Func::Floor | Func::Ceil | Func::Round | Func::Sign, _) => "0".to_string(),
        (Func::Atan2, 0) => format!("{b}/({a}² + {b}²)"),
        (Func::Atan2, _) => format!("-{a}/({a}² + {b}²)"),
        (Func::Max, 0) => format!("[{a} > {b}] + ½[{a} = {b}]"),
        (Func::Max, _) => format!("[{b} > {a}] + ½[{a} = {b}]"),
        (Func::Min, 0) => format!("[{a} < {b}] + ½[{a} = {b}]"),
        (Func::Min, _) => format!("[{b} < {a}] + ½[{a} = {b}]"),
        (Func::Hypot, 0) => format!("{a}/{v}"),
        (Func::Hypot, _) => format!("{b}/{v}"),
        (Func::Pow, _) => unreachable!("handled with `^`"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::parse;

    #[test]
    fn teaching_example_names_and_formulas() {
        let dag = Dag::from_expr(&parse("log((x1 + x2)^2 + sin(x1*x2))").unwrap());
        let n = Notation::new(&dag, &["x1".into(), "x2".into()]);
        assert_eq!(
            n.names,
            ["v_-1", "v_0", "v_1", "v_2", "v_3", "v_4", "v_5", "v_6"]
        );
        let f: Vec<String> = (0..8).map(|i| n.formula(&dag, i)).collect();
        assert_eq!(
            f,
            [
                "x1",
                "x2",
                "v_-1 + v_0",
                "v_1^2",
                "v_-1 · v_0",
                "sin(v_3)",
                "v_2 + v_4",
                "log(v_5)"
            ]
        );
        assert_eq!(n.partial(&dag, 3, 0), "2 · v_1");
        assert_eq!(n.partial(&dag, 4, 0), "v_0");
        assert_eq!(n.partial(&dag, 7, 0), "1/v_5");
    }

    #[test]
    fn input_order_follows_the_point() {
        let dag = Dag::from_expr(&parse("y - x").unwrap());
        let n = Notation::new(&dag, &["x".into(), "y".into()]);
        assert_eq!(n.names, ["v_0", "v_-1", "v_1"]);
        assert_eq!(n.order(), [1, 0, 2]);
    }
}
