//! Checkpointing policies for reverse mode through loops, and the schedules that carry them
//! out. A loop's reverse pass needs the carry each step started from, in reverse order.
//! [`Remat::StoreAll`] keeps every one (memory linear in the steps). [`Remat::Every`] keeps
//! every k-th and recomputes each segment once. [`Remat::Revolve`] runs Griewank and Walther's
//! binomial schedule (`revolve`, ACM TOMS 26(1), 2000): with s snapshots it recomputes the
//! fewest forward steps any schedule with s snapshots can, `t·T − C(s+t, t−1)` for `T` steps,
//! where `t` is the least integer with `C(s+t, s) ≥ T`.
//!
//! The schedule is run by [`execute`] over any [`Stepper`] (the loop's forward step and
//! backward step), so the same code drives tensors and the tests that count steps.

use crate::core::{Error, Result};

/// How reverse mode through a loop ([`scan_with`](crate::scan_with),
/// [`fori_loop_with`](crate::fori_loop_with), [`bounded_while_loop`](crate::bounded_while_loop))
/// gets the carries it needs.
///
/// ```
/// use cotangent::Remat;
/// // 10,000 steps with 10 snapshots: each step is recomputed under 6 times on average.
/// let r = Remat::Revolve { snapshots: 10 };
/// assert_eq!(r.recomputed_steps(10_000), 57_624);
/// assert_eq!(r.peak_snapshots(10_000), 10);
/// assert_eq!(Remat::StoreAll.peak_snapshots(10_000), 10_000);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Remat {
    /// Store the carry of every step (no recomputation; memory linear in the steps). JAX's
    /// `scan` does this.
    #[default]
    StoreAll,
    /// Store every k-th carry during a forward sweep, then recompute each segment of k steps
    /// once, storing its carries: about T/k + k carries live, about T recomputed steps.
    Every(usize),
    /// The binomial (revolve) schedule with this many snapshots, the initial carry's included:
    /// the fewest recomputed steps possible with that much memory.
    Revolve {
        /// Carries held at once (at least 1).
        snapshots: usize,
    },
}

impl Remat {
    /// Forward steps the reverse pass runs for a loop of `steps` steps (the primal pass that
    /// produced the loop's outputs not counted). Store-all re-runs the loop once, storing.
    ///
    /// ```
    /// use cotangent::Remat;
    /// assert_eq!(Remat::Revolve { snapshots: 1 }.recomputed_steps(5), 10); // 4+3+2+1
    /// assert_eq!(Remat::Every(2).recomputed_steps(5), 6);
    /// ```
    pub fn recomputed_steps(&self, steps: usize) -> usize {
        match *self {
            Remat::StoreAll => steps,
            Remat::Every(k) => {
                let k = k.max(1);
                // The sweep stops at the last segment's start; each segment then re-runs all
                // but its last step.
                let segments = steps.div_ceil(k);
                let sweep = (segments.saturating_sub(1)) * k;
                sweep + steps - segments
            }
            Remat::Revolve { snapshots } => revolve_cost(steps, snapshots.max(1)),
        }
    }

    /// The most carries held at once during the reverse pass.
    ///
    /// ```
    /// use cotangent::Remat;
    /// assert_eq!(Remat::Every(100).peak_snapshots(10_000), 100 + 99);
    /// ```
    pub fn peak_snapshots(&self, steps: usize) -> usize {
        match *self {
            Remat::StoreAll => steps,
            Remat::Every(k) => {
                let k = k.max(1).min(steps.max(1));
                steps.div_ceil(k) + k - 1
            }
            Remat::Revolve { snapshots } => snapshots.max(1).min(steps.max(1)),
        }
    }

    pub(crate) fn check(&self, op: &'static str) -> Result<()> {
        match *self {
            Remat::Every(0) => Err(Error::usage(op, "Remat::Every(k) needs k >= 1")),
            Remat::Revolve { snapshots: 0 } => Err(Error::usage(
                op,
                "Remat::Revolve needs at least 1 snapshot (the initial carry)",
            )),
            _ => Ok(()),
        }
    }
}

/// C(s+t, s), saturating.
fn beta(s: usize, t: usize) -> u128 {
    let mut b: u128 = 1;
    for i in 1..=t as u128 {
        b = b.saturating_mul(s as u128 + i) / i;
    }
    b
}

/// The least `t` with `C(s+t, s) ≥ l`, and `C(s+t-1, s)` (the previous value).
fn repetitions(l: usize, s: usize) -> usize {
    let (mut t, mut b): (usize, u128) = (0, 1);
    while b < l as u128 {
        t += 1;
        b = b.saturating_mul((s + t) as u128) / t as u128;
    }
    t
}

/// The optimal number of forward steps to reverse `l` steps holding at most `s` carries,
/// starting from the first step's carry (Griewank and Walther's closed form).
pub(crate) fn revolve_cost(l: usize, s: usize) -> usize {
    if l <= 1 {
        return 0;
    }
    if s == 1 {
        return l * (l - 1) / 2;
    }
    let t = repetitions(l, s);
    let c = (t as u128) * (l as u128) - beta(s + 1, t - 1);
    c as usize
}

/// Where the first snapshot goes when reversing `l` steps from a held carry with `s ≥ 2`
/// snapshots: the `m` minimizing `m + cost(l−m, s−1) + cost(m, s)`. That sum is convex in
/// `m` (the closed form is piecewise linear with increasing slopes), so a binary search on its
/// forward difference finds the minimum.
fn split(l: usize, s: usize) -> usize {
    let total = |m: usize| m + revolve_cost(l - m, s - 1) + revolve_cost(m, s);
    let (mut lo, mut hi) = (1, l - 1);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if total(mid + 1) >= total(mid) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    lo
}

/// A loop as seen by a reverse-pass schedule: steps are numbered in the order the loop runs
/// them.
pub(crate) trait Stepper {
    /// A carry.
    type State: Clone;
    /// The carry after running step `step` from `state`.
    fn advance(&mut self, state: &Self::State, step: usize) -> Result<Self::State>;
    /// The reverse of step `step`, given the carry it started from. Called for the steps in
    /// decreasing order, once each.
    fn backward(&mut self, state: &Self::State, step: usize) -> Result<()>;
}

/// What a schedule did: forward steps run and the most carries held at once.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    pub advances: usize,
    pub peak: usize,
}

/// Reverse `steps` steps of `stepper` from the initial carry `x0` under `remat`.
pub(crate) fn execute<S: Stepper>(
    stepper: &mut S,
    x0: S::State,
    steps: usize,
    remat: Remat,
) -> Result<Counts> {
    let mut run = Run {
        stepper,
        counts: Counts::default(),
        held: Vec::new(),
    };
    if steps == 0 {
        return Ok(run.counts);
    }
    run.hold(0, x0);
    match remat {
        Remat::StoreAll => run.segment(0, steps)?,
        Remat::Every(k) => run.every(steps, k.max(1))?,
        Remat::Revolve { snapshots } => run.revolve(steps, snapshots.max(1))?,
    }
    Ok(run.counts)
}

/// Work left in a revolve schedule (an explicit stack, so no recursion deepens with the
/// number of steps).
enum Work {
    /// Reverse `len` steps from `start`, whose carry is the last held one, with `free`
    /// snapshots counting that one.
    Reverse {
        start: usize,
        len: usize,
        free: usize,
    },
    /// Drop the last held carry.
    Release,
}

struct Run<'a, S: Stepper> {
    stepper: &'a mut S,
    counts: Counts,
    /// Held carries with the step each starts.
    held: Vec<(usize, S::State)>,
}

impl<S: Stepper> Run<'_, S> {
    fn hold(&mut self, step: usize, state: S::State) {
        self.held.push((step, state));
        self.counts.peak = self.counts.peak.max(self.held.len());
    }

    /// The carry `n` steps after the last held one.
    fn advance_from_top(&mut self, n: usize) -> Result<S::State> {
        let (start, mut x) = self.held.last().cloned().expect("a held carry");
        for i in start..start + n {
            x = self.stepper.advance(&x, i)?;
            self.counts.advances += 1;
        }
        Ok(x)
    }

    /// Store-all over `len` steps from the last held carry: run forward holding every carry,
    /// then reverse them (the held ones are released as they are used).
    fn segment(&mut self, start: usize, len: usize) -> Result<()> {
        let base = self.held.len();
        for _ in 1..len {
            let x = self.advance_from_top(1)?;
            let at = self.held.last().expect("held").0 + 1;
            self.hold(at, x);
        }
        for i in (start..start + len).rev() {
            let (at, x) = if self.held.len() > base {
                self.held.pop().expect("held")
            } else {
                self.held.last().cloned().expect("held")
            };
            debug_assert_eq!(at, i);
            self.stepper.backward(&x, i)?;
        }
        Ok(())
    }

    fn every(&mut self, steps: usize, k: usize) -> Result<()> {
        let starts: Vec<usize> = (0..steps).step_by(k).collect();
        for &s in &starts[1..] {
            let x = self.advance_from_top(k)?;
            self.hold(s, x);
        }
        for &s in starts.iter().rev() {
            self.segment(s, k.min(steps - s))?;
            if s > 0 {
                self.held.pop();
            }
        }
        Ok(())
    }

    fn revolve(&mut self, steps: usize, snapshots: usize) -> Result<()> {
        let mut work = vec![Work::Reverse {
            start: 0,
            len: steps,
            free: snapshots,
        }];
        while let Some(w) = work.pop() {
            match w {
                Work::Release => {
                    self.held.pop();
                }
                Work::Reverse { start, len, free } => {
                    if len == 1 {
                        let x = self.held.last().expect("held").1.clone();
                        self.stepper.backward(&x, start)?;
                    } else if free == 1 {
                        for i in (start..start + len).rev() {
                            let x = self.advance_from_top(i - start)?;
                            self.stepper.backward(&x, i)?;
                        }
                    } else {
                        let m = split(len, free);
                        let x = self.advance_from_top(m)?;
                        self.hold(start + m, x);
                        work.push(Work::Reverse {
                            start,
                            len: m,
                            free,
                        });
                        work.push(Work::Release);
                        work.push(Work::Reverse {
                            start: start + m,
                            len: len - m,
                            free: free - 1,
                        });
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Carries are step numbers; records the backward order and checks each gets its own
    /// carry.
    struct Count {
        order: Vec<usize>,
    }

    impl Stepper for Count {
        type State = usize;
        fn advance(&mut self, s: &usize, step: usize) -> Result<usize> {
            assert_eq!(*s, step);
            Ok(s + 1)
        }
        fn backward(&mut self, s: &usize, step: usize) -> Result<()> {
            assert_eq!(
                *s, step,
                "backward of step {step} got the carry of step {s}"
            );
            self.order.push(step);
            Ok(())
        }
    }

    /// The optimum by dynamic programming over every first split.
    fn brute(max_l: usize, max_s: usize) -> Vec<Vec<usize>> {
        let mut c = vec![vec![0usize; max_s + 1]; max_l + 1];
        for l in 2..=max_l {
            c[l][1] = l * (l - 1) / 2;
            for s in 2..=max_s {
                c[l][s] = (1..l).map(|m| m + c[l - m][s - 1] + c[m][s]).min().unwrap();
            }
        }
        c
    }

    fn run(l: usize, remat: Remat) -> Counts {
        let mut st = Count { order: Vec::new() };
        let counts = execute(&mut st, 0, l, remat).unwrap();
        assert_eq!(
            st.order,
            (0..l).rev().collect::<Vec<_>>(),
            "{remat:?} l={l}"
        );
        counts
    }

    #[test]
    fn revolve_meets_the_optimum_and_its_closed_form() {
        let best = brute(70, 6);
        for (l, row) in best.iter().enumerate().skip(1) {
            for (s, &want) in row.iter().enumerate().skip(1) {
                assert_eq!(revolve_cost(l, s), want, "closed form l={l} s={s}");
                let c = run(l, Remat::Revolve { snapshots: s });
                assert_eq!(c.advances, want, "schedule l={l} s={s}");
                assert!(c.peak <= s, "l={l} s={s} held {}", c.peak);
            }
        }
    }

    #[test]
    fn large_schedules_match_their_predictions() {
        for (l, s) in [(10_000, 10), (10_000, 100), (1000, 2), (5000, 5000)] {
            let r = Remat::Revolve { snapshots: s };
            let c = run(l, r);
            assert_eq!(c.advances, r.recomputed_steps(l));
            assert_eq!(c.peak, r.peak_snapshots(l));
        }
        assert_eq!(revolve_cost(10_000, 10_000), 9_999);
    }

    #[test]
    fn every_k_and_store_all_counts() {
        for l in 1..40 {
            for k in 1..12 {
                let r = Remat::Every(k);
                let c = run(l, r);
                assert_eq!(c.advances, r.recomputed_steps(l), "l={l} k={k}");
                assert!(c.peak <= r.peak_snapshots(l), "l={l} k={k}");
            }
            let c = run(l, Remat::StoreAll);
            assert_eq!((c.advances, c.peak), (l - 1, l));
        }
    }
}
