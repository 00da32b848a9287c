//! Every module against reference values: the outputs of GradBench's hand-written C++ tool
//! `manual` on small eval inputs (tests/fixtures, made once by tests/fixtures/make.py), and for
//! `hello`, `particle` and `saddle` the values their evals check against.

use cotangent_gradbench::modules::evaluate;
use serde_json::{json, Value};

/// Mismatches between `expected` and `actual`: numbers must agree to `tol` relative to
/// `max(1, |a| + |b|)` (GradBench's measure), everything else exactly.
fn mismatches(expected: &Value, actual: &Value, tol: f64, path: &str, out: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Number(a), Value::Number(b)) => {
            let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
            let diff = (a - b).abs() / (a.abs() + b.abs()).max(1.0);
            if diff.is_nan() || diff > tol {
                out.push(format!("{path}: expected {a}, got {b}"));
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                mismatches(x, y, tol, &format!("{path}[{i}]"), out);
            }
        }
        (Value::Object(a), Value::Object(b)) if a.len() == b.len() => {
            for (k, x) in a {
                match b.get(k) {
                    Some(y) => mismatches(x, y, tol, &format!("{path}.{k}"), out),
                    None => out.push(format!("{path}: key {k} missing")),
                }
            }
        }
        _ if expected == actual => {}
        _ => out.push(format!("{path}: expected {expected}, got {actual}")),
    }
}

fn check(module: &str, function: &str, input: &Value, expected: &Value, tol: f64) {
    let got = evaluate(module, function, input)
        .unwrap_or_else(|e| panic!("{module}::{function} failed: {e}"));
    assert!(!got.timings.is_empty());
    let mut bad = Vec::new();
    mismatches(expected, &got.output, tol, "", &mut bad);
    assert!(
        bad.is_empty(),
        "{module}::{function}: {} mismatches, first: {:?}",
        bad.len(),
        &bad[..bad.len().min(5)]
    );
}

/// Every case of a fixture file, to a tolerance well below the eval's 1e-4 — except ode's
/// gradient: manual returns the gradient of the exact solution of the ODE, not of the
/// Runge–Kutta approximation that the primal computes (and that the eval asks to
/// differentiate). The two agree to the eval's own tolerance only with enough steps (the
/// fixture uses 50); `ode_gradient` checks the derivative against finite differences.
fn against_manual(module: &str, fixture: &str) {
    let cases: Vec<Value> = serde_json::from_str(fixture).expect("fixture is JSON");
    assert!(!cases.is_empty());
    for case in &cases {
        let function = case["function"].as_str().unwrap();
        let tol = if (module, function) == ("ode", "gradient") {
            1e-4
        } else {
            1e-9
        };
        check(module, function, &case["input"], &case["output"], tol);
    }
}

macro_rules! manual_tests {
    ($($name:ident),*) => {
        $(
            #[test]
            fn $name() {
                against_manual(
                    stringify!($name),
                    include_str!(concat!("fixtures/", stringify!($name), ".json")),
                );
            }
        )*
    };
}

manual_tests!(lse, llsq, gmm, det, kmeans, ode, lstm, ba, ht);

#[test]
fn hello() {
    check("hello", "square", &json!(3.0), &json!(9.0), 0.0);
    check("hello", "double", &json!(3.0), &json!(6.0), 0.0);
}

/// The value the particle eval checks every variant against, to the eval's tolerance.
#[test]
fn particle() {
    let input = json!({"w": 0.0, "min_runs": 1, "min_seconds": 0});
    for f in ["rr", "ff", "fr", "rf"] {
        check("particle", f, &input, &json!(0.2071918746486116), 1e-4);
    }
}

/// The saddle point the saddle eval checks every variant against (its tolerance, 1e-4, is
/// absolute here since the values are near 0), and that all four variants agree closely.
#[test]
fn saddle() {
    let input = json!({"start": [1.0, 1.0], "min_runs": 1, "min_seconds": 0});
    let expected = json!(vec![8.246324826140356e-6; 4]);
    let rr = evaluate("saddle", "rr", &input).unwrap().output;
    for f in ["rr", "ff", "fr", "rf"] {
        check("saddle", f, &input, &expected, 1e-4);
        check("saddle", f, &input, &rr, 1e-9);
    }
}

#[test]
fn unknown_function_is_an_error() {
    let e = evaluate("lse", "nope", &json!({"x": [1.0]})).err().unwrap();
    assert!(e.contains("nope"));
}

/// ode's gradient against central differences of its primal's last component.
#[test]
fn ode_gradient() {
    let x = vec![0.3, 0.8, 0.5, 0.9, 0.2, 0.7];
    let input = |x: &[f64]| json!({"x": x, "s": 3, "min_runs": 1, "min_seconds": 0});
    let last = |x: &[f64]| {
        let y = evaluate("ode", "primal", &input(x)).unwrap().output;
        y.as_array().unwrap().last().unwrap().as_f64().unwrap()
    };
    let g = evaluate("ode", "gradient", &input(&x)).unwrap().output;
    let h = 1e-6;
    for i in 0..x.len() {
        let (mut up, mut down) = (x.clone(), x.clone());
        up[i] += h;
        down[i] -= h;
        let fd = (last(&up) - last(&down)) / (2.0 * h);
        let ad = g[i].as_f64().unwrap();
        assert!(
            (fd - ad).abs() < 1e-8,
            "x[{i}]: finite differences {fd}, AD {ad}"
        );
    }
}
