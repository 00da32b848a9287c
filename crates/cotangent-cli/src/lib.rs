//! The `cotangent` command line: differentiate formulas with the cotangent
//! library and explain how it was done.
//!
//! The pieces, in the order data flows through them: [`cli`] declares the
//! arguments; [`point`] and [`source`] read the point and the expressions
//! (parsed by [`expr`]); [`dag`] merges shared subexpressions into a graph;
//! [`build`] evaluates that graph with cotangent tensors; [`derivatives`]
//! gets the Jacobian and Hessians from the library ([`higher`] the
//! derivatives of order three and more), [`sweep`] every node's adjoint and
//! [`partials`] every edge's local partial derivative; [`check`] compares
//! with finite differences; [`diagnostics`] explains non-finite numbers; [`report`] (JSON), [`table`], [`trace`] (with
//! [`notation`]) and [`graph`] present the results; [`commands`] ties them
//! together for each subcommand.

#![warn(missing_docs)]

pub mod build;
pub mod check;
pub mod cli;
pub mod commands;
pub mod dag;
pub mod derivatives;
pub mod diagnostics;
pub mod error;
pub mod expr;
pub mod graph;
pub mod higher;
pub mod notation;
pub mod number;
pub mod partials;
pub mod point;
pub mod report;
pub mod source;
pub mod sweep;
pub mod table;
pub mod trace;
