//! The evaluation point (`--at NAME=V,...`) and the differentiation
//! variables (`--wrt NAME,...`).
//!
//! Both options may be repeated and take comma-separated lists. Names must be
//! identifiers of the expression language that are not function or constant
//! names; values must be finite numbers. Every problem is a usage error that
//! names the offending text.

use crate::error::CliError;
use crate::expr::{Const, Func};

/// Values for the variables, in the order they were given.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Point {
    /// Variable names, without repeats.
    pub names: Vec<String>,
    /// `values[i]` is the value of `names[i]`.
    pub values: Vec<f64>,
}

impl Point {
    /// Parses the `--at` arguments, each a comma-separated list of
    /// `NAME=VALUE` entries.
    ///
    /// # Errors
    ///
    /// A usage error naming the entry for a missing `=`, a bad name, a value
    /// that is not a finite number, or a name given twice.
    pub fn parse(args: &[String]) -> Result<Point, CliError> {
        let mut point = Point::default();
        for entry in args.iter().flat_map(|a| a.split(',')) {
            let Some((name, value)) = entry.split_once('=') else {
                return Err(CliError::usage(format!(
                    "malformed --at entry `{entry}`: expected NAME=VALUE, as in --at x=1.5,y=-2"
                )));
            };
            let (name, value) = (name.trim(), value.trim());
            check_name(name, "--at", entry)?;
            let v: f64 = value.parse().map_err(|_| {
                CliError::usage(format!(
                    "malformed --at entry `{entry}`: `{value}` is not a number"
                ))
            })?;
            if !v.is_finite() {
                return Err(CliError::usage(format!(
                    "malformed --at entry `{entry}`: the value must be finite"
                )));
            }
            if point.get(name).is_some() {
                return Err(CliError::usage(format!(
                    "malformed --at: `{name}` is given more than once"
                )));
            }
            point.names.push(name.to_string());
            point.values.push(v);
        }
        Ok(point)
    }

    /// The value of `name`, if given.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.index(name).map(|i| self.values[i])
    }

    /// The values of `names` in order (every one must have been given; the source check
    /// guarantees it before anything is evaluated).
    pub fn values_of(&self, names: &[String]) -> Vec<f64> {
        names
            .iter()
            .map(|v| self.get(v).expect("checked: every variable has a value"))
            .collect()
    }

    /// The position of `name` in [`Point::names`].
    pub fn index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// The differentiation variables: the `--wrt` lists in order, or every
    /// `--at` variable when there are none.
    ///
    /// # Errors
    ///
    /// A usage error for a name without a value in `--at`, a name given
    /// twice, or a malformed name.
    pub fn wrt(&self, args: &[String]) -> Result<Vec<String>, CliError> {
        if args.is_empty() {
            return Ok(self.names.clone());
        }
        let mut out: Vec<String> = Vec::new();
        for name in args.iter().flat_map(|a| a.split(',')).map(str::trim) {
            check_name(name, "--wrt", name)?;
            if self.get(name).is_none() {
                return Err(CliError::usage(format!(
                    "--wrt variable `{name}` has no value: add it to --at, as in --at {name}=1"
                )));
            }
            if out.iter().any(|n| n == name) {
                return Err(CliError::usage(format!(
                    "--wrt variable `{name}` is given more than once"
                )));
            }
            out.push(name.to_string());
        }
        Ok(out)
    }
}

/// Checks that `name` can be a variable of the expression language.
fn check_name(name: &str, option: &str, entry: &str) -> Result<(), CliError> {
    let bad = |why: &str| {
        Err(CliError::usage(format!(
            "malformed {option} entry `{entry}`: {why}"
        )))
    };
    let mut chars = name.chars();
    let ident = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ident {
        if name.is_empty() {
            return bad("the variable name is empty");
        }
        return bad(&format!("`{name}` is not a variable name"));
    }
    if Func::from_name(name).is_some() {
        return bad(&format!("`{name}` is a function, not a variable"));
    }
    if Const::from_name(name).is_some() {
        return bad(&format!("`{name}` is a constant, not a variable"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(args: &[&str]) -> Result<Point, String> {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        Point::parse(&args).map_err(|e| e.message)
    }

    #[test]
    fn parses_lists_and_repeats() {
        let p = at(&["x1=1.5, x2 = -0.5", "y=1e-3"]).unwrap();
        assert_eq!(p.names, ["x1", "x2", "y"]);
        assert_eq!(p.values, [1.5, -0.5, 1e-3]);
        assert_eq!(p.wrt(&[]).unwrap(), ["x1", "x2", "y"]);
        assert_eq!(p.wrt(&["y,x1".into()]).unwrap(), ["y", "x1"]);
    }

    #[test]
    fn rejects_malformed_entries() {
        let cases = [
            ("x1", "expected NAME=VALUE"),
            ("x=", "`` is not a number"),
            ("x=abc", "`abc` is not a number"),
            ("x=inf", "must be finite"),
            ("=1", "the variable name is empty"),
            ("2x=1", "`2x` is not a variable name"),
            ("sin=1", "is a function"),
            ("pi=1", "is a constant"),
            ("x=1,x=2", "`x` is given more than once"),
            ("x=1,", "expected NAME=VALUE"),
        ];
        for (arg, want) in cases {
            let err = at(&[arg]).unwrap_err();
            assert!(err.contains(want), "{arg}: {err}");
        }
        let p = at(&["x=1"]).unwrap();
        let err = p.wrt(&["y".into()]).unwrap_err().message;
        assert!(err.contains("`y` has no value"), "{err}");
    }
}
