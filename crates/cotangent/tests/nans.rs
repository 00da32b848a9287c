//! Non-finite diagnostics: the first primitive that produces a NaN or an infinity is named,
//! with its inputs and the user's source line, forward and backward. The switch is
//! process-wide, so these tests take a lock and switch it off again.

use std::sync::Mutex;

use cotangent::*;

static SERIAL: Mutex<()> = Mutex::new(());

struct Debugging(#[allow(dead_code)] std::sync::MutexGuard<'static, ()>);

fn debugging() -> Debugging {
    let g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    set_debug_nans(true);
    Debugging(g)
}

impl Drop for Debugging {
    fn drop(&mut self) {
        set_debug_nans(false);
    }
}

#[test]
fn log_of_zero_names_log_and_the_line() {
    let _d = debugging();
    let x = Tensor::from_vec(vec![1.0, 0.0, 2.0], &[3]);
    let line = line!() + 1;
    let err = x.try_log().unwrap_err();
    assert_eq!(err.kind, ErrorKind::NonFinite);
    let msg = err.to_string();
    assert!(msg.contains("log produced -inf at element 1"), "{msg}");
    assert!(msg.contains("x = 0"), "{msg}");
    assert!(msg.contains(&format!("tests/nans.rs:{line}")), "{msg}");
}

#[test]
fn overflow_in_exp_is_caught_and_propagation_is_not_blamed() {
    let _d = debugging();
    let x = Tensor::from_vec(vec![1.0, 1000.0], &[2]);
    let err = x.try_exp().unwrap_err();
    assert!(
        err.to_string()
            .contains("exp produced inf at element 1 of its [2] output from x = 1000"),
        "{err}"
    );
    // A NaN given as input is passed on by later ops, not reported as produced by them.
    let nan = Tensor::from_vec(vec![f64::NAN, 1.0], &[2]);
    assert!(nan.try_sin().is_ok());
}

#[test]
fn inf_from_the_vjp_of_sqrt_names_the_forward_line() {
    let _d = debugging();
    let x = Tensor::from_vec(vec![4.0, 0.0], &[2]).requires_grad();
    let line = line!() + 1;
    let y = x.sqrt().sum();
    let err = y.try_backward().err().expect("the backward pass must stop");
    let msg = err.to_string();
    assert!(
        msg.contains("the vjp of `sqrt` produced inf at element 1"),
        "{msg}"
    );
    assert!(
        msg.contains(&format!("forward op created at {}:{line}", file!())),
        "{msg}"
    );
    // Forward mode too.
    let err = try_jvp(
        |xs: &[Tensor]| xs[0].sqrt(),
        &[Tensor::scalar(0.0)],
        &[Tensor::scalar(1.0)],
    );
    assert!(err
        .unwrap_err()
        .to_string()
        .contains("the jvp of `sqrt` produced inf"));
}

#[test]
fn inf_from_a_vjp_inside_a_loop_names_the_body_op() {
    // A multi-output primitive's reverse rule is checked like any other: sqrt's infinite
    // derivative at 0, inside a scan's body, stops the backward pass, naming sqrt and the
    // body's line.
    let _d = debugging();
    let x = Tensor::from_vec(vec![4.0, 0.0], &[2]).requires_grad();
    let line = line!() + 2;
    let (c, _) = scan(
        |c, _| (vec![c[0].sqrt()], vec![]),
        &[x.clone()],
        &[Tensor::zeros(&[2], DType::F64)],
    );
    let err = c[0]
        .sum()
        .try_backward()
        .err()
        .expect("the backward pass must stop");
    let msg = err.to_string();
    assert!(msg.contains("the vjp of `sqrt` produced inf"), "{msg}");
    assert!(
        msg.contains(&format!("forward op created at {}:{line}", file!())),
        "{msg}"
    );
}

#[test]
fn off_means_ieee_propagation() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    set_debug_nans(false);
    let y = Tensor::scalar(0.0).log();
    assert_eq!(y.item::<f64>(), f64::NEG_INFINITY);
    let g = grad(|x: &Tensor| x.sqrt())(&Tensor::scalar(0.0));
    assert_eq!(g.item::<f64>(), f64::INFINITY);
}

#[test]
fn an_f16_overflow_names_the_primitive_and_the_types_limit() {
    let _d = debugging();
    // 300² = 90000 is above f16's largest finite value: the product is the first infinity.
    let x = Tensor::from_vec(vec![2.0, 300.0], &[2]).cast(DType::F16);
    let line = line!() + 1;
    let err = x.try_mul(&x).unwrap_err();
    assert_eq!(err.kind, ErrorKind::NonFinite);
    let msg = err.to_string();
    assert!(msg.contains("mul produced inf at element 1"), "{msg}");
    assert!(msg.contains("x = 300"), "{msg}");
    assert!(msg.contains("65504"), "{msg}");
    assert!(msg.contains(&format!("tests/nans.rs:{line}")), "{msg}");
    // The same values in f32 are fine.
    let y = x.cast(DType::F32);
    assert_eq!(y.try_mul(&y).unwrap().to_vec::<f32>(), vec![4.0, 90000.0]);
}
