//! Sparse Hessians: the Hessian of a scalar function is the Jacobian of its gradient, so its
//! pattern is [`jacobian_sparsity`] of the traced gradient (the backward pass's graph, read by
//! the same per-primitive rules), and its values come from one forward-over-reverse
//! Hessian-vector product per color. The coloring is a star coloring ([`color_star`]), which
//! uses the symmetry (an arrow-head needs 2 colors, not `n`), or the column coloring when that
//! needs no more colors; a [`SparseHessian`] plan keeps the pattern and coloring for reuse.

use std::panic::Location;

use super::color::{color_columns, color_star, sole_neighbour_of_color, Coloring};
use super::jacobian::{check_plan_input, color_seeds, gather_flat, jacobian_sparsity, Csr};
use super::pattern::Pattern;
use crate::core::error::AtCaller;
use crate::core::{DType, Result, Tensor};
use crate::prim::Aval;
use crate::transform::vmap::try_vmap_call;
use crate::{grad, try_jvp};

/// The nonzero pattern of the Hessian of the scalar function `f` at inputs shaped like `x`.
///
/// ```
/// use cotangent::sparse::hessian_sparsity;
/// use cotangent::{DType, Tensor};
/// // A chain: each term couples neighbours, so the Hessian is tridiagonal.
/// let f = |x: &Tensor| (x.narrow(0, 1, 4) - x.narrow(0, 0, 4).square()).square().sum();
/// let p = hessian_sparsity(f, &Tensor::ones(&[5], DType::F64)).unwrap();
/// assert_eq!((p.rows, p.nnz()), (5, 13));
/// ```
#[track_caller]
pub fn hessian_sparsity(f: impl Fn(&Tensor) -> Tensor, x: &Tensor) -> Result<Pattern> {
    jacobian_sparsity(grad(f), x).at_caller()
}

/// The Hessian of the scalar function `f` at `x` as a sparse matrix, by one batched
/// Hessian-vector product per color of its pattern's columns.
///
/// ```
/// use cotangent::sparse::sparse_hessian;
/// use cotangent::Tensor;
/// let x = Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3]);
/// let h = sparse_hessian(|x: &Tensor| (x * x * x).sum(), &x).unwrap();
/// assert_eq!(h.values, vec![6.0, 12.0, 18.0]); // diagonal: 6x
/// ```
#[track_caller]
pub fn sparse_hessian(f: impl Fn(&Tensor) -> Tensor, x: &Tensor) -> Result<Csr> {
    let loc = Location::caller();
    let plan = SparseHessian::new(&f, x).map_err(|e| e.at(loc))?;
    plan.compute(&f, x).map_err(|e| e.at(loc))
}

/// A reusable plan for the Hessian of a scalar function at inputs of one shape and dtype: its
/// pattern, and a coloring of it with one Hessian-vector product per color.
///
/// ```
/// use cotangent::sparse::SparseHessian;
/// use cotangent::{DType, Tensor};
/// let f = |x: &Tensor| (x.narrow(0, 0, 1) * x.narrow(0, 1, 4).square()).sum();
/// let plan = SparseHessian::new(f, &Tensor::ones(&[5], DType::F64)).unwrap();
/// assert!(plan.star && plan.coloring.count == 2);
/// let h = plan.eval(f, &Tensor::from_vec(vec![3.0, 1.0, 2.0, 3.0, 4.0], &[5])).unwrap();
/// assert_eq!(h.to_dense().to_vec::<f64>()[..5], [0.0, 2.0, 4.0, 6.0, 8.0]);
/// ```
#[derive(Clone, Debug)]
pub struct SparseHessian {
    /// The Hessian's sparsity pattern (symmetric).
    pub pattern: Pattern,
    /// The coloring of its columns.
    pub coloring: Coloring,
    /// Whether the coloring is a star coloring (entries recovered by symmetry) rather than a
    /// column coloring (each entry read from its column's product).
    pub star: bool,
    input: Aval,
}

impl SparseHessian {
    /// Find the pattern of `f`'s Hessian at inputs shaped like `x` and color it, keeping the
    /// star or the column coloring, whichever needs fewer products.
    #[track_caller]
    pub fn new(f: impl Fn(&Tensor) -> Tensor, x: &Tensor) -> Result<SparseHessian> {
        let pattern = hessian_sparsity(&f, x).at_caller()?;
        let columns = color_columns(&pattern);
        let star = color_star(&pattern);
        let (coloring, star) = if star.count < columns.count {
            (star, true)
        } else {
            (columns, false)
        };
        Ok(SparseHessian {
            pattern,
            coloring,
            star,
            input: Aval::of(x),
        })
    }

    /// The Hessian of `f` at `x` (shaped like the plan's input), in compressed rows.
    #[track_caller]
    pub fn eval(&self, f: impl Fn(&Tensor) -> Tensor, x: &Tensor) -> Result<Csr> {
        let loc = Location::caller();
        self.check_input(x).map_err(|e| e.at(loc))?;
        self.compute(&f, x).map_err(|e| e.at(loc))
    }

    /// The Hessian's stored entries at `x`, in the pattern's row-major order, as a tensor of
    /// `x`'s dtype: traceable, so it runs under `jit` where [`SparseHessian::eval`] cannot.
    ///
    /// ```
    /// use cotangent::sparse::SparseHessian;
    /// use cotangent::{jit, Tensor};
    /// let f = |x: &Tensor| (x * x * x).sum();
    /// let x = Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3]);
    /// let plan = SparseHessian::new(f, &x).unwrap();
    /// let v = jit(|x: &Tensor| plan.values(f, x).unwrap())(&x);
    /// assert_eq!(v.to_vec::<f64>(), vec![6.0, 12.0, 18.0]);
    /// ```
    #[track_caller]
    pub fn values(&self, f: impl Fn(&Tensor) -> Tensor, x: &Tensor) -> Result<Tensor> {
        let loc = Location::caller();
        self.check_input(x).map_err(|e| e.at(loc))?;
        self.compressed_values(&f, x).map_err(|e| e.at(loc))
    }

    fn check_input(&self, x: &Tensor) -> Result<()> {
        check_plan_input("sparse_hessian", &self.input, x)
    }

    fn compute(&self, f: &dyn Fn(&Tensor) -> Tensor, x: &Tensor) -> Result<Csr> {
        let values = self.compressed_values(f, x)?.try_cast(DType::F64)?;
        Ok(self.pattern.with_values(values.to_vec::<f64>()))
    }

    /// One batched Hessian-vector product per color, then each stored entry gathered from
    /// its row's product (or, for a star coloring where that is ambiguous, its column's).
    fn compressed_values(&self, f: &dyn Fn(&Tensor) -> Tensor, x: &Tensor) -> Result<Tensor> {
        let n = self.pattern.rows;
        let colors = &self.coloring.colors;
        let seeds = color_seeds(&self.coloring, n, x.dtype())?;
        let g = grad(f);
        // b[c·n + i] = (H S)_{i,c}: row i's entries summed over the columns of color c.
        let b = try_vmap_call(
            |s| {
                let t = s[0].reshape(x.dims());
                vec![try_jvp(|xs| g(&xs[0]), std::slice::from_ref(x), &[t])
                    .unwrap_or_else(|e| panic!("{e}"))
                    .1
                    .reshape(&[n])]
            },
            &[seeds],
            &[Some(0)],
            &[0],
        )?;
        let p = &self.pattern;
        let mut at = Vec::with_capacity(p.nnz());
        for i in 0..n {
            for &j in p.row(i) {
                let from_row =
                    !self.star || i == j || sole_neighbour_of_color(p, colors, i, colors[j]);
                at.push(if from_row {
                    colors[j] * n + i
                } else {
                    colors[i] * n + j
                } as i64);
            }
        }
        gather_flat(&b[0], at)
    }
}
