//! The subcommands, each writing to the given output streams and returning
//! an exit status, so that they can be run in-process by tests as well as by
//! `main`.

pub mod diff;
pub mod example;
pub mod graph;

use std::io::Write;

use crate::cli::{Cli, Command, ExampleArgs};
use crate::error::CliError;

/// Runs the parsed command line. Errors are printed to `err`; the returned
/// value is the process exit status.
pub fn run(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let result = match cli.command {
        None => example::run(
            &ExampleArgs {
                output: example::DEFAULT_OUTPUT.into(),
            },
            out,
        ),
        Some(Command::Example(a)) => example::run(&a, out),
        Some(Command::Diff(a)) => diff::run(&a, out, err),
        Some(Command::Graph(a)) => graph::run(&a, out, err),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(err, "{e}");
            e.code
        }
    }
}

/// Writes `text` to `out`, turning a failure into a [`CliError`]. A closed
/// pipe (`cotangent … | head`) is not an error: the reader has what it wants.
pub(crate) fn emit(out: &mut dyn Write, text: &str) -> Result<(), CliError> {
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(CliError::io("cannot write the output", e))
        }
        _ => Ok(()),
    }
}
