//! The `cotangent` binary: parses the command line and runs it (see the
//! `cotangent_cli` library for everything else).

use std::process::ExitCode;

use clap::Parser;
use cotangent_cli::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = cotangent_cli::commands::run(cli, &mut std::io::stdout(), &mut std::io::stderr());
    ExitCode::from(code)
}
