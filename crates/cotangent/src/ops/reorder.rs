//! Reordering along axes: `flip` (reverse, a gather with descending indices) and `roll`
//! (a cyclic shift, two slices joined). Both are linear, their derivatives the inverse moves.

use std::panic::Location;

use crate::core::shape::normalize_axes;
use crate::core::shape::normalize_axis;
use crate::core::{Result, Tensor};

/// **Reordering**: flip, roll.
impl Tensor {
    /// The elements in reverse order along each of `axes` (as `jnp.flip(x, axes)`).
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    /// assert_eq!(x.flip(&[1]).to_vec::<f64>(), vec![3.0, 2.0, 1.0, 6.0, 5.0, 4.0]);
    /// assert_eq!(x.flip(&[0, 1]).to_vec::<f64>(), vec![6.0, 5.0, 4.0, 3.0, 2.0, 1.0]);
    /// assert!(x.try_flip(&[2]).unwrap_err().to_string().contains("flip"));
    /// ```
    #[track_caller]
    pub fn try_flip(&self, axes: &[isize]) -> Result<Tensor> {
        let loc = Location::caller();
        let dims = normalize_axes("flip", axes, self.rank()).map_err(|e| e.at(loc))?;
        let mut out = self.clone();
        for &d in &dims {
            let n = self.dims()[d];
            if n < 2 {
                continue;
            }
            let idx: Vec<i64> = (0..n as i64).rev().collect();
            out = out.try_index_select(d as isize, &Tensor::from_vec(idx, &[n]))?;
        }
        Ok(out)
    }
    panicking!(
        /// Reverse along axes; see [`Tensor::try_flip`].
        flip(axes: &[isize]) => try_flip
    );

    /// The elements shifted cyclically by `shift` places along `axis` (as
    /// `jnp.roll(x, shift, axis)`): `y[i] = x[(i - shift) mod n]`; a negative shift moves them
    /// the other way.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[4]);
    /// assert_eq!(x.roll(1, 0).to_vec::<f64>(), vec![4.0, 1.0, 2.0, 3.0]);
    /// assert_eq!(x.roll(-5, 0).to_vec::<f64>(), vec![2.0, 3.0, 4.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn try_roll(&self, shift: isize, axis: isize) -> Result<Tensor> {
        let loc = Location::caller();
        let d = normalize_axis("roll", axis, self.rank()).map_err(|e| e.at(loc))?;
        let n = self.dims()[d];
        if n == 0 {
            return Ok(self.clone());
        }
        let s = shift.rem_euclid(n as isize) as usize;
        if s == 0 {
            return Ok(self.clone());
        }
        let a = d as isize;
        Tensor::try_concat(
            &[self.try_narrow(a, n - s, s)?, self.try_narrow(a, 0, n - s)?],
            a,
        )
    }
    panicking!(
        /// Cyclic shift along an axis; see [`Tensor::try_roll`].
        roll(shift: isize, axis: isize) => try_roll
    );
}
