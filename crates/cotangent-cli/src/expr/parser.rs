//! The parser: an operator-precedence (shunting-yard) parser driven entirely
//! by explicit stacks, so nesting depth costs heap, never call stack.
//!
//! It alternates between two states: expecting an operand (a number, name,
//! call, `(` or prefix sign) and expecting an operator (a binary operator,
//! `)`, `,` or the end). Operators wait on an operator stack until one of
//! lower binding strength arrives; reducing one pops its operands from a value
//! stack and appends the new node to the arena, after its children.

use super::ast::{BinOp, Const, Expr, Node, NodeId, NodeKind, UnOp, PREFIX_PRECEDENCE};
use super::error::ParseError;
use super::func::Func;
use super::lexer::{Lexer, Tok, Token};

/// Parses an expression of the `cotangent diff` language into an [`Expr`].
///
/// The grammar, loosest binding first: `+ -` (left-associative), `* /`
/// (left-associative), prefix `-` and `+`, `^` (right-associative; its
/// exponent may itself start with a sign, so `x^-1` works; `**` is a synonym,
/// as in Python, so `x**2` is `x^2`), then atoms:
/// numbers (`2`, `.5`, `1e-3`), the constants `pi` and `e`, variables,
/// parenthesized expressions and calls such as `sin(x)` or `atan2(y, x)`.
/// Thus `-x^2` is `-(x^2)` and `2^3^2` is `2^(3^2)`.
///
/// Any nesting depth is accepted: the parser uses no recursion.
///
/// # Errors
///
/// Returns a [`ParseError`] for the leftmost problem in `src`: a stray
/// character, a malformed number, a missing operand or operator, an
/// unbalanced parenthesis, an unknown function, a function used without
/// parentheses, or a call with the wrong number of arguments.
///
/// # Examples
///
/// ```
/// # use cotangent_cli::expr::parse;
/// use std::collections::HashMap;
///
/// let expr = parse("-x^2 + atan2(y, 1)").unwrap();
/// assert_eq!(expr.variables(), ["x", "y"]);
/// let vars = HashMap::from([("x".to_string(), 3.0), ("y".to_string(), 0.0)]);
/// assert_eq!(expr.eval_f64(&vars), -9.0);
/// assert_eq!(expr.to_string(), "-x^2 + atan2(y, 1)");
///
/// let err = parse("sinn(x) + 1").unwrap_err();
/// assert_eq!((err.column, err.len), (0, 4));
/// assert_eq!(
///     err.render("sinn(x) + 1"),
///     "error: unknown function `sinn`\n  sinn(x) + 1\n  ^^^^"
/// );
/// let hint = err.hint.as_deref().unwrap();
/// assert!(hint.starts_with("known functions: abs, acos, acosh,"));
/// ```
pub fn parse(src: &str) -> Result<Expr, ParseError> {
    Parser {
        src,
        lexer: Lexer::new(src),
        peeked: None,
        nodes: Vec::new(),
        vals: Vec::new(),
        ops: Vec::new(),
    }
    .run()
}

/// An entry of the operator stack.
enum Op {
    /// A prefix sign starting at byte `start`.
    Prefix { op: UnOp, start: usize },
    /// A binary operator whose left operand is on the value stack.
    Binary(BinOp),
    /// A grouping `(` at byte `start`.
    Paren { start: usize },
    /// An open call: the function, its name's span, the `(` offset, and how
    /// many commas have been seen so far.
    Call {
        func: Func,
        name: (usize, usize),
        lparen: usize,
        commas: usize,
    },
}

struct Parser<'a> {
    src: &'a str,
    lexer: Lexer<'a>,
    peeked: Option<Token>,
    nodes: Vec<Node>,
    vals: Vec<NodeId>,
    ops: Vec<Op>,
}

fn err<T>(message: String, start: usize, end: usize) -> Result<T, ParseError> {
    Err(ParseError::new(message, start, end - start))
}

impl<'a> Parser<'a> {
    fn next(&mut self) -> Result<Token, ParseError> {
        match self.peeked.take() {
            Some(t) => Ok(t),
            None => self.lexer.next_token(),
        }
    }

    fn peek(&mut self) -> Result<Token, ParseError> {
        match self.peeked {
            Some(t) => Ok(t),
            None => {
                let t = self.lexer.next_token()?;
                self.peeked = Some(t);
                Ok(t)
            }
        }
    }

    fn text(&self, t: Token) -> &'a str {
        &self.src[t.start..t.end]
    }

    fn span(&self, id: NodeId) -> (usize, usize) {
        self.nodes[id.0].span
    }

    /// Appends a node to the arena and pushes it on the value stack.
    fn push(&mut self, kind: NodeKind, span: (usize, usize)) {
        self.vals.push(NodeId(self.nodes.len()));
        self.nodes.push(Node { kind, span });
    }

    fn pop_val(&mut self) -> NodeId {
        self.vals.pop().expect("operand stack underflow")
    }

    fn run(mut self) -> Result<Expr, ParseError> {
        let mut expect_operand = true;
        loop {
            let t = self.next()?;
            if expect_operand {
                expect_operand = self.operand(t)?;
            } else {
                match t.tok {
                    Tok::Plus => self.binary(BinOp::Add),
                    Tok::Minus => self.binary(BinOp::Sub),
                    Tok::Star => self.binary(BinOp::Mul),
                    Tok::Slash => self.binary(BinOp::Div),
                    Tok::Caret => self.binary(BinOp::Pow),
                    Tok::RParen => self.close(t)?,
                    Tok::Comma => self.comma(t)?,
                    Tok::End => return self.finish(),
                    Tok::Num(_) | Tok::Ident | Tok::LParen => {
                        let msg = format!("expected an operator, found `{}`", self.text(t));
                        return err(msg, t.start, t.end);
                    }
                }
                expect_operand = !matches!(t.tok, Tok::RParen);
            }
        }
    }

    /// Handles token `t` where an operand is expected; returns whether an
    /// operand is still expected afterwards.
    fn operand(&mut self, t: Token) -> Result<bool, ParseError> {
        let span = (t.start, t.end);
        match t.tok {
            Tok::Num(v) => self.push(NodeKind::Num(v), span),
            Tok::Ident => return self.ident(t),
            Tok::Minus => self.ops.push(Op::Prefix {
                op: UnOp::Neg,
                start: t.start,
            }),
            Tok::Plus => self.ops.push(Op::Prefix {
                op: UnOp::Plus,
                start: t.start,
            }),
            Tok::LParen => self.ops.push(Op::Paren { start: t.start }),
            Tok::End => {
                // Point just past the last token rather than at trailing blanks.
                let at = self
                    .src
                    .trim_end_matches(|c: char| c.is_ascii_whitespace())
                    .len();
                return err("expected an expression, found end of input".into(), at, at);
            }
            Tok::RParen => {
                if let Some(&Op::Call {
                    func, name, lparen, ..
                }) = self.ops.last()
                {
                    if self.src[lparen + 1..t.start].trim().is_empty() {
                        return arity_error(func, 0, name);
                    }
                }
                let msg = format!("expected an expression, found `{}`", self.text(t));
                return err(msg, t.start, t.end);
            }
            Tok::Star | Tok::Slash | Tok::Caret | Tok::Comma => {
                let msg = format!("expected an expression, found `{}`", self.text(t));
                return err(msg, t.start, t.end);
            }
        }
        Ok(matches!(t.tok, Tok::Minus | Tok::Plus | Tok::LParen))
    }

    /// Handles an identifier in operand position: a call, a misused function
    /// name, a constant or a variable.
    fn ident(&mut self, t: Token) -> Result<bool, ParseError> {
        let name = self.text(t);
        if self.peek()?.tok == Tok::LParen {
            let Some(func) = Func::from_name(name) else {
                if Const::from_name(name).is_some() {
                    let msg = format!("`{name}` is a constant, not a function");
                    return err(msg, t.start, t.end);
                }
                let e = ParseError::new(format!("unknown function `{name}`"), t.start, name.len());
                return Err(e.with_hint(format!("known functions: {}", Func::known_names())));
            };
            let lparen = self.next()?.start;
            self.ops.push(Op::Call {
                func,
                name: (t.start, t.end),
                lparen,
                commas: 0,
            });
            return Ok(true);
        }
        let kind = if let Some(func) = Func::from_name(name) {
            let example = if func.arity() == 1 { "x" } else { "x, y" };
            let msg = format!(
                "function `{name}` must be called with parentheses, as in `{name}({example})`"
            );
            return err(msg, t.start, t.end);
        } else if let Some(c) = Const::from_name(name) {
            NodeKind::Const(c)
        } else {
            NodeKind::Var(name.to_string())
        };
        self.push(kind, (t.start, t.end));
        Ok(false)
    }

    /// Pops the top operator (a prefix or binary one) into a new node.
    fn reduce(&mut self) {
        match self.ops.pop() {
            Some(Op::Prefix { op, start }) => {
                let a = self.pop_val();
                let end = self.span(a).1;
                self.push(NodeKind::Unary(op, a), (start, end));
            }
            Some(Op::Binary(op)) => {
                let b = self.pop_val();
                let a = self.pop_val();
                let span = (self.span(a).0, self.span(b).1);
                self.push(NodeKind::Binary(op, a, b), span);
            }
            _ => unreachable!("reduce called on a grouping entry"),
        }
    }

    /// Reduces operators binding at least `min` (strictly more than `min`
    /// when `strict`), stopping at any `(` or call.
    fn reduce_while(&mut self, min: u8, strict: bool) {
        while let Some(top) = self.ops.last() {
            let q = match top {
                Op::Prefix { .. } => PREFIX_PRECEDENCE,
                Op::Binary(op) => op.precedence(),
                Op::Paren { .. } | Op::Call { .. } => break,
            };
            if q > min || (q == min && !strict) {
                self.reduce();
            } else {
                break;
            }
        }
    }

    fn binary(&mut self, op: BinOp) {
        self.reduce_while(op.precedence(), op.is_right_assoc());
        self.ops.push(Op::Binary(op));
    }

    /// Handles `)` after an operand: closes a group or finishes a call.
    fn close(&mut self, t: Token) -> Result<(), ParseError> {
        self.reduce_while(0, false);
        match self.ops.pop() {
            None => err("unmatched `)`".into(), t.start, t.end),
            Some(Op::Paren { start }) => {
                let top = *self.vals.last().expect("operand stack underflow");
                self.nodes[top.0].span = (start, t.end);
                Ok(())
            }
            Some(Op::Call {
                func, name, commas, ..
            }) => {
                let given = commas + 1;
                if given != func.arity() {
                    return arity_error(func, given, name);
                }
                let args = self.vals.split_off(self.vals.len() - given);
                self.push(NodeKind::Call(func, args), (name.0, t.end));
                Ok(())
            }
            Some(Op::Prefix { .. } | Op::Binary(_)) => unreachable!("operators were reduced"),
        }
    }

    /// Handles `,` after an operand: moves to a call's next argument.
    fn comma(&mut self, t: Token) -> Result<(), ParseError> {
        self.reduce_while(0, false);
        match self.ops.last_mut() {
            Some(Op::Call { commas, .. }) => {
                *commas += 1;
                Ok(())
            }
            _ => err(
                "unexpected `,` outside a function call".into(),
                t.start,
                t.end,
            ),
        }
    }

    /// Handles the end of input after an operand.
    fn finish(mut self) -> Result<Expr, ParseError> {
        self.reduce_while(0, false);
        match self.ops.last() {
            None => {}
            Some(&Op::Paren { start }) => return err("unclosed `(`".into(), start, start + 1),
            Some(&Op::Call { func, lparen, .. }) => {
                let msg = format!("unclosed `(` in call to `{}`", func.name());
                return err(msg, lparen, lparen + 1);
            }
            Some(Op::Prefix { .. } | Op::Binary(_)) => unreachable!("operators were reduced"),
        }
        let root = self.pop_val();
        debug_assert!(self.vals.is_empty());
        Ok(Expr {
            nodes: self.nodes,
            root,
        })
    }
}

fn arity_error<T>(func: Func, given: usize, name: (usize, usize)) -> Result<T, ParseError> {
    let arity = func.arity();
    let msg = format!(
        "`{}` takes {} argument{} but {} {} given",
        func.name(),
        arity,
        if arity == 1 { "" } else { "s" },
        given,
        if given == 1 { "was" } else { "were" },
    );
    err(msg, name.0, name.1)
}
