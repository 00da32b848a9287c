//! The checks of the `tensor_program` fuzz target, shared by the libFuzzer binary
//! (`fuzz/fuzz_targets/tensor_program.rs`) and the seeded random test of `cotangent`
//! (`crates/cotangent/tests/fuzz_tensor_program.rs`).
//!
//! The bytes decode to a small random tensor program: one to three inputs (dtype, rank 0 to 3,
//! dims 0 to 4, small values, sometimes NaN or infinite), then up to twelve operations drawn from
//! the library's fallible (`try_*`) API with random axes, shapes, indices (negative and out of
//! range too) and operands. [`check`] requires that:
//! - running it eagerly never panics: each operation either succeeds or returns an `Err`;
//! - when the eager run succeeds, `jit` of the same program gives the same values (NaN equal to
//!   NaN, f32 to 1e-4 relative), or an `Err` (a run-time index check), never a panic;
//! - `vmap` over two stacked copies of the inputs gives the eager result twice, or an `Err`;
//! - `value_and_grad` of the sum of its float outputs, over its float inputs, never panics and
//!   gives gradients shaped like the inputs.

use std::cell::RefCell;

use cotangent::jit::Jit;
use cotangent::{try_value_and_grad_n, try_vmap_call, DType, Result, Tensor};

/// The input bytes, read from the front; zeros once they run out.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }

    fn below(&mut self, n: usize) -> usize {
        self.byte() as usize % n
    }
}

const DTYPES: [DType; 4] = [DType::F64, DType::F32, DType::I64, DType::Bool];

/// One operation of a program: what to apply and to which values (indices into the values made
/// so far, taken modulo their count), with its parameters.
#[derive(Clone, Debug)]
enum Op {
    Unary(u8, usize),
    Binary(u8, usize, usize),
    Reduce(u8, usize, Vec<isize>, bool),
    Argmax(usize, isize),
    Reshape(usize, Vec<usize>),
    Permute(usize, Vec<isize>),
    Narrow(usize, isize, usize, usize),
    BroadcastTo(usize, Vec<usize>),
    Unsqueeze(usize, isize),
    Pad(usize, Vec<(usize, usize)>),
    Concat(usize, usize, isize),
    IndexSelect(usize, isize, Vec<i64>),
    Matmul(usize, usize),
    Cast(usize, DType),
    Cumsum(usize, isize, bool),
    Softmax(usize, isize),
}

fn dims(r: &mut Bytes<'_>) -> Vec<usize> {
    (0..r.below(4)).map(|_| r.below(5)).collect()
}

fn axes(r: &mut Bytes<'_>) -> Vec<isize> {
    (0..r.below(3)).map(|_| r.below(8) as isize - 4).collect()
}

fn input(r: &mut Bytes<'_>) -> Tensor {
    let dtype = DTYPES[r.below(4)];
    let shape = dims(r);
    let n: usize = shape.iter().product();
    let vals: Vec<f64> = (0..n)
        .map(|_| match r.byte() {
            250 => f64::NAN,
            251 => f64::INFINITY,
            252 => f64::NEG_INFINITY,
            b => (b as f64 - 100.0) / 16.0,
        })
        .collect();
    Tensor::from_vec(vals, &shape).cast(dtype)
}

fn decode(r: &mut Bytes<'_>) -> (Vec<Tensor>, Vec<Op>) {
    let inputs: Vec<Tensor> = (0..1 + r.below(3)).map(|_| input(r)).collect();
    let mut ops = Vec::new();
    for _ in 0..1 + r.below(12) {
        let a = r.byte() as usize;
        let op = match r.below(16) {
            0 => Op::Unary(r.byte(), a),
            1 => Op::Binary(r.byte(), a, r.byte() as usize),
            2 => Op::Reduce(r.byte(), a, axes(r), r.below(2) == 1),
            3 => Op::Argmax(a, r.below(8) as isize - 4),
            4 => Op::Reshape(a, dims(r)),
            5 => Op::Permute(a, axes(r)),
            6 => Op::Narrow(a, r.below(8) as isize - 4, r.below(5), r.below(5)),
            7 => Op::BroadcastTo(a, dims(r)),
            8 => Op::Unsqueeze(a, r.below(8) as isize - 4),
            9 => Op::Pad(
                a,
                (0..r.below(4)).map(|_| (r.below(3), r.below(3))).collect(),
            ),
            10 => Op::Concat(a, r.byte() as usize, r.below(8) as isize - 4),
            11 => Op::IndexSelect(
                a,
                r.below(8) as isize - 4,
                (0..r.below(4)).map(|_| r.below(9) as i64 - 2).collect(),
            ),
            12 => Op::Matmul(a, r.byte() as usize),
            13 => Op::Cast(a, DTYPES[r.below(4)]),
            14 => Op::Cumsum(a, r.below(8) as isize - 4, r.below(2) == 1),
            _ => Op::Softmax(a, r.below(8) as isize - 4),
        };
        ops.push(op);
    }
    (inputs, ops)
}

fn apply(op: &Op, vals: &[Tensor]) -> Result<Tensor> {
    let v = |i: usize| &vals[i % vals.len()];
    match op {
        Op::Unary(k, a) => {
            let x = v(*a);
            match k % 12 {
                0 => x.try_sin(),
                1 => x.try_exp(),
                2 => x.try_log(),
                3 => x.try_sqrt(),
                4 => x.try_tanh(),
                5 => x.try_abs(),
                6 => x.try_neg(),
                7 => x.try_sigmoid(),
                8 => x.try_relu(),
                9 => x.try_square(),
                10 => x.try_recip(),
                _ => x.try_floor(),
            }
        }
        Op::Binary(k, a, b) => {
            let (x, y) = (v(*a), v(*b));
            match k % 7 {
                0 => x.try_add(y),
                1 => x.try_sub(y),
                2 => x.try_mul(y),
                3 => x.try_div(y),
                4 => x.try_maximum(y),
                5 => x.try_minimum(y),
                _ => x.try_lt(y),
            }
        }
        Op::Reduce(k, a, axes, keep) => match k % 3 {
            0 => v(*a).try_sum_axes(axes, *keep),
            1 => v(*a).try_max_axes(axes, *keep),
            _ => v(*a).try_mean_axes(axes, *keep),
        },
        Op::Argmax(a, axis) => v(*a).try_argmax(*axis, false),
        Op::Reshape(a, shape) => v(*a).try_reshape(shape),
        Op::Permute(a, perm) => v(*a).try_permute(perm),
        Op::Narrow(a, axis, start, len) => v(*a).try_narrow(*axis, *start, *len),
        Op::BroadcastTo(a, shape) => v(*a).try_broadcast_to(shape),
        Op::Unsqueeze(a, axis) => v(*a).try_unsqueeze(*axis),
        Op::Pad(a, widths) => v(*a).try_pad(widths, 0.5),
        Op::Concat(a, b, axis) => Tensor::try_concat(&[v(*a).clone(), v(*b).clone()], *axis),
        Op::IndexSelect(a, axis, idx) => {
            let idx = Tensor::try_from_vec(idx.clone(), &[idx.len()])?;
            v(*a).try_index_select(*axis, &idx)
        }
        Op::Matmul(a, b) => v(*a).try_matmul(v(*b)),
        Op::Cast(a, dtype) => v(*a).try_cast(*dtype),
        Op::Cumsum(a, axis, rev) => v(*a).try_cumsum(*axis, *rev),
        Op::Softmax(a, axis) => v(*a).try_softmax(*axis),
    }
}

/// Run the program on `inputs`: every value it made, inputs first.
fn run(ops: &[Op], inputs: &[Tensor]) -> Result<Vec<Tensor>> {
    let mut vals = inputs.to_vec();
    for op in ops {
        let y = apply(op, &vals)?;
        vals.push(y);
    }
    Ok(vals[inputs.len()..].to_vec())
}

/// Whether `a` and `b` hold the same values (NaN equal to NaN; f32 to a relative 1e-4).
fn same(a: &Tensor, b: &Tensor) -> bool {
    if a.dims() != b.dims() || a.dtype() != b.dtype() {
        return false;
    }
    let tol = if a.dtype() == DType::F32 { 1e-4 } else { 1e-9 };
    a.to_f64_vec().iter().zip(b.to_f64_vec()).all(|(x, y)| {
        (x.is_nan() && y.is_nan())
            || x == &y
            || (x - y).abs() <= tol * x.abs().max(y.abs()).max(1.0)
    })
}

/// Runs every check on one input; panics (saying what went wrong) on a violation. Returns
/// whether the program ran eagerly without error (so the other checks ran).
pub fn check(data: &[u8]) -> bool {
    let (inputs, ops) = decode(&mut Bytes(data));
    let Ok(eager) = run(&ops, &inputs) else {
        return false;
    };
    // The same program compiled. An error inside the trace is kept and returned as an error.
    let failed = RefCell::new(None);
    let jitted = Jit::new(|xs: &[Tensor]| match run(&ops, xs) {
        Ok(ys) => ys,
        Err(e) => {
            *failed.borrow_mut() = Some(e);
            eager.iter().map(|t| t.zeros_like()).collect()
        }
    });
    match jitted.try_call(&inputs) {
        Ok(ys) if failed.borrow().is_none() => {
            for (i, (y, e)) in ys.iter().zip(&eager).enumerate() {
                assert!(
                    same(y, e),
                    "jit value {i} differs for {ops:?}:\n{y:?}\nvs eager\n{e:?}"
                );
            }
        }
        _ => {}
    }
    // Two stacked copies of the inputs, mapped.
    let stacked: Vec<Tensor> = inputs
        .iter()
        .map(|x| Tensor::stack(&[x.clone(), x.clone()], 0))
        .collect();
    let in_axes = vec![Some(0); inputs.len()];
    let out_axes = vec![0; eager.len()];
    if let Ok(ys) = try_vmap_call(
        |xs| run(&ops, xs).unwrap_or_else(|_| eager.iter().map(|t| t.zeros_like()).collect()),
        &stacked,
        &in_axes,
        &out_axes,
    ) {
        assert_eq!(ys.len(), eager.len(), "vmap output count for {ops:?}");
    }
    // Gradients of the sum of the float outputs, over the float inputs.
    let floats: Vec<usize> = (0..inputs.len())
        .filter(|&i| inputs[i].dtype().is_float())
        .collect();
    if floats.is_empty() || !eager.iter().any(|t| t.dtype().is_float()) {
        return true;
    }
    let xs: Vec<Tensor> = floats.iter().map(|&i| inputs[i].clone()).collect();
    let loss = |sub: &[Tensor]| {
        let mut all = inputs.clone();
        for (k, &i) in floats.iter().enumerate() {
            all[i] = sub[k].clone();
        }
        match run(&ops, &all) {
            Ok(ys) => ys
                .iter()
                .filter(|t| t.dtype().is_float())
                .map(|t| t.cast(DType::F64).sum())
                .fold(Tensor::scalar(0.0), |a, b| a + b),
            Err(_) => Tensor::scalar(0.0),
        }
    };
    if let Ok((_, grads)) = try_value_and_grad_n(loss, &xs) {
        for (g, x) in grads.iter().zip(&xs) {
            assert_eq!(g.dims(), x.dims(), "gradient shape for {ops:?}");
        }
    }
    true
}
