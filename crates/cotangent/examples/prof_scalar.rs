use cotangent::*;
fn main() {
    let a = Tensor::scalar(1.5f32);
    let b = Tensor::scalar(0.5f32);
    let mut s = 0.0;
    for _ in 0..200_000 {
        let c = &a * &b;
        s += std::hint::black_box(&c).numel() as f64;
    }
    let xs = [Tensor::scalar(1.5f64), Tensor::scalar(0.5f64)];
    for _ in 0..(if std::env::args().count() > 1 {
        0
    } else {
        20_000
    }) {
        let (v, _g) = try_value_and_grad_n(
            |x: &[Tensor]| ((&x[0] + &x[1]).square() + (&x[0] * &x[1]).sin()).log(),
            &xs,
        )
        .unwrap();
        s += v.numel() as f64;
    }
    println!("{s}");
}
