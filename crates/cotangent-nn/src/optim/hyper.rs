//! Validation of optimizer hyper-parameters, shared by every optimizer: a NaN, infinite or
//! negative learning rate (or a β outside `[0, 1)`) is refused where it is set, at the caller's
//! line, as PyTorch refuses it in the constructor, instead of turning every parameter into NaN
//! at the first step.

/// Panics at the caller unless `value` is finite and at least 0.
#[track_caller]
pub(crate) fn non_negative(opt: &str, what: &str, value: f64) -> f64 {
    if !(value.is_finite() && value >= 0.0) {
        panic!("{opt}: invalid {what} {value}: it must be a finite number ≥ 0");
    }
    value
}

/// Panics at the caller unless `value` is in `[0, 1)`.
#[track_caller]
pub(crate) fn unit_interval(opt: &str, what: &str, value: f64) -> f64 {
    if !(0.0..1.0).contains(&value) {
        panic!("{opt}: invalid {what} {value}: it must be in [0, 1)");
    }
    value
}

#[cfg(test)]
mod tests {
    use crate::{Adam, AdamW, Optimizer, Sgd};

    fn panics(f: impl FnOnce() + std::panic::UnwindSafe) -> String {
        let e = std::panic::catch_unwind(f).expect_err("expected a panic");
        e.downcast_ref::<String>().cloned().unwrap_or_default()
    }

    #[test]
    fn bad_hyper_parameters_are_refused_where_they_are_set() {
        assert!(panics(|| drop(Adam::new(f64::NAN))).contains("Adam: invalid learning rate NaN"));
        assert!(panics(|| drop(Adam::new(-1e-3))).contains("learning rate"));
        assert!(panics(|| drop(AdamW::new(1e-3, f64::INFINITY))).contains("weight decay"));
        assert!(panics(|| drop(Adam::new(1e-3).betas(0.9, 1.0))).contains("beta2"));
        assert!(panics(|| drop(Adam::new(1e-3).eps(f64::NAN))).contains("eps"));
        assert!(panics(|| drop(Sgd::new(f64::NAN))).contains("Sgd: invalid learning rate"));
        assert!(panics(|| drop(Sgd::new(0.1).momentum(-0.9))).contains("momentum"));
        assert!(panics(|| Adam::new(1e-3).set_lr(f64::NAN)).contains("learning rate"));
        // Good values pass.
        let _ = Adam::new(0.0).betas(0.0, 0.999).eps(0.0).weight_decay(0.0);
        let _ = Sgd::new(0.1)
            .momentum(0.9)
            .dampening(0.1)
            .weight_decay(1e-4);
    }
}
