//! The `cotangent` binary: parses the command line and runs it (see the
//! `cotangent_cli` library for everything else).

use std::process::ExitCode;

fn main() -> ExitCode {
    let code = cotangent_cli::commands::main(
        std::env::args_os().collect(),
        &mut std::io::stdout(),
        &mut std::io::stderr(),
    );
    ExitCode::from(code)
}
