//! The `cotangent-gradbench` binary: a GradBench tool on stdin/stdout.
//!
//! Single-threaded by default, like the other GradBench tools; `--multithreaded` lets cotangent
//! use every core (rayon's default pool).

use std::io::{self, BufWriter};
use std::process::ExitCode;

fn main() -> ExitCode {
    let multithreaded = std::env::args().skip(1).any(|a| a == "--multithreaded");
    if !multithreaded {
        if let Err(e) = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build_global()
        {
            eprintln!("cotangent-gradbench: cannot make a one-thread pool: {e}");
            return ExitCode::FAILURE;
        }
    }
    let stdin = io::stdin().lock();
    let stdout = BufWriter::new(io::stdout().lock());
    match cotangent_gradbench::protocol::serve(stdin, stdout) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cotangent-gradbench: {e}");
            ExitCode::FAILURE
        }
    }
}
