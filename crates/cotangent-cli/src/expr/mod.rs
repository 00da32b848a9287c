//! The expression language of `cotangent diff`: lexing, parsing, printing.
//!
//! [`parse`] turns text such as `-x^2 + atan2(y, 1)` into an [`Expr`], an
//! arena of [`Node`]s in which children precede parents, or a [`ParseError`]
//! that can [render](ParseError::render) itself with a caret under the
//! problem. Nothing here recurses on the input's nesting depth: the parser,
//! the printer ([`Expr`]'s `Display`), evaluation and dropping all work on
//! explicit stacks or flat loops.

mod ast;
mod display;
mod error;
mod func;
mod lexer;
mod parser;

pub use ast::{
    BinOp, Const, Expr, Node, NodeId, NodeKind, UnOp, ATOM_PRECEDENCE, PREFIX_PRECEDENCE,
};
pub use error::ParseError;
pub use func::Func;
pub use parser::parse;

#[cfg(test)]
mod tests;

#[cfg(test)]
mod proptests;
