//! Parse errors and their rendering with a caret under the offending text.
//!
//! A [`ParseError`] records a message and a byte range of the source; its
//! [`ParseError::render`] method prints the message, the expression, and a
//! line of `^` markers under that range, ready for a terminal.

use std::fmt;

/// Why an expression failed to parse, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// Human-readable description, e.g. ``unknown function `sinn` ``.
    pub message: String,
    /// 0-based byte offset in the source where the problem starts; for an
    /// unexpected end of input, the offset just past the last token.
    pub column: usize,
    /// Length in bytes of the offending text (0 at end of input).
    pub len: usize,
    /// A suggestion printed after the caret line, e.g. the known functions.
    pub hint: Option<String>,
}

impl ParseError {
    /// Creates an error covering `len` bytes from byte offset `column`.
    pub fn new(message: impl Into<String>, column: usize, len: usize) -> ParseError {
        ParseError {
            message: message.into(),
            column,
            len,
            hint: None,
        }
    }

    /// The same error with a suggestion, printed by
    /// [`ParseError::render_with_hint`] on a last line `  hint: ...`.
    pub fn with_hint(mut self, hint: impl Into<String>) -> ParseError {
        self.hint = Some(hint.into());
        self
    }

    /// Renders the error for a terminal: the message, the source, and carets
    /// under the offending span (at least one caret), without a trailing
    /// newline. Whitespace such as tabs is shown as a single space so the
    /// carets line up.
    ///
    /// ```text
    /// error: unknown function `sinn`
    ///   sinn(x) + 1
    ///   ^^^^
    /// ```
    pub fn render(&self, source: &str) -> String {
        let mut line = String::with_capacity(source.len());
        let (mut before, mut under) = (0usize, 0usize);
        let end = self.column.saturating_add(self.len);
        for (i, c) in source.char_indices() {
            line.push(if c.is_whitespace() { ' ' } else { c });
            if i < self.column {
                before += 1;
            } else if i < end {
                under += 1;
            }
        }
        format!(
            "error: {}\n  {}\n  {}{}",
            self.message,
            line.trim_end(),
            " ".repeat(before),
            "^".repeat(under.max(1))
        )
    }

    /// [`ParseError::render`], then the hint, if there is one, on a last line
    /// `  hint: ...`.
    ///
    /// ```text
    /// error: unknown function `sinn`
    ///   sinn(x) + 1
    ///   ^^^^
    ///   hint: known functions: abs, acos, acosh, …
    /// ```
    pub fn render_with_hint(&self, source: &str) -> String {
        let mut out = self.render(source);
        if let Some(hint) = &self.hint {
            out.push_str("\n  hint: ");
            out.push_str(hint);
        }
        out
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at column {}", self.message, self.column)
    }
}

impl std::error::Error for ParseError {}
