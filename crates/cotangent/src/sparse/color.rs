//! Greedy distance-1 coloring of a Jacobian's columns (or, on the transpose, its rows): columns
//! that share no row get the same color, so one forward-mode pass seeded with the sum of a
//! color's unit vectors computes all of their entries at once (Curtis, Powell and Reid). The
//! vertex order is largest degree first, which usually needs fewer colors than the natural
//! order; a banded matrix of bandwidth `b` gets `2b + 1` colors.
//!
//! For a symmetric matrix (a Hessian) [`color_star`] needs fewer colors: a star coloring
//! (Gebremedhin, Manne and Pothen, SIAM Review 47(4), 2005) only asks that neighbours differ
//! and that every path on four vertices uses at least three colors; each off-diagonal entry is
//! then recovered from the product of its row or of its column, whichever is unambiguous. An
//! arrow-head Hessian needs two colors instead of `n`.

use super::pattern::Pattern;

/// A color per column, and how many colors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Coloring {
    /// The color of each column, in `0..count`.
    pub colors: Vec<usize>,
    /// The number of colors.
    pub count: usize,
}

/// Color the columns of `p` so that no two columns with a nonzero in the same row share a
/// color.
///
/// ```
/// use cotangent::sparse::{color_columns, jacobian_sparsity};
/// use cotangent::Tensor;
/// // y_i = x_i · x_{i+1}: each row touches two neighbouring columns, so two colors suffice.
/// let f = |x: &Tensor| x.narrow(0, 0, 5) * x.narrow(0, 1, 5);
/// let p = jacobian_sparsity(f, &Tensor::ones(&[6], cotangent::DType::F64)).unwrap();
/// assert_eq!(color_columns(&p).count, 2);
/// ```
pub fn color_columns(p: &Pattern) -> Coloring {
    let by_column = p.transpose();
    let mut order: Vec<usize> = (0..p.cols).collect();
    order.sort_by_key(|&j| std::cmp::Reverse(by_column.row(j).len()));
    const NONE: usize = usize::MAX;
    let mut colors = vec![NONE; p.cols];
    // forbidden[c] == j: color c is taken by a neighbour of column j.
    let mut forbidden = vec![NONE; p.cols + 1];
    let mut count = 0;
    for &j in &order {
        for &i in by_column.row(j) {
            for &k in p.row(i) {
                if colors[k] != NONE {
                    forbidden[colors[k]] = j;
                }
            }
        }
        let c = (0..).find(|&c| forbidden[c] != j).expect("a free color");
        colors[j] = c;
        count = count.max(c + 1);
    }
    Coloring { colors, count }
}

/// Whether `coloring` is valid for `p`: no row has two columns of one color.
pub fn is_valid(p: &Pattern, coloring: &Coloring) -> bool {
    (0..p.rows).all(|i| {
        let mut seen: Vec<usize> = p.row(i).iter().map(|&j| coloring.colors[j]).collect();
        let n = seen.len();
        seen.sort_unstable();
        seen.dedup();
        seen.len() == n
    })
}

/// Greedy star coloring of the symmetric pattern `p` (its adjacency graph: `i ~ j` when
/// `(i, j)` is a nonzero off the diagonal), largest degree first: adjacent vertices get
/// different colors and no path on four vertices is two-colored. Then for every nonzero
/// `(i, j)`, `j` is the only vertex of its color adjacent to `i`, or `i` the only one of its
/// color adjacent to `j`, so one Hessian-vector product per color recovers every entry.
///
/// ```
/// use cotangent::sparse::{color_columns, color_star, hessian_sparsity};
/// use cotangent::{DType, Tensor};
/// // x0 couples to everything: an arrow-head Hessian.
/// let f = |x: &Tensor| (x.narrow(0, 0, 1) * x.narrow(0, 1, 7).square()).sum();
/// let p = hessian_sparsity(f, &Tensor::ones(&[8], DType::F64)).unwrap();
/// assert_eq!(color_columns(&p).count, 8);
/// assert_eq!(color_star(&p).count, 2);
/// ```
pub fn color_star(p: &Pattern) -> Coloring {
    const NONE: usize = usize::MAX;
    let n = p.rows.min(p.cols);
    let neighbours = |v: usize| p.row(v).iter().copied().filter(move |&w| w != v);
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&v| std::cmp::Reverse(p.row(v).len()));
    let mut colors = vec![NONE; n];
    // forbidden[c] == v: color c is ruled out for vertex v.
    let mut forbidden = vec![NONE; n + 1];
    let mut count = 0;
    for &v in &order {
        for w in neighbours(v) {
            if colors[w] != NONE {
                forbidden[colors[w]] = v;
            }
        }
        for w in neighbours(v) {
            for x in neighbours(w).filter(|&x| x != v && colors[x] != NONE) {
                if colors[w] == NONE {
                    // v and x may not share a color while w, between them, is open.
                    forbidden[colors[x]] = v;
                } else if neighbours(x).any(|y| y != w && colors[y] == colors[w]) {
                    // v–w–x–y would alternate two colors if v took x's.
                    forbidden[colors[x]] = v;
                }
            }
        }
        let c = (0..).find(|&c| forbidden[c] != v).expect("a free color");
        colors[v] = c;
        count = count.max(c + 1);
    }
    Coloring { colors, count }
}

/// Whether `coloring` is a star coloring of the symmetric pattern `p`: adjacent vertices
/// differ, and every nonzero off the diagonal can be recovered from one side (its column's
/// color appears once among its row's neighbours, or the other way round).
pub fn is_star(p: &Pattern, coloring: &Coloring) -> bool {
    let c = &coloring.colors;
    let unique = |i: usize, color: usize| sole_neighbour_of_color(p, c, i, color);
    (0..p.rows).all(|i| {
        p.row(i)
            .iter()
            .all(|&j| j == i || (c[i] != c[j] && (unique(i, c[j]) || unique(j, c[i]))))
    })
}

/// Whether exactly one neighbour of `i` (off the diagonal) has color `color`: then row `i` of
/// the product with that color's seed is that one entry.
pub(crate) fn sole_neighbour_of_color(
    p: &Pattern,
    colors: &[usize],
    i: usize,
    color: usize,
) -> bool {
    p.row(i)
        .iter()
        .filter(|&&k| k != i && colors[k] == color)
        .count()
        == 1
}
