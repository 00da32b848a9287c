//! The syntax tree of a parsed expression, stored in an arena.
//!
//! An [`Expr`] owns a flat `Vec<Node>`; nodes refer to their children by
//! [`NodeId`] (an index into that vector), and every child has a smaller index
//! than its parent. That ordering makes evaluation a single forward loop, and
//! dropping a tree of any depth is just dropping a vector: nothing here
//! recurses.

use std::collections::{HashMap, HashSet};

use super::func::Func;

/// Index of a [`Node`] inside [`Expr::nodes`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub usize);

impl NodeId {
    /// The position of the node in [`Expr::nodes`].
    pub fn index(self) -> usize {
        self.0
    }
}

/// A named mathematical constant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Const {
    /// `pi`, the ratio of a circle's circumference to its diameter.
    Pi,
    /// `e`, the base of the natural logarithm.
    E,
}

impl Const {
    /// Looks a constant up by its source spelling (`"pi"` or `"e"`).
    pub fn from_name(name: &str) -> Option<Const> {
        match name {
            "pi" => Some(Const::Pi),
            "e" => Some(Const::E),
            _ => None,
        }
    }

    /// The source spelling of the constant.
    pub fn name(self) -> &'static str {
        match self {
            Const::Pi => "pi",
            Const::E => "e",
        }
    }

    /// The constant's value as an `f64`.
    pub fn value(self) -> f64 {
        match self {
            Const::Pi => std::f64::consts::PI,
            Const::E => std::f64::consts::E,
        }
    }
}

/// A prefix operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnOp {
    /// Unary minus, `-x`.
    Neg,
    /// Unary plus, `+x` (the identity; kept so the tree mirrors the source).
    Plus,
}

impl UnOp {
    /// The operator's source symbol.
    pub fn symbol(self) -> &'static str {
        match self {
            UnOp::Neg => "-",
            UnOp::Plus => "+",
        }
    }

    /// Applies the operator to an `f64`.
    pub fn apply_f64(self, x: f64) -> f64 {
        match self {
            UnOp::Neg => -x,
            UnOp::Plus => x,
        }
    }
}

/// Binding strength of prefix operators: tighter than `* /`, looser than `^`.
pub const PREFIX_PRECEDENCE: u8 = 3;

/// Binding strength of atoms (numbers, constants, variables, calls).
pub const ATOM_PRECEDENCE: u8 = 5;

/// A binary operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    /// Addition, `a + b`.
    Add,
    /// Subtraction, `a - b`.
    Sub,
    /// Multiplication, `a * b`.
    Mul,
    /// Division, `a / b`.
    Div,
    /// Power, `a ^ b` or `a ** b` (right-associative; printed as `^`).
    Pow,
}

impl BinOp {
    /// The operator's source symbol.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Pow => "^",
        }
    }

    /// Binding strength: `+ -` is 1, `* /` is 2, `^` is 4 (prefix operators
    /// sit in between at [`PREFIX_PRECEDENCE`]).
    pub fn precedence(self) -> u8 {
        match self {
            BinOp::Add | BinOp::Sub => 1,
            BinOp::Mul | BinOp::Div => 2,
            BinOp::Pow => 4,
        }
    }

    /// Whether `a op b op c` groups as `a op (b op c)`; true only for `^`.
    pub fn is_right_assoc(self) -> bool {
        self == BinOp::Pow
    }

    /// Applies the operator to two `f64`s.
    pub fn apply_f64(self, a: f64, b: f64) -> f64 {
        match self {
            BinOp::Add => a + b,
            BinOp::Sub => a - b,
            BinOp::Mul => a * b,
            BinOp::Div => a / b,
            BinOp::Pow => a.powf(b),
        }
    }
}

/// What a node is.
#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    /// A numeric literal (never negative when produced by the parser).
    Num(f64),
    /// A named constant, `pi` or `e`.
    Const(Const),
    /// A variable.
    Var(String),
    /// A prefix operator applied to its operand.
    Unary(UnOp, NodeId),
    /// A binary operator applied to its left and right operands.
    Binary(BinOp, NodeId, NodeId),
    /// A call of a built-in function; `args.len()` equals `func.arity()`.
    Call(Func, Vec<NodeId>),
}

impl NodeKind {
    /// How tightly this node binds, used to decide where parentheses go:
    /// atoms bind tightest, then `^`, prefix operators, `* /`, `+ -`.
    pub fn precedence(&self) -> u8 {
        match self {
            NodeKind::Num(_) | NodeKind::Const(_) | NodeKind::Var(_) | NodeKind::Call(..) => {
                ATOM_PRECEDENCE
            }
            NodeKind::Unary(..) => PREFIX_PRECEDENCE,
            NodeKind::Binary(op, ..) => op.precedence(),
        }
    }

    /// The node's children, in source order.
    pub fn children(&self) -> impl Iterator<Item = NodeId> + '_ {
        let (fixed, rest): ([Option<NodeId>; 2], &[NodeId]) = match self {
            NodeKind::Num(_) | NodeKind::Const(_) | NodeKind::Var(_) => ([None, None], &[]),
            NodeKind::Unary(_, a) => ([Some(*a), None], &[]),
            NodeKind::Binary(_, a, b) => ([Some(*a), Some(*b)], &[]),
            NodeKind::Call(_, args) => ([None, None], args),
        };
        fixed.into_iter().flatten().chain(rest.iter().copied())
    }
}

/// One node of the tree, with the source range it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// What the node is.
    pub kind: NodeKind,
    /// Byte range `(start, end)` (end exclusive) of the source text this node
    /// was parsed from, including any parentheses around it.
    pub span: (usize, usize),
}

/// A parsed expression: an arena of nodes plus the root's id.
///
/// Invariant: every child id is smaller than its parent's id, and `root`
/// indexes into `nodes`. The parser only ever builds such trees.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// All nodes; children come before parents.
    pub nodes: Vec<Node>,
    /// The id of the root node.
    pub root: NodeId,
}

impl Expr {
    /// The node with the given id.
    ///
    /// # Panics
    ///
    /// Panics if `id` is out of range.
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.0]
    }

    /// The distinct variable names, in order of first appearance (node
    /// order, which for parsed expressions is left-to-right source order).
    pub fn variables(&self) -> Vec<&str> {
        let mut seen = HashSet::new();
        let mut out: Vec<&str> = Vec::new();
        for node in &self.nodes {
            if let NodeKind::Var(name) = &node.kind {
                if seen.insert(name.as_str()) {
                    out.push(name);
                }
            }
        }
        out
    }

    /// Evaluates the expression with plain `f64` arithmetic in one forward
    /// pass over [`Expr::nodes`]. A variable missing from `vars` evaluates to
    /// NaN.
    ///
    /// # Panics
    ///
    /// Panics if a node refers to an id that is not smaller than its own.
    pub fn eval_f64(&self, vars: &HashMap<String, f64>) -> f64 {
        let mut vals: Vec<f64> = Vec::with_capacity(self.nodes.len());
        for node in &self.nodes {
            let v = match &node.kind {
                NodeKind::Num(v) => *v,
                NodeKind::Const(c) => c.value(),
                NodeKind::Var(name) => vars.get(name).copied().unwrap_or(f64::NAN),
                NodeKind::Unary(op, a) => op.apply_f64(vals[a.0]),
                NodeKind::Binary(op, a, b) => op.apply_f64(vals[a.0], vals[b.0]),
                NodeKind::Call(f, args) => match args.as_slice() {
                    [a] => f.apply_f64(&[vals[a.0]]),
                    [a, b] => f.apply_f64(&[vals[a.0], vals[b.0]]),
                    _ => f.apply_f64(&[]),
                },
            };
            vals.push(v);
        }
        vals[self.root.0]
    }

    /// Whether two expressions have the same tree shape and contents,
    /// ignoring spans and the nodes' layout in the arena. Numbers compare by
    /// bit pattern. Iterative, so any depth is fine.
    pub fn same_tree(&self, other: &Expr) -> bool {
        self.subtree_eq(self.root, other, other.root)
    }

    /// Like [`Expr::same_tree`], for the subtree at `a` here and the one at
    /// `b` in `other`.
    pub(crate) fn subtree_eq(&self, a: NodeId, other: &Expr, b: NodeId) -> bool {
        let mut stack = vec![(a, b)];
        while let Some((a, b)) = stack.pop() {
            let (ka, kb) = (&self.node(a).kind, &other.node(b).kind);
            let same_head = match (ka, kb) {
                (NodeKind::Num(x), NodeKind::Num(y)) => x.to_bits() == y.to_bits(),
                (NodeKind::Const(x), NodeKind::Const(y)) => x == y,
                (NodeKind::Var(x), NodeKind::Var(y)) => x == y,
                (NodeKind::Unary(x, _), NodeKind::Unary(y, _)) => x == y,
                (NodeKind::Binary(x, ..), NodeKind::Binary(y, ..)) => x == y,
                (NodeKind::Call(x, xs), NodeKind::Call(y, ys)) => x == y && xs.len() == ys.len(),
                _ => false,
            };
            if !same_head {
                return false;
            }
            stack.extend(ka.children().zip(kb.children()));
        }
        true
    }
}
