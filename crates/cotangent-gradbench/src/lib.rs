//! A [GradBench](https://gradben.ch) tool for cotangent: it answers the GradBench protocol
//! (JSON lines on stdin and stdout) and implements the eval modules with cotangent's tensor ops
//! and transformations. Every derivative an eval asks for comes from the library (`grad`,
//! `jacobian`, `jvp`, `hessian`, `vmap`, nested `grad`); none is written by hand.

pub mod convert;
pub mod modules;
pub mod protocol;
pub mod runs;
pub mod staged;
