//! Logistic regression on two Gaussian blobs: the parameters are a tree `(w, b)`,
//! `tree::value_and_grad` returns gradients of the same shape, and one `tree_map2` is the SGD
//! step. `COTANGENT_QUICK=1` runs a few steps only (CI).

use cotangent::{tree, DType, Tensor};

fn main() {
    let steps = if std::env::var_os("COTANGENT_QUICK").is_some() {
        5
    } else {
        200
    };
    // 200 points: class 1 around (+1, +1), class 0 around (-1, -1).
    let y = Tensor::arange(0.0, 200.0, 1.0, DType::F64)
        .lt(&Tensor::scalar(100.0))
        .cast(DType::F64);
    let x = Tensor::randn(&[200, 2], 0, DType::F64) + (&y * 2.0 - 1.0).reshape(&[200, 1]);
    let logits = |(w, b): &(Tensor, Tensor)| x.matmul(w).reshape(&[200]) + b;
    // Binary cross-entropy with logits: softplus(z) − y·z, averaged.
    let loss = |p: &(Tensor, Tensor)| ((-logits(p)).log_sigmoid() * -1.0 - &y * logits(p)).mean();
    let mut p = (Tensor::zeros(&[2, 1], DType::F64), Tensor::scalar(0.0));
    for step in 0..steps {
        let (l, g) = tree::value_and_grad(loss)(&p);
        p = tree::tree_map2(&p, &g, |p, g| p - &(g * 0.5));
        if step % 50 == 0 || step == steps - 1 {
            println!("step {step:3}  loss {:.5}", l.item::<f64>());
        }
    }
    let hits = logits(&p)
        .gt(&Tensor::scalar(0.0))
        .cast(DType::F64)
        .eq(&y)
        .cast(DType::F64);
    println!(
        "w = {:?}, b = {:.4}, accuracy {:.3}",
        p.0.to_vec::<f64>(),
        p.1.item::<f64>(),
        hits.mean().item::<f64>()
    );
}
