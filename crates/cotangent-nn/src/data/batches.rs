//! [`Minibatches`]: `(inputs, targets)` in batches along the first axis, in order or shuffled.

use cotangent::Tensor;

use super::shuffled_indices;

/// An iterator of `(inputs, targets)` batches: rows `i` of both tensors (their first axis)
/// stay together. In order by default; [`Minibatches::shuffle`] draws the order from a seed.
/// The last batch is shorter when `batch_size` does not divide the row count, unless
/// [`Minibatches::drop_last`] drops it.
///
/// ```
/// use cotangent::Tensor;
/// use cotangent_nn::data::Minibatches;
/// let x = Tensor::from_vec((0..5).map(f64::from).collect::<Vec<_>>(), &[5, 1]);
/// let y = Tensor::from_vec(vec![0i64, 1, 2, 3, 4], &[5]);
/// let sizes: Vec<usize> = Minibatches::new(&x, &y, 2).map(|(xb, _)| xb.dims()[0]).collect();
/// assert_eq!(sizes, [2, 2, 1]);
/// let firsts: Vec<i64> = Minibatches::new(&x, &y, 2).map(|(_, yb)| yb.to_vec::<i64>()[0]).collect();
/// assert_eq!(firsts, [0, 2, 4]);
/// ```
#[derive(Debug, Clone)]
pub struct Minibatches {
    inputs: Tensor,
    targets: Tensor,
    batch_size: usize,
    /// The row order; `None` in order (batches are views, not gathers).
    order: Option<Vec<usize>>,
    drop_last: bool,
    /// The first row of the next batch, as a position in the order.
    next: usize,
}

impl Minibatches {
    /// Batches of `batch_size` rows of `inputs` and `targets`, in order, keeping a shorter last
    /// batch. Panics unless both have the same (non-zero rank) first axis and `batch_size > 0`.
    ///
    /// ```
    /// use cotangent::{DType, Tensor};
    /// use cotangent_nn::data::Minibatches;
    /// let x = Tensor::zeros(&[7, 2], DType::F32);
    /// let y = Tensor::zeros(&[7], DType::I64);
    /// assert_eq!(Minibatches::new(&x, &y, 3).len(), 3);
    /// ```
    #[track_caller]
    pub fn new(inputs: &Tensor, targets: &Tensor, batch_size: usize) -> Minibatches {
        assert!(batch_size > 0, "Minibatches: batch_size must be at least 1");
        assert!(
            inputs.rank() > 0 && targets.rank() > 0,
            "Minibatches: inputs {:?} and targets {:?} need a first axis to batch over",
            inputs.dims(),
            targets.dims()
        );
        assert_eq!(
            inputs.dims()[0],
            targets.dims()[0],
            "Minibatches: inputs {:?} and targets {:?} have different first axes",
            inputs.dims(),
            targets.dims()
        );
        Minibatches {
            inputs: inputs.clone(),
            targets: targets.clone(),
            batch_size,
            order: None,
            drop_last: false,
            next: 0,
        }
    }

    /// Visit the rows in the order [`shuffled_indices`]`(rows, seed)` (the same seed, the same
    /// batches; pass the epoch, or `seed + epoch`, for a new order each epoch). Restarts from
    /// the first batch.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// use cotangent_nn::data::Minibatches;
    /// let x = Tensor::from_vec((0..6).map(f64::from).collect::<Vec<_>>(), &[6]);
    /// let rows = |seed| -> Vec<f64> {
    ///     Minibatches::new(&x, &x, 4).shuffle(seed).flat_map(|(b, _)| b.to_vec::<f64>()).collect()
    /// };
    /// assert_eq!(rows(3), rows(3));
    /// let mut all = rows(3);
    /// all.sort_by(f64::total_cmp);
    /// assert_eq!(all, [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
    /// ```
    pub fn shuffle(mut self, seed: u64) -> Minibatches {
        self.order = Some(shuffled_indices(self.rows(), seed));
        self.next = 0;
        self
    }

    /// Drop a last batch shorter than `batch_size` (`true`), or keep it (`false`, the default).
    ///
    /// ```
    /// use cotangent::{DType, Tensor};
    /// use cotangent_nn::data::Minibatches;
    /// let x = Tensor::zeros(&[7, 2], DType::F32);
    /// assert_eq!(Minibatches::new(&x, &x, 3).drop_last(true).count(), 2);
    /// ```
    pub fn drop_last(mut self, drop: bool) -> Minibatches {
        self.drop_last = drop;
        self
    }

    /// The number of rows being batched.
    ///
    /// ```
    /// use cotangent::{DType, Tensor};
    /// let x = Tensor::zeros(&[7, 2], DType::F32);
    /// assert_eq!(cotangent_nn::data::Minibatches::new(&x, &x, 3).rows(), 7);
    /// ```
    pub fn rows(&self) -> usize {
        self.inputs.dims()[0]
    }

    /// The rows the batches still to come will cover.
    fn end(&self) -> usize {
        let n = self.rows();
        if self.drop_last {
            n - n % self.batch_size
        } else {
            n
        }
    }
}

impl Iterator for Minibatches {
    type Item = (Tensor, Tensor);

    #[track_caller]
    fn next(&mut self) -> Option<(Tensor, Tensor)> {
        let end = self.end();
        if self.next >= end {
            return None;
        }
        let start = self.next;
        let len = self.batch_size.min(end - start);
        self.next += len;
        Some(match &self.order {
            None => (
                self.inputs.narrow(0, start, len),
                self.targets.narrow(0, start, len),
            ),
            Some(order) => {
                let idx: Vec<i64> = order[start..start + len]
                    .iter()
                    .map(|&i| i as i64)
                    .collect();
                let idx = Tensor::from_vec(idx, &[len]);
                (
                    self.inputs.index_select(0, &idx),
                    self.targets.index_select(0, &idx),
                )
            }
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self
            .end()
            .saturating_sub(self.next)
            .div_ceil(self.batch_size);
        (left, Some(left))
    }
}

/// [`ExactSizeIterator::len`]: the number of batches still to come.
impl ExactSizeIterator for Minibatches {}
