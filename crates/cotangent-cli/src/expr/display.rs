//! Printing an [`Expr`] back to source text with minimal parentheses.
//!
//! The printed form re-parses to the same tree (for trees the parser can
//! produce). Printing walks the arena with an explicit stack, so deeply
//! nested expressions print without deep recursion. Binary operators other
//! than `^` are surrounded by spaces: `-x^2 + 2 * y`.

use std::fmt;

use super::ast::{BinOp, Expr, NodeId, NodeKind, PREFIX_PRECEDENCE};

/// A pending piece of output.
enum Item {
    /// Print this node, wrapped in parentheses if the flag is set.
    Node(NodeId, bool),
    /// Print this literal text.
    Text(&'static str),
}

/// Whether `child` needs parentheses as operand `right` (false: left/only)
/// of `parent` to re-parse into the same tree.
fn needs_parens(parent: &NodeKind, right: bool, child: &NodeKind) -> bool {
    let c = child.precedence();
    match parent {
        NodeKind::Unary(..) => c < PREFIX_PRECEDENCE,
        // `(a^b)^c`, `(-a)^b`; but a signed exponent needs none: `a^-b`.
        NodeKind::Binary(BinOp::Pow, ..) if right => c < PREFIX_PRECEDENCE,
        NodeKind::Binary(BinOp::Pow, ..) => c <= BinOp::Pow.precedence(),
        NodeKind::Binary(op, ..) if right => c <= op.precedence(),
        NodeKind::Binary(op, ..) => c < op.precedence(),
        NodeKind::Num(_) | NodeKind::Const(_) | NodeKind::Var(_) | NodeKind::Call(..) => false,
    }
}

fn spaced(op: BinOp) -> &'static str {
    match op {
        BinOp::Add => " + ",
        BinOp::Sub => " - ",
        BinOp::Mul => " * ",
        BinOp::Div => " / ",
        BinOp::Pow => "^",
    }
}

/// Writes a number so that it lexes back to the same `f64`: the shortest
/// round-trip digits, in exponent form when that is at least three characters
/// shorter (`1e-7`, `1e5`, but `1000` and `0.001`).
/// Negative numbers (which the parser never produces) get parentheses.
fn write_num(f: &mut fmt::Formatter<'_>, v: f64) -> fmt::Result {
    let plain = format!("{}", v.abs());
    let exp = format!("{:e}", v.abs());
    let text = if exp.len() + 3 <= plain.len() {
        exp
    } else {
        plain
    };
    if v.is_sign_negative() {
        write!(f, "(-{text})")
    } else {
        f.write_str(&text)
    }
}

impl fmt::Display for Expr {
    /// Prints the expression with as few parentheses as re-parsing needs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut stack = vec![Item::Node(self.root, false)];
        while let Some(item) = stack.pop() {
            let (id, parens) = match item {
                Item::Text(s) => {
                    f.write_str(s)?;
                    continue;
                }
                Item::Node(id, parens) => (id, parens),
            };
            let kind = &self.node(id).kind;
            if parens {
                f.write_str("(")?;
                stack.push(Item::Text(")"));
            }
            let child = |c: NodeId, right: bool| {
                Item::Node(c, needs_parens(kind, right, &self.node(c).kind))
            };
            match kind {
                NodeKind::Num(v) => write_num(f, *v)?,
                NodeKind::Const(c) => f.write_str(c.name())?,
                NodeKind::Var(name) => f.write_str(name)?,
                NodeKind::Unary(op, a) => {
                    f.write_str(op.symbol())?;
                    stack.push(child(*a, false));
                }
                NodeKind::Binary(op, a, b) => {
                    stack.push(child(*b, true));
                    stack.push(Item::Text(spaced(*op)));
                    stack.push(child(*a, false));
                }
                NodeKind::Call(func, args) => {
                    f.write_str(func.name())?;
                    f.write_str("(")?;
                    stack.push(Item::Text(")"));
                    for (i, &arg) in args.iter().enumerate().rev() {
                        stack.push(Item::Node(arg, false));
                        if i > 0 {
                            stack.push(Item::Text(", "));
                        }
                    }
                }
            }
        }
        Ok(())
    }
}
