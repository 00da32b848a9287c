//! The command line, declared with clap's derive API.
//!
//! `cotangent` alone runs the teaching example; `cotangent diff` and
//! `cotangent graph` take expressions. Options may come before or after the
//! expressions; an expression that starts with `-` must follow `--`
//! (`cotangent diff --at x=3 -- '-x^2'`), since anything else starting with
//! `-` is read as an option.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Automatic differentiation of formulas, explained.
///
/// With no command, runs the teaching example: f(x1, x2) = log((x1 + x2)^2 +
/// sin(x1*x2)) at (1.5, 0.5), printing the primal and adjoint traces and
/// writing the graph to cotangent-example.svg.
#[derive(Debug, Parser)]
#[command(name = "cotangent", version)]
pub struct Cli {
    /// What to do (default: `example`).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the teaching example: traces, gradient, check and a picture.
    Example(ExampleArgs),
    /// Differentiate expressions at a point: values, Jacobian, Hessians.
    Diff(DiffArgs),
    /// Draw the computational graph of an expression with values and adjoints.
    Graph(GraphArgs),
}

/// Options of `cotangent example`.
#[derive(Debug, Args)]
pub struct ExampleArgs {
    /// Where to write the picture of the graph: .svg, .dot/.gv (Graphviz) or
    /// .txt (a table), by the extension.
    #[arg(
        short,
        long,
        value_name = "FILE",
        default_value = crate::commands::example::DEFAULT_OUTPUT
    )]
    pub output: PathBuf,
}

/// How a Jacobian is accumulated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    /// Forward when there are fewer --wrt variables than outputs, else reverse.
    Auto,
    /// One forward (JVP) pass per --wrt variable.
    Forward,
    /// One reverse (VJP) pass per output.
    Reverse,
}

/// Options of `cotangent diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// One or more expressions; each is one output. Use `--` before an
    /// expression that starts with `-`.
    #[arg(required = true, value_name = "EXPR")]
    pub exprs: Vec<String>,
    /// The point: a value for every variable used (repeatable).
    #[arg(long, value_name = "NAME=V[,NAME=V]")]
    pub at: Vec<String>,
    /// Differentiate with respect to these, in this order (default: --at order).
    #[arg(long, value_name = "NAME[,NAME]")]
    pub wrt: Vec<String>,
    /// 1: Jacobian; 2: also one Hessian per output; 3 to 10: also the
    /// derivative tensors of orders 3 up to this one (slow for many variables).
    #[arg(
        long,
        default_value_t = 1,
        value_parser = clap::value_parser!(u8).range(1..=i64::from(crate::higher::MAX_ORDER))
    )]
    pub order: u8,
    /// How the Jacobian is accumulated.
    #[arg(long, value_enum, default_value_t = ModeArg::Auto)]
    pub mode: ModeArg,
    /// Also compare with central finite differences and print the max error.
    #[arg(long)]
    pub check: bool,
    /// Print one JSON object on stdout, nothing else.
    #[arg(long)]
    pub json: bool,
}

/// Output formats of `cotangent graph`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A standalone SVG picture.
    Svg,
    /// Graphviz DOT source.
    Dot,
    /// An aligned table for a terminal.
    Text,
    /// The library's traced graph IR of the value and gradient (what `jit` compiles), as a
    /// jaxpr-like listing.
    Ir,
    /// The traced graph IR as Graphviz DOT.
    IrDot,
}

/// Options of `cotangent graph`.
#[derive(Debug, Args)]
pub struct GraphArgs {
    /// The expression. Use `--` before one that starts with `-`.
    #[arg(value_name = "EXPR")]
    pub expr: String,
    /// The point: a value for every variable used (repeatable).
    #[arg(long, value_name = "NAME=V[,NAME=V]")]
    pub at: Vec<String>,
    /// Output format (default: from the -o extension, else svg).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write to this file instead of stdout. Without --format, its extension
    /// must be .svg, .dot, .gv or .txt.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn diff(args: &[&str]) -> Result<DiffArgs, clap::Error> {
        let cli = Cli::try_parse_from(
            ["cotangent", "diff"]
                .into_iter()
                .chain(args.iter().copied()),
        )?;
        match cli.command {
            Some(Command::Diff(d)) => Ok(d),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn definition_is_valid() {
        Cli::command().debug_assert();
    }

    #[test]
    fn options_before_and_after_expressions() {
        let d = diff(&["--at", "x=3", "--order", "2", "--json", "--", "-x^2"]).unwrap();
        assert_eq!(d.exprs, ["-x^2"]);
        assert_eq!((d.order, d.json), (2, true));
        let d = diff(&["x^2", "--at", "x=3,y=1", "y", "--mode", "forward"]).unwrap();
        assert_eq!(d.exprs, ["x^2", "y"]);
        assert_eq!(d.mode, ModeArg::Forward);
        let d = diff(&["--at", "x=-1", "x"]).unwrap();
        assert_eq!(d.at, ["x=-1"]);
    }

    #[test]
    fn leading_minus_needs_double_dash() {
        let err = diff(&["--at", "x=3", "-x^2"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::UnknownArgument);
        assert_eq!(diff(&["--order", "4", "x"]).unwrap().order, 4);
        assert!(diff(&["--order", "11", "x"]).is_err());
        assert!(diff(&["--order", "0", "x"]).is_err());
    }

    #[test]
    fn no_arguments_means_example() {
        assert!(Cli::try_parse_from(["cotangent"])
            .unwrap()
            .command
            .is_none());
    }
}
