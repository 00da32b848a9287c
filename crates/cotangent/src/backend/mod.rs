//! Backends: where kernels run. Only the CPU backend exists today; primitives call its kernels
//! from their `eval`.

pub mod cpu;
