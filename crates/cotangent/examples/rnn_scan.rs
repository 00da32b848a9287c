//! An Elman RNN over a sequence with `tree::scan`: the carry is the hidden state, the
//! parameters a struct, and the gradient of the sequence loss comes back shaped like them; the
//! whole SGD step is one `tree::jit`. `COTANGENT_QUICK=1` runs a few steps only (CI).

use cotangent::tree::{self, Tree};
use cotangent::{DType, Tensor};

#[derive(Clone, Tree)]
struct Rnn {
    wx: Tensor,
    wh: Tensor,
    b: Tensor,
    wo: Tensor,
}

/// Mean squared error of predicting the next value of the sequence at every step.
fn loss(p: &Rnn, xs: &Tensor, targets: &Tensor) -> Tensor {
    let step = |h: &Tensor, x: &Tensor| {
        let h = (x.reshape(&[1]).matmul(&p.wx) + h.matmul(&p.wh) + &p.b).tanh();
        (h.clone(), h.matmul(&p.wo).reshape(()))
    };
    let (_, preds) = tree::scan(step, &Tensor::zeros(&[8], DType::F64), xs);
    (preds - targets).square().mean()
}

fn main() {
    let steps = if std::env::var_os("COTANGENT_QUICK").is_some() {
        3
    } else {
        150
    };
    let wave = (Tensor::arange(0.0, 41.0, 1.0, DType::F64) * 0.3).sin();
    let (xs, targets) = (wave.narrow(0, 0, 40), wave.narrow(0, 1, 40));
    let r = |shape: &[usize], seed, scale| Tensor::randn(shape, seed, DType::F64) * scale;
    let mut p = Rnn {
        wx: r(&[1, 8], 1, 0.5),
        wh: r(&[8, 8], 2, 0.3),
        b: r(&[8], 4, 0.0),
        wo: r(&[8, 1], 3, 0.5),
    };
    let step = tree::jit(|p: &Rnn| {
        let (l, g) = tree::value_and_grad(|p: &Rnn| loss(p, &xs, &targets))(p);
        (tree::tree_map2(p, &g, |p, g| p - &(g * 0.2)), l)
    });
    for i in 0..steps {
        let (next, l) = step(&p);
        p = next;
        if i % 50 == 0 || i == steps - 1 {
            println!("step {i:3}  loss {:.6}", l.item::<f64>());
        }
    }
}
