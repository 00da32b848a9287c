//! Shifts and rolls read in place by the fused loops that read them: a `concat` along the
//! first axis and a `pad` of the first axis alone become runs the loop copies block by block
//! (no step, no buffer), bit for bit the eager result for any thread count; a `pad` of another
//! axis, or a `concat` the program returns, stays a step; a part found strided at run time is
//! packed first.

use cotangent::jit::{Jit, StepKind};
use cotangent::*;

fn bits(t: &Tensor) -> Vec<u64> {
    t.to_f64_vec().iter().map(|x| x.to_bits()).collect()
}

fn prims<F: Fn(&[Tensor]) -> Vec<Tensor>>(j: &Jit<F>, xs: &[Tensor]) -> Vec<&'static str> {
    j.compiled(xs)
        .unwrap()
        .report()
        .iter()
        .filter_map(|r| match r.kind {
            StepKind::Primitive(n) => Some(n),
            StepKind::Loop => None,
        })
        .collect()
}

/// `x` rolled by one along axis 0.
fn roll(x: &Tensor) -> Tensor {
    let n = x.dims()[0];
    Tensor::concat(&[x.narrow(0, n - 1, 1), x.narrow(0, 0, n - 1)], 0)
}

/// `x` shifted by `k` along axis 0, filled with `v`.
fn shift(x: &Tensor, k: usize, v: f64) -> Tensor {
    let n = x.dims()[0];
    let mut widths = vec![(0, 0); x.rank()];
    widths[0] = (k, 0);
    x.narrow(0, 0, n - k).pad(&widths, v)
}

fn stencil(a: &[Tensor]) -> Vec<Tensor> {
    let x = &a[0];
    vec![(roll(x) * x + shift(x, 2, 1.5) - shift(&x.sin(), 1, 0.0)).exp()]
}

#[test]
fn rolls_and_shifts_are_read_in_place() {
    for (dims, dtype) in [(&[1000][..], DType::F64), (&[64, 33][..], DType::F32)] {
        let x = Tensor::randn(dims, 1, dtype);
        let j = Jit::new(stencil);
        let xs = [x.clone()];
        let p = prims(&j, &xs);
        assert!(
            !p.contains(&"concat") && !p.contains(&"pad"),
            "{dims:?}: {p:?}"
        );
        assert_eq!(bits(&j.call(&xs)[0]), bits(&stencil(&xs)[0]), "{dims:?}");
    }
}

#[test]
fn bit_identical_across_thread_counts() {
    // Long enough to be split across threads, so chunks start inside the runs.
    let x = Tensor::randn(&[300_007], 2, DType::F64);
    let j = Jit::new(stencil);
    let want = bits(&stencil(std::slice::from_ref(&x))[0]);
    for threads in [1, 2, 3] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let y = pool.install(|| j.call(std::slice::from_ref(&x)));
        assert_eq!(bits(&y[0]), want, "{threads} threads");
    }
}

#[test]
fn other_pads_and_returned_concats_stay_steps() {
    let x = Tensor::randn(&[8, 6], 3, DType::F64);
    let xs = [x.clone()];
    // A pad of the second axis is not runs of the flat order.
    let side = Jit::new(|a: &[Tensor]| vec![(a[0].pad(&[(0, 0), (1, 2)], 0.5) * 2.0).exp()]);
    assert!(prims(&side, &xs).contains(&"pad"));
    assert_eq!(
        bits(&side.call(&xs)[0]),
        bits(&(x.pad(&[(0, 0), (1, 2)], 0.5) * 2.0).exp())
    );
    // A returned concat is made.
    let both = Jit::new(|a: &[Tensor]| {
        let r = roll(&a[0]);
        vec![r.exp(), r]
    });
    assert!(prims(&both, &xs).contains(&"concat"));
    let out = both.call(&xs);
    assert_eq!(bits(&out[1]), bits(&roll(&x)));
    assert_eq!(bits(&out[0]), bits(&roll(&x).exp()));
}

#[test]
fn a_strided_part_is_packed_first() {
    let j = Jit::new(|a: &[Tensor]| vec![Tensor::concat(&[a[0].clone(), a[0].sin()], 0) * 2.0]);
    let x = Tensor::randn(&[5, 7], 4, DType::F64);
    let t = Tensor::randn(&[7, 5], 5, DType::F64).transpose(0, 1);
    for input in [x, t] {
        let xs = [input.clone()];
        assert!(!prims(&j, &xs).contains(&"concat"));
        let want = Tensor::concat(&[input.clone(), input.sin()], 0) * 2.0;
        assert_eq!(bits(&j.call(&xs)[0]), bits(&want));
    }
}
