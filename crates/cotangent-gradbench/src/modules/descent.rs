//! Gradient descent as Pearlmutter and Siskind's `particle` and `saddle` benchmarks define it
//! (a step size that halves on a failed step and doubles after ten good ones), written with
//! tensor ops throughout so that an enclosing transformation can differentiate through the
//! whole descent — the nesting those two evals exist to test. The gradient comes from the
//! library, in the mode the caller picks.

use cotangent::{grad, jacfwd, Tensor};

/// Which mode of AD computes a gradient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `jacfwd` (one forward pass per input, batched).
    Forward,
    /// `grad` (one reverse pass).
    Reverse,
}

impl Mode {
    /// The modes named by a two-letter function name such as `"fr"`: (outer, inner).
    pub fn pair(function: &str) -> Option<(Mode, Mode)> {
        let mode = |c| match c {
            'f' => Some(Mode::Forward),
            'r' => Some(Mode::Reverse),
            _ => None,
        };
        let mut cs = function.chars();
        let (a, b) = (mode(cs.next()?)?, mode(cs.next()?)?);
        cs.next().is_none().then_some((a, b))
    }
}

/// The gradient of the scalar function `f` at the vector `x`.
pub fn gradient(mode: Mode, f: &dyn Fn(&Tensor) -> Tensor, x: &Tensor) -> Tensor {
    match mode {
        Mode::Forward => jacfwd(f)(x),
        Mode::Reverse => grad(f)(x),
    }
}

fn magnitude(v: &Tensor) -> f64 {
    v.square().sum().sqrt().item::<f64>()
}

/// A local minimizer of `f` from `x`.
pub fn argmin(mode: Mode, f: &dyn Fn(&Tensor) -> Tensor, x: &Tensor) -> Tensor {
    let g = |x: &Tensor| gradient(mode, f, x);
    let (mut x, mut fx, mut gx) = (x.clone(), f(x), g(x));
    let mut eta = 1e-5;
    let mut i = 0;
    loop {
        if magnitude(&gx) <= 1e-5 {
            return x;
        }
        if i == 10 {
            eta *= 2.0;
            i = 0;
            continue;
        }
        let x_prime = &x - &gx * eta;
        if magnitude(&(&x - &x_prime)) <= 1e-5 {
            return x;
        }
        let fx_prime = f(&x_prime);
        if fx_prime.item::<f64>() < fx.item::<f64>() {
            gx = g(&x_prime);
            (x, fx) = (x_prime, fx_prime);
            i += 1;
        } else {
            eta /= 2.0;
            i = 0;
        }
    }
}

/// A local maximizer of `f` from `x`.
pub fn argmax(mode: Mode, f: &dyn Fn(&Tensor) -> Tensor, x: &Tensor) -> Tensor {
    argmin(mode, &|x: &Tensor| -f(x), x)
}

/// The local maximum of `f` found from `x`.
pub fn max(mode: Mode, f: &dyn Fn(&Tensor) -> Tensor, x: &Tensor) -> Tensor {
    f(&argmax(mode, f, x))
}
