//! Errors that end a command, and the exit statuses they map to.
//!
//! Bad input (a syntax error, an unknown function, a variable without a
//! value, a malformed option) exits with [`EXIT_USAGE`], as clap does for its
//! own usage errors; a computation whose result is not finite exits with
//! [`EXIT_NONFINITE`] after printing what it could.
//!
//! Every error keeps its parts apart as an [`ErrorInfo`] (message, which
//! expression, column, length, hint), so that `--json` can print it as one
//! object, `{"error": {...}}`, besides the text for people on stderr.

use std::fmt;

use serde::Serialize;

use crate::expr::ParseError;

/// Exit status for bad input.
pub const EXIT_USAGE: u8 = 2;

/// Exit status when a value or derivative is not finite.
pub const EXIT_NONFINITE: u8 = 3;

/// Exit status when the output could not be written.
pub const EXIT_IO: u8 = 1;

/// The parts of an error, as printed by `--json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorInfo {
    /// What went wrong, in one line, without the `error: ` prefix.
    pub message: String,
    /// The expression concerned, counting from 0 (absent when the problem is
    /// not in an expression, e.g. a malformed `--at`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expression: Option<usize>,
    /// 0-based offset of the problem in that expression, in characters (Unicode scalar
    /// values, so `π` counts once).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// Length in characters of the offending text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub length: Option<usize>,
    /// A suggestion, such as the list of known functions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl ErrorInfo {
    /// Just a message.
    pub fn plain(message: impl fmt::Display) -> ErrorInfo {
        ErrorInfo {
            message: message.to_string(),
            expression: None,
            column: None,
            length: None,
            hint: None,
        }
    }
}

/// A message for stderr and the exit status to go with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    /// The full text to print, possibly several lines (already prefixed with
    /// `error: `).
    pub message: String,
    /// The process exit status.
    pub code: u8,
    /// The same error in parts, for `--json` (boxed: errors travel in every
    /// `Result`, and most are never printed as JSON).
    pub info: Box<ErrorInfo>,
}

/// The JSON document of an error: `{"error": {...}}`.
#[derive(Serialize)]
struct ErrorJson<'a> {
    error: &'a ErrorInfo,
}

impl CliError {
    /// A bad-input error: `error: ` followed by `message`, exit status 2.
    pub fn usage(message: impl fmt::Display) -> CliError {
        let info = ErrorInfo::plain(message);
        CliError {
            message: format!("error: {}", info.message),
            code: EXIT_USAGE,
            info: Box::new(info),
        }
    }

    /// A bad-input error in expression `expression` (counting from 0) whose
    /// text is `source`, rendered with a caret line (and the hint) by
    /// [`crate::expr::ParseError::render_with_hint`]; `suffix` is appended to the
    /// printed message only (e.g. ` (in expression 2 of 3)`).
    pub fn parse(err: &ParseError, source: &str, expression: usize, suffix: &str) -> CliError {
        let mut shown = err.clone();
        shown.message.push_str(suffix);
        CliError {
            message: shown.render_with_hint(source),
            code: EXIT_USAGE,
            info: Box::new(ErrorInfo {
                message: err.message.clone(),
                expression: Some(expression),
                column: Some(chars_in(source, 0, err.column)),
                length: Some(chars_in(source, err.column, err.column + err.len)),
                hint: err.hint.clone(),
            }),
        }
    }

    /// An I/O failure, exit status 1.
    pub fn io(what: &str, err: std::io::Error) -> CliError {
        let info = ErrorInfo::plain(format!("{what}: {err}"));
        CliError {
            message: format!("error: {}", info.message),
            code: EXIT_IO,
            info: Box::new(info),
        }
    }

    /// A command-line error found by clap, exit status 2: its first paragraph
    /// (without `error: `, lines joined) is the message; the whole text, with
    /// the usage line, is kept for stderr.
    pub fn from_clap(err: &clap::Error) -> CliError {
        let text = err.render().to_string();
        let first: Vec<&str> = text
            .lines()
            .take_while(|l| !l.trim().is_empty())
            .map(str::trim)
            .collect();
        let first = first.join(" ");
        let info = ErrorInfo::plain(first.strip_prefix("error: ").unwrap_or(&first));
        CliError {
            message: text.trim_end().to_string(),
            code: EXIT_USAGE,
            info: Box::new(info),
        }
    }

    /// The error as one line of JSON, `{"error": {"message": ..., ...}}`.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&ErrorJson { error: &self.info }).expect("plain data serializes")
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

/// The number of characters in `source[from..to]` (byte offsets, clamped to the text and to
/// character boundaries).
fn chars_in(source: &str, from: usize, to: usize) -> usize {
    let clamp = |b: usize| {
        let mut b = b.min(source.len());
        while !source.is_char_boundary(b) {
            b -= 1;
        }
        b
    };
    source[clamp(from)..clamp(to.max(from))].chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_columns_count_characters_not_bytes() {
        // `π` and `é` are two bytes each: the `é` starts at byte 3, character 2.
        let p = ParseError::new("unexpected character `é`", 3, 2);
        let e = CliError::parse(&p, "π*é", 0, "");
        assert!(
            e.to_json().contains(r#""column":2,"length":1"#),
            "{}",
            e.to_json()
        );
    }

    #[test]
    fn json_has_the_parts() {
        let e = CliError::usage("malformed --at entry `x`");
        assert_eq!(e.message, "error: malformed --at entry `x`");
        assert_eq!(
            e.to_json(),
            r#"{"error":{"message":"malformed --at entry `x`"}}"#
        );
        let p = ParseError::new("unknown function `f`", 4, 1).with_hint("try `sin`");
        let e = CliError::parse(&p, "x + f(x)", 1, " (in expression 2 of 2)");
        assert!(e
            .message
            .starts_with("error: unknown function `f` (in expression 2 of 2)\n"));
        assert_eq!(
            e.to_json(),
            r#"{"error":{"message":"unknown function `f`","expression":1,"column":4,"length":1,"hint":"try `sin`"}}"#
        );
    }
}
