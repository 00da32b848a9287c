//! Errors that end a command, and the exit statuses they map to.
//!
//! Bad input (a syntax error, an unknown function, a variable without a
//! value, a malformed option) exits with [`EXIT_USAGE`], as clap does for its
//! own usage errors; a computation whose result is not finite exits with
//! [`EXIT_NONFINITE`] after printing what it could.

use std::fmt;

/// Exit status for bad input.
pub const EXIT_USAGE: u8 = 2;

/// Exit status when a value or derivative is not finite.
pub const EXIT_NONFINITE: u8 = 3;

/// Exit status when the output could not be written.
pub const EXIT_IO: u8 = 1;

/// A message for stderr and the exit status to go with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    /// The full text to print, possibly several lines (already prefixed with
    /// `error: `).
    pub message: String,
    /// The process exit status.
    pub code: u8,
}

impl CliError {
    /// A bad-input error: `error: ` followed by `message`, exit status 2.
    pub fn usage(message: impl fmt::Display) -> CliError {
        CliError {
            message: format!("error: {message}"),
            code: EXIT_USAGE,
        }
    }

    /// A bad-input error whose text is already rendered (for example with a
    /// caret line by [`crate::expr::ParseError::render_with_hint`]).
    pub fn rendered(message: String) -> CliError {
        CliError {
            message,
            code: EXIT_USAGE,
        }
    }

    /// An I/O failure, exit status 1.
    pub fn io(what: &str, err: std::io::Error) -> CliError {
        CliError {
            message: format!("error: {what}: {err}"),
            code: EXIT_IO,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}
