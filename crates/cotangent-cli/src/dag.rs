//! The computational graph of one expression: its parse tree with shared
//! subexpressions merged.
//!
//! [`Dag::from_expr`] walks the parser's arena once (children before
//! parents) and hash-conses every node, so a variable used twice, or any
//! repeated subtree such as `sin(x*y)` in `sin(x*y) + sin(x*y)^2`, becomes one
//! node with several users. Literals and the constants `pi` and `e` are not
//! nodes: they stay inline as [`Operand::Const`], the way a textbook writes
//! `v_2 = v_1^2`. A unary `+` is the identity and disappears. Nodes keep the
//! arena's order, so every node's operands come before it and one forward
//! loop evaluates the graph, at any depth, without recursion.

use std::collections::HashMap;

use crate::expr::{BinOp, Expr, Func, NodeKind, UnOp};

/// What a [`DagNode`] computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// The input variable [`Dag::vars`]`[i]`.
    Var(usize),
    /// Unary minus.
    Neg,
    /// A binary operator.
    Bin(BinOp),
    /// A call of a built-in function.
    Call(Func),
}

impl Op {
    /// How the operation is named in messages: the function name, the
    /// operator symbol, `unary -`, or `variable`.
    pub fn name(self) -> &'static str {
        match self {
            Op::Var(_) => "variable",
            Op::Neg => "unary -",
            Op::Bin(op) => op.symbol(),
            Op::Call(f) => f.name(),
        }
    }
}

/// An operand of a node: another node, or an inline constant.
#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    /// The node with this index in [`Dag::nodes`].
    Node(usize),
    /// A literal or named constant: its value and how to print it.
    Const(f64, String),
}

/// One operation of the graph.
#[derive(Clone, Debug, PartialEq)]
pub struct DagNode {
    /// What it computes.
    pub op: Op,
    /// Its operands, in source order (none for a variable).
    pub args: Vec<Operand>,
    /// The byte range of its first occurrence in the source.
    pub span: (usize, usize),
}

/// The deduplicated graph of one expression.
#[derive(Clone, Debug, PartialEq)]
pub struct Dag {
    /// The operations; every node's operands precede it.
    pub nodes: Vec<DagNode>,
    /// The expression's result: the last node, or a constant when the whole
    /// expression is a bare literal such as `3` or `pi`.
    pub root: Operand,
    /// The variable names, in order of first appearance.
    pub vars: Vec<String>,
}

/// Hash key of a node: the operation and its operands (nodes by index,
/// constants by bit pattern).
#[derive(Hash, PartialEq, Eq)]
struct Key(Op, Vec<(bool, u64)>);

impl Dag {
    /// Builds the graph of a parsed expression, merging identical subtrees.
    pub fn from_expr(expr: &Expr) -> Dag {
        let mut nodes: Vec<DagNode> = Vec::new();
        let mut vars: Vec<String> = Vec::new();
        let mut var_index: HashMap<&str, usize> = HashMap::new();
        let mut seen: HashMap<Key, usize> = HashMap::new();
        let mut operand: Vec<Operand> = Vec::with_capacity(expr.nodes.len());
        for node in &expr.nodes {
            let (op, args) = match &node.kind {
                NodeKind::Num(v) => {
                    operand.push(Operand::Const(*v, crate::number::short(*v)));
                    continue;
                }
                NodeKind::Const(c) => {
                    operand.push(Operand::Const(c.value(), c.name().to_string()));
                    continue;
                }
                NodeKind::Unary(UnOp::Plus, a) => {
                    let a = operand[a.index()].clone();
                    operand.push(a);
                    continue;
                }
                NodeKind::Var(name) => {
                    let next = vars.len();
                    let i = *var_index.entry(name.as_str()).or_insert(next);
                    if i == next {
                        vars.push(name.clone());
                    }
                    (Op::Var(i), Vec::new())
                }
                NodeKind::Unary(UnOp::Neg, a) => (Op::Neg, vec![operand[a.index()].clone()]),
                NodeKind::Binary(op, a, b) => (
                    Op::Bin(*op),
                    vec![operand[a.index()].clone(), operand[b.index()].clone()],
                ),
                NodeKind::Call(f, args) => (
                    Op::Call(*f),
                    args.iter().map(|a| operand[a.index()].clone()).collect(),
                ),
            };
            let key = Key(
                op,
                args.iter()
                    .map(|a| match a {
                        Operand::Node(i) => (true, *i as u64),
                        Operand::Const(v, _) => (false, v.to_bits()),
                    })
                    .collect(),
            );
            let next = nodes.len();
            let id = *seen.entry(key).or_insert(next);
            if id == next {
                nodes.push(DagNode {
                    op,
                    args,
                    span: node.span,
                });
            }
            operand.push(Operand::Node(id));
        }
        let root = operand[expr.root.index()].clone();
        Dag { nodes, root, vars }
    }

    /// For each node, the nodes that use it as `(user, argument position)`,
    /// users in increasing order.
    pub fn users(&self) -> Vec<Vec<(usize, usize)>> {
        let mut users = vec![Vec::new(); self.nodes.len()];
        for (i, node) in self.nodes.iter().enumerate() {
            for (k, a) in node.args.iter().enumerate() {
                if let Operand::Node(c) = a {
                    users[*c].push((i, k));
                }
            }
        }
        users
    }

    /// For each node, whether it depends on one of the variables marked in
    /// `vars` (indexed like [`Dag::vars`]).
    pub fn depends_on(&self, vars: &[bool]) -> Vec<bool> {
        let mut dep = Vec::with_capacity(self.nodes.len());
        for node in &self.nodes {
            let d = match node.op {
                Op::Var(i) => vars[i],
                _ => node
                    .args
                    .iter()
                    .any(|a| matches!(a, Operand::Node(c) if dep[*c])),
            };
            dep.push(d);
        }
        dep
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::parse;

    #[test]
    fn shared_leaves_and_subtrees_are_merged() {
        let dag = Dag::from_expr(&parse("log((x1 + x2)^2 + sin(x1*x2))").unwrap());
        assert_eq!(dag.vars, ["x1", "x2"]);
        let ops: Vec<&str> = dag.nodes.iter().map(|n| n.op.name()).collect();
        assert_eq!(
            ops,
            ["variable", "variable", "+", "^", "*", "sin", "+", "log"]
        );
        assert_eq!(dag.nodes[3].args[1], Operand::Const(2.0, "2".into()));
        assert_eq!(dag.root, Operand::Node(7));
        let users = dag.users();
        assert_eq!(users[0], [(2, 0), (4, 0)]);

        let dag = Dag::from_expr(&parse("sin(x*y) + sin(x*y)^2").unwrap());
        assert_eq!(dag.nodes.len(), 6, "x, y, *, sin, ^, +");
    }

    #[test]
    fn constants_and_unary_plus_are_not_nodes() {
        let dag = Dag::from_expr(&parse("+pi").unwrap());
        assert!(dag.nodes.is_empty());
        assert_eq!(
            dag.root,
            Operand::Const(std::f64::consts::PI, "pi".to_string())
        );
        let dag = Dag::from_expr(&parse("2 * +x").unwrap());
        assert_eq!(dag.nodes.len(), 2);
        assert_eq!(dag.nodes[1].span, (0, 6));
    }

    #[test]
    fn dependence() {
        let dag = Dag::from_expr(&parse("x * sin(y)").unwrap());
        assert_eq!(dag.depends_on(&[true, false]), [true, false, false, true]);
    }
}
