//! Compressed differentiation: the Jacobian of a function whose sparsity pattern is known, in
//! as many derivative passes as the pattern needs colors rather than one per input or output.
//! Forward mode seeds one tangent per column color, reverse mode one cotangent per row color;
//! the plan picks the mode with fewer colors and runs its passes batched by `vmap`.

use std::panic::Location;

use super::color::{color_columns, Coloring};
use super::pattern::{of_graph, of_graph_local, Pattern};
use crate::core::error::AtCaller;
use crate::core::{DType, Error, Result, Tensor};
use crate::ir::try_trace_n;
use crate::prim::Aval;
use crate::transform::vmap::try_vmap_call;
use crate::{try_jvp, try_vjp, Mode};

/// A sparse matrix in compressed rows, with f64 values.
#[derive(Clone, Debug, PartialEq)]
pub struct Csr {
    /// Number of rows.
    pub rows: usize,
    /// Number of columns.
    pub cols: usize,
    /// Row starts into `indices` and `values`, `rows + 1` entries.
    pub indptr: Vec<usize>,
    /// Column of each stored entry, ascending within a row.
    pub indices: Vec<usize>,
    /// The stored entries.
    pub values: Vec<f64>,
}

impl Csr {
    /// The matrix as a dense f64 tensor `[rows, cols]`.
    ///
    /// ```
    /// use cotangent::sparse::sparse_jacobian;
    /// use cotangent::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3]);
    /// let j = sparse_jacobian(|x: &Tensor| x * x, &x).unwrap();
    /// assert_eq!(j.to_dense().to_vec::<f64>(), vec![2.0, 0.0, 0.0, 0.0, 4.0, 0.0, 0.0, 0.0, 6.0]);
    /// ```
    pub fn to_dense(&self) -> Tensor {
        let mut d = vec![0.0; self.rows * self.cols];
        for i in 0..self.rows {
            for k in self.indptr[i]..self.indptr[i + 1] {
                d[i * self.cols + self.indices[k]] = self.values[k];
            }
        }
        Tensor::from_vec(d, &[self.rows, self.cols])
    }
}

/// A reusable plan: the pattern of `f`'s Jacobian at inputs of one shape and dtype, and the
/// coloring that compresses it.
#[derive(Clone, Debug)]
pub struct SparseJacobian {
    /// The sparsity pattern (output elements × input elements).
    pub pattern: Pattern,
    /// The coloring used: of the columns (forward) or of the rows (reverse).
    pub coloring: Coloring,
    /// The mode the coloring is for: one JVP per column color, or one VJP per row color.
    pub mode: Mode,
    input: Aval,
}

/// Trace `f` at `x`'s shape and dtype and read its Jacobian's pattern.
fn trace_pattern(f: &dyn Fn(&Tensor) -> Tensor, x: &Tensor) -> Result<Pattern> {
    if !x.dtype().is_float() {
        return Err(Error::dtype(
            "jacobian_sparsity",
            format!("expected a floating-point input, got {}", x.dtype()),
        ));
    }
    let g = try_trace_n(|xs| vec![f(&xs[0])], &[Aval::of(x)])?;
    of_graph(&g)
}

/// The exact nonzero pattern of the Jacobian of `f` at inputs shaped like `x` (rows: output
/// elements in row-major order; columns: input elements), valid for every input value.
///
/// ```
/// use cotangent::sparse::jacobian_sparsity;
/// use cotangent::{DType, Tensor};
/// // A three-point stencil: row i depends on columns i, i + 1 and i + 2.
/// let f = |x: &Tensor| x.narrow(0, 0, 4) - x.narrow(0, 1, 4) * 2.0 + x.narrow(0, 2, 4);
/// let p = jacobian_sparsity(f, &Tensor::zeros(&[6], DType::F64)).unwrap();
/// assert_eq!((p.rows, p.cols, p.nnz()), (4, 6, 12));
/// assert_eq!(p.row(1), &[1, 2, 3]);
/// ```
#[track_caller]
pub fn jacobian_sparsity(f: impl Fn(&Tensor) -> Tensor, x: &Tensor) -> Result<Pattern> {
    trace_pattern(&f, x).at_caller()
}

/// The nonzero pattern of the Jacobian of `f` **at `x`**: the global pattern
/// ([`jacobian_sparsity`]) without the dependencies through branches not taken there (the
/// operand of `max` or `min` that lost, the `select` branch not chosen, the non-maximal elements
/// of a `max` reduction; ties keep both). Valid near `x`, as long as no choice changes; a ReLU
/// network's Jacobian loses the rows and columns of its inactive units.
///
/// ```
/// use cotangent::sparse::{jacobian_sparsity, jacobian_sparsity_local};
/// use cotangent::Tensor;
/// let f = |x: &Tensor| x.relu() * 2.0;
/// let x = Tensor::from_vec(vec![1.0, -1.0, 3.0], &[3]);
/// assert_eq!(jacobian_sparsity(f, &x).unwrap().nnz(), 3);
/// let local = jacobian_sparsity_local(f, &x).unwrap();
/// assert_eq!((local.nnz(), local.row(1)), (2, &[][..]));
/// ```
#[track_caller]
pub fn jacobian_sparsity_local(f: impl Fn(&Tensor) -> Tensor, x: &Tensor) -> Result<Pattern> {
    trace_pattern_local(&f, x).at_caller()
}

fn trace_pattern_local(f: &dyn Fn(&Tensor) -> Tensor, x: &Tensor) -> Result<Pattern> {
    if !x.dtype().is_float() {
        return Err(Error::dtype(
            "jacobian_sparsity_local",
            format!("expected a floating-point input, got {}", x.dtype()),
        ));
    }
    let g = try_trace_n(|xs| vec![f(&xs[0])], &[Aval::of(x)])?;
    of_graph_local(&g, x)
}

impl SparseJacobian {
    /// Find the pattern of `f`'s Jacobian at inputs shaped like `x` and color it both ways,
    /// keeping the mode with fewer colors.
    #[track_caller]
    pub fn new(f: impl Fn(&Tensor) -> Tensor, x: &Tensor) -> Result<SparseJacobian> {
        let pattern = trace_pattern(&f, x).at_caller()?;
        Ok(Self::from_pattern(pattern, x))
    }

    /// A plan from the local pattern at `x` ([`jacobian_sparsity_local`]): fewer colors where
    /// branches cut dependencies, valid at points that make the same choices as `x`.
    ///
    /// ```
    /// use cotangent::sparse::SparseJacobian;
    /// use cotangent::Tensor;
    /// // Each output is the larger of two neighbours: globally 2 colors, locally 1.
    /// let f = |x: &Tensor| x.narrow(0, 0, 4).maximum(&x.narrow(0, 1, 4));
    /// let x = Tensor::from_vec(vec![5.0, 1.0, 4.0, 2.0, 3.0], &[5]);
    /// assert_eq!(SparseJacobian::new(f, &x).unwrap().coloring.count, 2);
    /// let local = SparseJacobian::new_local(f, &x).unwrap();
    /// assert_eq!(local.coloring.count, 1);
    /// let dense = cotangent::jacobian(f)(&x).to_vec::<f64>();
    /// assert_eq!(local.eval(f, &x).unwrap().to_dense().to_vec::<f64>(), dense);
    /// ```
    #[track_caller]
    pub fn new_local(f: impl Fn(&Tensor) -> Tensor, x: &Tensor) -> Result<SparseJacobian> {
        let pattern = trace_pattern_local(&f, x).at_caller()?;
        Ok(Self::from_pattern(pattern, x))
    }

    fn from_pattern(pattern: Pattern, x: &Tensor) -> SparseJacobian {
        let columns = color_columns(&pattern);
        let rows = color_columns(&pattern.transpose());
        let (coloring, mode) = if rows.count < columns.count {
            (rows, Mode::Reverse)
        } else {
            (columns, Mode::Forward)
        };
        SparseJacobian {
            pattern,
            coloring,
            mode,
            input: Aval::of(x),
        }
    }

    /// The Jacobian of `f` at `x` (shaped like the plan's input), in compressed rows.
    #[track_caller]
    pub fn eval(&self, f: impl Fn(&Tensor) -> Tensor, x: &Tensor) -> Result<Csr> {
        let loc = Location::caller();
        self.check_input(x).map_err(|e| e.at(loc))?;
        self.compute(&f, x).map_err(|e| e.at(loc))
    }

    /// The Jacobian's stored entries at `x`, in the pattern's row-major order, as a tensor of
    /// `x`'s dtype: traceable, so it runs under `jit` (and differentiates) where
    /// [`SparseJacobian::eval`], which reads the values out, cannot.
    ///
    /// ```
    /// use cotangent::sparse::SparseJacobian;
    /// use cotangent::{jit, Tensor};
    /// let f = |x: &Tensor| x.narrow(0, 0, 3) * x.narrow(0, 1, 3);
    /// let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[4]);
    /// let plan = SparseJacobian::new(f, &x).unwrap();
    /// let values = jit(|x: &Tensor| plan.values(f, x).unwrap())(&x);
    /// assert_eq!(values.to_vec::<f64>(), vec![2.0, 1.0, 3.0, 2.0, 4.0, 3.0]);
    /// ```
    #[track_caller]
    pub fn values(&self, f: impl Fn(&Tensor) -> Tensor, x: &Tensor) -> Result<Tensor> {
        let loc = Location::caller();
        self.check_input(x).map_err(|e| e.at(loc))?;
        self.compressed_values(&f, x).map_err(|e| e.at(loc))
    }

    fn check_input(&self, x: &Tensor) -> Result<()> {
        check_plan_input("sparse_jacobian", &self.input, x)
    }

    fn compute(&self, f: &dyn Fn(&Tensor) -> Tensor, x: &Tensor) -> Result<Csr> {
        let values = self.compressed_values(f, x)?.try_cast(DType::F64)?;
        Ok(self.pattern.with_values(values.to_vec::<f64>()))
    }

    /// One batched derivative pass per color, then the stored entries gathered from the
    /// compressed products.
    fn compressed_values(&self, f: &dyn Fn(&Tensor) -> Tensor, x: &Tensor) -> Result<Tensor> {
        let (m, n) = (self.pattern.rows, self.pattern.cols);
        let colors = &self.coloring;
        let seeded = match self.mode {
            Mode::Forward => n,
            Mode::Reverse => m,
        };
        let seeds = color_seeds(colors, seeded, x.dtype())?;
        let compressed = match self.mode {
            Mode::Forward => try_vmap_call(
                |s| {
                    let t = s[0].reshape(x.dims());
                    vec![try_jvp(|xs| f(&xs[0]), std::slice::from_ref(x), &[t])
                        .unwrap_or_else(|e| panic!("{e}"))
                        .1
                        .reshape(&[m])]
                },
                &[seeds],
                &[Some(0)],
                &[0],
            )?,
            Mode::Reverse => {
                let (y, pullback) = try_vjp(|xs| f(&xs[0]), std::slice::from_ref(x))?;
                try_vmap_call(
                    |s| {
                        let g = s[0].reshape(y.dims());
                        vec![pullback.try_call(&g).unwrap_or_else(|e| panic!("{e}"))[0]
                            .reshape(&[n])]
                    },
                    &[seeds],
                    &[Some(0)],
                    &[0],
                )?
            }
        };
        let p = &self.pattern;
        let mut at = Vec::with_capacity(p.nnz());
        for i in 0..m {
            for &j in p.row(i) {
                at.push(match self.mode {
                    Mode::Forward => colors.colors[j] * m + i,
                    Mode::Reverse => colors.colors[i] * n + j,
                } as i64);
            }
        }
        gather_flat(&compressed[0], at)
    }
}

/// An error unless `x` has the shape and dtype a plan was made for.
pub(crate) fn check_plan_input(op: &'static str, input: &Aval, x: &Tensor) -> Result<()> {
    if Aval::of(x) != *input {
        return Err(Error::shape(
            op,
            format!(
                "the plan is for {}{} inputs, got {}{}",
                input.dtype,
                input.shape,
                x.dtype(),
                x.shape()
            ),
        ));
    }
    Ok(())
}

/// One seed row per color: the sum of the unit vectors of its columns (or rows).
pub(crate) fn color_seeds(colors: &Coloring, seeded: usize, dtype: DType) -> Result<Tensor> {
    let mut seeds = vec![0.0; colors.count * seeded];
    for (j, &c) in colors.colors.iter().enumerate() {
        seeds[c * seeded + j] = 1.0;
    }
    Tensor::try_from_vec(seeds, &[colors.count, seeded])?.try_cast(dtype)
}

/// The elements of `t` at flat positions `at`, as a vector.
pub(crate) fn gather_flat(t: &Tensor, at: Vec<i64>) -> Result<Tensor> {
    let k = at.len();
    t.try_reshape(&[t.numel()])?
        .try_index_select(0, &Tensor::try_from_vec(at, &[k])?)
}

/// The Jacobian of `f` at `x` as a sparse matrix, computed with as many batched derivative
/// passes as its sparsity pattern needs colors (see [`SparseJacobian`] to reuse the plan).
///
/// ```
/// use cotangent::sparse::sparse_jacobian;
/// use cotangent::Tensor;
/// let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[4]);
/// // Neighbour products: a bidiagonal Jacobian, two colors.
/// let j = sparse_jacobian(|x: &Tensor| x.narrow(0, 0, 3) * x.narrow(0, 1, 3), &x).unwrap();
/// assert_eq!(j.values, vec![2.0, 1.0, 3.0, 2.0, 4.0, 3.0]);
/// ```
#[track_caller]
pub fn sparse_jacobian(f: impl Fn(&Tensor) -> Tensor, x: &Tensor) -> Result<Csr> {
    let loc = Location::caller();
    let plan = SparseJacobian::new(&f, x).map_err(|e| e.at(loc))?;
    plan.compute(&f, x).map_err(|e| e.at(loc))
}
