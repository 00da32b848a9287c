//! Per-example gradients of an MLP with `vmap(grad)`, `in_axes` given as a tree prefix (the
//! parameters shared, the batch mapped), and a jitted SGD step on the mean.
//! `COTANGENT_QUICK=1` runs a few steps only (CI).

use cotangent::tree::{self, Tree};
use cotangent::{DType, Tensor};

#[derive(Clone, Tree)]
struct Mlp {
    w1: Tensor,
    b1: Tensor,
    w2: Tensor,
    b2: Tensor,
}

fn loss((p, x, y): &(Mlp, Tensor, Tensor)) -> Tensor {
    let h = (x.matmul(&p.w1) + &p.b1).tanh();
    (h.matmul(&p.w2) + &p.b2 - y).square().sum()
}

fn main() {
    let steps = if std::env::var_os("COTANGENT_QUICK").is_some() {
        3
    } else {
        100
    };
    let p = Mlp {
        w1: Tensor::randn(&[4, 16], 1, DType::F32) * 0.5,
        b1: Tensor::zeros(&[16], DType::F32),
        w2: Tensor::randn(&[16, 1], 2, DType::F32) * 0.5,
        b2: Tensor::zeros(&[1], DType::F32),
    };
    let xs = Tensor::randn(&[32, 4], 3, DType::F32);
    let ys = xs.sum_axes(&[1], true).sin();

    // Gradient of each example's loss: params not mapped, x and y mapped along axis 0.
    let per_example = tree::vmap(tree::grad(loss), [None, Some(0), Some(0)], 0);
    let g = per_example(&(p.clone(), xs.clone(), ys.clone()));
    println!("per-example w1 gradients: {:?}", g.0.w1.dims()); // [32, 4, 16]
    let norms = g.0.w1.square().sum_axes(&[1, 2], false).sqrt();
    println!(
        "first per-example gradient norms: {:?}",
        &norms.to_vec::<f32>()[..4]
    );

    // A jitted training step on the batch mean.
    let step = tree::jit(|(p, x, y): &(Mlp, Tensor, Tensor)| {
        let mean = |p: &Mlp| loss(&(p.clone(), x.clone(), y.clone())) / 32.0;
        let (l, g) = tree::value_and_grad(mean)(p);
        (tree::tree_map2(p, &g, |p, g| p - &(g * 0.1)), l)
    });
    let mut p = p;
    for i in 0..steps {
        let (next, l) = step(&(p, xs.clone(), ys.clone()));
        p = next;
        if i % 25 == 0 || i == steps - 1 {
            println!("step {i:3}  loss {:.5}", l.item::<f32>());
        }
    }
}
