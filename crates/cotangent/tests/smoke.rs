use cotangent::*;

#[test]
fn smoke() {
    let f = |x: &[Tensor]| ((&x[0] + &x[1]).square() + (&x[0] * &x[1]).sin()).log();
    let xs = [Tensor::scalar(1.5), Tensor::scalar(0.5)];
    let (v, g) = try_value_and_grad_n(f, &xs).unwrap();
    println!("{v} {} {}", g[0], g[1]);
    let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    println!("{x}\n{:?}", x.t());
    let h = hessian(|x: &Tensor| {
        let a = x.index_select(0, &Tensor::from_vec(vec![0i64], &[1])).sum();
        let b = x.index_select(0, &Tensor::from_vec(vec![1i64], &[1])).sum();
        ((&a + &b).square() + (&a * &b).sin()).log()
    })(&Tensor::from_vec(vec![1.5, 0.5], &[2]));
    println!("{h}");
    testing::check_grads(|xs| f(xs), &xs, 2).unwrap();
}
