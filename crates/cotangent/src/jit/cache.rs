//! [`Jit`]: a function with its compiled forms, one per list of input shapes and dtypes, and
//! the [`jit`] / [`jit_n`] wrappers.

use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe, Location};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use super::compiled::Compiled;
use crate::core::{Error, ErrorKind, Result, Tensor};
use crate::ir::try_trace_n;
use crate::prim::Aval;

/// A function compiled on its first call for each list of input shapes and dtypes; later calls
/// with the same shapes and dtypes run the compiled program without tracing again.
///
/// When a derivative level tracks a (concrete) input — `grad` or `jvp` of the jitted function,
/// `backward()`, a gradient tape — the call runs compiled and is recorded as one `jit` node:
/// its reverse mode is split once into a compiled forward program (which also returns the
/// residuals the gradient needs) and a compiled backward program, so the gradient runs
/// compiled without recomputing the forward pass; a second derivative differentiates the graph
/// itself. Under `vmap` the call is batched into a compiled batched program (one per batch axes
/// and size, see [`Compiled::batched_programs`]). When an input is being traced otherwise
/// (`trace` or an enclosing `jit`), or a captured constant is tracked, the optimized graph is
/// replayed through the primitives instead, so the enclosing transformation records (and an
/// enclosing `jit` fuses) it.
///
/// ```
/// use cotangent::{jit::Jit, Tensor};
/// let f = Jit::new(|x: &[Tensor]| vec![(&x[0] * &x[1]).sin()]);
/// let xs = [Tensor::scalar(0.5f64), Tensor::scalar(3.0f64)];
/// let y = f.call(&xs);
/// assert!((y[0].item::<f64>() - 1.5f64.sin()).abs() < 1e-15);
/// f.call(&xs);
/// assert_eq!(f.traces(), 1); // compiled once, run twice
/// ```
pub struct Jit<F> {
    f: F,
    cache: Mutex<Vec<(Vec<Aval>, Arc<Compiled>)>>,
    traces: AtomicUsize,
}

impl<F: Fn(&[Tensor]) -> Vec<Tensor>> Jit<F> {
    /// Wrap `f`; nothing is traced until the first call.
    pub fn new(f: F) -> Jit<F> {
        Jit {
            f,
            cache: Mutex::new(Vec::new()),
            traces: AtomicUsize::new(0),
        }
    }

    /// Call the compiled function, panicking with the error's message on failure (a
    /// value-dependent Rust `if` inside `f`, a shape error, …).
    #[track_caller]
    pub fn call(&self, xs: &[Tensor]) -> Vec<Tensor> {
        self.try_call(xs).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Call the compiled function (tracing and compiling it first for new shapes).
    ///
    /// ```
    /// use cotangent::{jit::Jit, ErrorKind, Tensor};
    /// let f = Jit::new(|x: &[Tensor]| {
    ///     vec![if x[0].sum().item::<f64>() > 0.0 { x[0].clone() } else { -&x[0] }]
    /// });
    /// let err = f.try_call(&[Tensor::scalar(1.0)]).unwrap_err();
    /// assert_eq!(err.kind, ErrorKind::Tracing);
    /// assert!(err.to_string().contains("cond"));
    /// ```
    #[track_caller]
    pub fn try_call(&self, xs: &[Tensor]) -> Result<Vec<Tensor>> {
        let location = Location::caller();
        let c = self.try_compiled_at(xs, location)?;
        super::dispatch::call(&c, xs, location)
    }

    /// The compiled program for inputs shaped like `xs` (compiling it if needed): for counting
    /// fused loops or reading its listing.
    ///
    /// ```
    /// use cotangent::{jit::Jit, Tensor};
    /// let f = Jit::new(|x: &[Tensor]| vec![x[0].exp().sum()]);
    /// let c = f.compiled(&[Tensor::from_vec(vec![1.0f64; 4], &[4])]).unwrap();
    /// assert_eq!((c.kernels(), c.steps()), (1, 1)); // exp feeding the sum: one loop
    /// ```
    #[track_caller]
    pub fn compiled(&self, xs: &[Tensor]) -> Result<Arc<Compiled>> {
        self.try_compiled_at(xs, Location::caller())
    }

    /// How many times `f` has been traced.
    pub fn traces(&self) -> usize {
        self.traces.load(Ordering::Relaxed)
    }

    fn lookup(&self, xs: &[Tensor]) -> Option<Arc<Compiled>> {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .iter()
            .find(|(avals, _)| {
                avals.len() == xs.len()
                    && avals
                        .iter()
                        .zip(xs)
                        .all(|(a, x)| a.dtype == x.dtype() && a.shape == *x.shape())
            })
            .map(|(_, c)| c.clone())
    }

    fn try_compiled_at(
        &self,
        xs: &[Tensor],
        location: &'static Location<'static>,
    ) -> Result<Arc<Compiled>> {
        if let Some(c) = self.lookup(xs) {
            return Ok(c);
        }
        let avals: Vec<Aval> = xs.iter().map(Aval::of).collect();
        self.traces.fetch_add(1, Ordering::Relaxed);
        let start = std::time::Instant::now();
        let traced = catch_unwind(AssertUnwindSafe(|| try_trace_n(|ts| (self.f)(ts), &avals)));
        let graph = match traced {
            Ok(g) => g.map_err(|e| e.at(location))?,
            Err(payload) => {
                let msg = payload
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()));
                match msg {
                    Some(m) if m.contains("being traced") => {
                        return Err(Error::new(ErrorKind::Tracing, "jit", m).at(location));
                    }
                    _ => resume_unwind(payload),
                }
            }
        };
        let mut compiled = Compiled::new(graph);
        compiled.compile_time = start.elapsed();
        let compiled = Arc::new(compiled);
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.push((avals, compiled.clone()));
        Ok(compiled)
    }
}

/// Compile a one-input, one-output function (see [`Jit`]).
///
/// ```
/// use cotangent::{jit::jit, Tensor};
/// let f = jit(|x: &Tensor| (x.sin() * 2.0 + 1.0).exp());
/// let y = f(&Tensor::from_vec(vec![0.0f64, 1.0], &[2]));
/// assert!((y.to_vec::<f64>()[1] - (1f64.sin() * 2.0 + 1.0).exp()).abs() < 1e-12);
/// ```
pub fn jit<F: Fn(&Tensor) -> Tensor>(f: F) -> impl Fn(&Tensor) -> Tensor {
    let j = Jit::new(move |xs: &[Tensor]| vec![f(&xs[0])]);
    move |x| j.call(std::slice::from_ref(x)).swap_remove(0)
}

/// Compile a function of several tensors returning several tensors (see [`Jit`]).
///
/// ```
/// use cotangent::{jit::jit_n, Tensor};
/// let f = jit_n(|x: &[Tensor]| vec![&x[0] + &x[1], &x[0] * &x[1]]);
/// let y = f(&[Tensor::scalar(2.0f64), Tensor::scalar(3.0f64)]);
/// assert_eq!((y[0].item::<f64>(), y[1].item::<f64>()), (5.0, 6.0));
/// ```
pub fn jit_n<F: Fn(&[Tensor]) -> Vec<Tensor>>(f: F) -> impl Fn(&[Tensor]) -> Vec<Tensor> {
    let j = Jit::new(f);
    move |xs| j.call(xs)
}
