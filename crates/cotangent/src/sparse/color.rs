//! Greedy distance-1 coloring of a Jacobian's columns (or, on the transpose, its rows): columns
//! that share no row get the same color, so one forward-mode pass seeded with the sum of a
//! color's unit vectors computes all of their entries at once (Curtis, Powell and Reid). The
//! vertex order is largest degree first, which usually needs fewer colors than the natural
//! order; a banded matrix of bandwidth `b` gets `2b + 1` colors.

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
