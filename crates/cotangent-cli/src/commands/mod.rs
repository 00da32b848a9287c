//! The subcommands, each writing to the given output streams and returning
//! an exit status, so that they can be run in-process by tests as well as by
//! `main`.

pub mod diff;
pub mod example;
pub mod graph;

use std::ffi::OsString;
use std::io::Write;

use clap::Parser;

use crate::cli::{Cli, Command, ExampleArgs};
use crate::error::CliError;

/// Runs the parsed command line. Errors are printed to `err` (and, with
/// `diff --json`, also to `out` as one JSON object); the returned value is the
/// process exit status.
pub fn run(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let json = matches!(&cli.command, Some(Command::Diff(a)) if a.json);
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
        Err(e) => fail(&e, json, out, err),
    }
}

/// Prints `e` to `err`, and with `json` also as `{"error": {...}}` on `out`;
/// returns its exit status.
pub fn fail(e: &CliError, json: bool, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let _ = writeln!(err, "{e}");
    if json {
        let _ = writeln!(out, "{}", e.to_json());
    }
    e.code
}

/// Parses `args` (the program name first) and runs them, as `main` does.
/// Clap prints help, version and its own usage errors and exits, except that
/// with `--json` among the options a usage error is printed like any other:
/// on `err`, and as JSON on `out`.
pub fn main(args: Vec<OsString>, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    match Cli::try_parse_from(&args) {
        Ok(cli) => run(cli, out, err),
        Err(e) if !e.use_stderr() || !wants_json(&args) => e.exit(),
        Err(e) => fail(&CliError::from_clap(&e), true, out, err),
    }
}

/// Whether `--json` is among the options (before any `--`).
fn wants_json(args: &[OsString]) -> bool {
    args.iter()
        .skip(1)
        .take_while(|a| *a != "--")
        .any(|a| a == "--json")
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
