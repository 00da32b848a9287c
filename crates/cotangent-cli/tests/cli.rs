//! End-to-end tests of the `cotangent` binary: the teaching example, `diff`
//! (values, Jacobians in both modes, Hessians, checks, bad input, non-finite
//! results, very deep and very wide expressions) and `graph`.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

/// The teaching example's expression.
const EXAMPLE: &str = "log((x1 + x2)^2 + sin(x1*x2))";

/// What a run of the binary produced.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("{e}: stdout {:?} stderr {:?}", self.stdout, self.stderr))
    }
}

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the binary with `args` in `dir`.
fn run_in(dir: &std::path::Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_cotangent"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the binary runs");
    Run {
        code: out.status.code().expect("exited normally"),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn run(args: &[&str]) -> Run {
    run_in(std::path::Path::new(env!("CARGO_TARGET_TMPDIR")), args)
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn matrix(v: &Value) -> Vec<Vec<f64>> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|row| row.as_array().unwrap().iter().map(num).collect())
        .collect()
}

fn assert_close(got: f64, want: f64, tol: f64) {
    assert!((got - want).abs() <= tol, "got {got}, want {want} (±{tol})");
}

/// The number after `label` on its line of `text`.
fn number_after(text: &str, label: &str) -> f64 {
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with(label))
        .unwrap_or_else(|| panic!("no line starting with {label:?} in\n{text}"));
    line.trim_start()[label.len()..]
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn teaching_example_prints_traces_and_writes_a_picture() {
    let dir = scratch("example");
    let r = run_in(&dir, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_close(number_after(&r.stdout, "f ="), 1.543_648_211_0, 1e-10);
    assert_close(number_after(&r.stdout, "∂f/∂x1 ="), 0.932_546_2, 1e-7);
    assert_close(number_after(&r.stdout, "∂f/∂x2 ="), 1.088_835_3, 1e-7);
    for line in [
        "v_-1 = x1         = 1.5",
        "v_0  = x2         = 0.5",
        "v_1  = v_-1 + v_0 = 2",
        "v_2  = v_1^2      = 4",
        "v_6  = log(v_5)   = 1.5436482110",
        "v̄_-1 = v̄_3 · v_0 + v̄_1 · 1",
        "v̄_0  = v̄_3 · v_-1 + v̄_1 · 1",
    ] {
        assert!(r.stdout.contains(line), "missing {line:?} in\n{}", r.stdout);
    }
    // The adjoint trace runs from the output back to the inputs.
    let (a, b) = (
        r.stdout.find("v̄_6").unwrap(),
        r.stdout.find("v̄_-1").unwrap(),
    );
    assert!(a < b);
    assert!(r.stdout.contains("|AD − FD|"));
    let svg = std::fs::read_to_string(dir.join("cotangent-example.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("1.5436482110"));

    let again = run_in(&dir, &["example", "-o", "other.svg"]);
    assert_eq!(again.code, 0);
    assert!(dir.join("other.svg").exists());
    let dot = run_in(&dir, &["example", "-o", "other.dot"]);
    assert_eq!(dot.code, 0);
    let dot = std::fs::read_to_string(dir.join("other.dot")).unwrap();
    assert!(dot.starts_with("digraph"), "{dot}");
    let png = run_in(&dir, &["example", "-o", "other.png"]);
    assert_eq!(png.code, 2);
    assert!(
        png.stderr
            .contains("supported extensions are .svg, .dot, .gv, .txt"),
        "{}",
        png.stderr
    );
    assert!(!dir.join("other.png").exists());
}

#[test]
fn unknown_output_extension_is_an_error() {
    let dir = scratch("extension");
    let r = run_in(&dir, &["graph", "x*sin(x)", "--at", "x=2", "-o", "g.png"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "error: cannot tell the format of `g.png` (unknown extension `.png`): \
         supported extensions are .svg, .dot, .gv, .txt, or give --format\n"
    );
    assert!(!dir.join("g.png").exists());
    let r = run_in(&dir, &["graph", "x", "--at", "x=2", "-o", "g"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("(no extension)"), "{}", r.stderr);
    // An explicit --format writes any file name.
    let r = run_in(
        &dir,
        &[
            "graph", "x", "--at", "x=2", "-o", "g.png", "--format", "svg",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let svg = std::fs::read_to_string(dir.join("g.png")).unwrap();
    assert!(svg.starts_with("<svg"));
    let r = run_in(&dir, &["graph", "x", "--at", "x=2", "-o", "G.TXT"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn teaching_example_value_and_gradient_as_json() {
    let r = run(&["diff", "--at", "x1=1.5,x2=0.5", "--json", EXAMPLE]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j = r.json();
    assert_eq!(j["wrt"], serde_json::json!(["x1", "x2"]));
    assert_close(num(&j["value"][0]), 1.543_648_211_0, 1e-10);
    let jac = matrix(&j["jacobian"]);
    assert_close(jac[0][0], 0.932_546_2, 1e-7);
    assert_close(jac[0][1], 1.088_835_3, 1e-7);
    assert_eq!(j["mode"], "reverse");
    assert!(j.get("hessian").is_none() && j.get("diagnostics").is_none());
}

#[test]
fn hessian_of_the_teaching_example() {
    let r = run(&[
        "diff",
        "--at",
        "x1=1.5,x2=0.5",
        "--order",
        "2",
        "--json",
        EXAMPLE,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let h = matrix(&r.json()["hessian"][0]);
    let want = [
        [-0.478_841_158_216_902_3, -0.541_098_030_259_583_8],
        [-0.541_098_030_259_583_8, -1.085_957_591_436_651_7],
    ];
    for i in 0..2 {
        for k in 0..2 {
            assert_close(h[i][k], want[i][k], 1e-10);
        }
    }
}

#[test]
fn tables_print_the_shortest_round_trip_digits() {
    let args = ["diff", "--at", "x1=1.5,x2=0.5", "--order", "2", EXAMPLE];
    let json = run(&[&args[..], &["--json"]].concat()).stdout;
    let text = run(&args).stdout;
    // The number tokens of the JSON text as written (serde_json writes the
    // shortest round-trip form, as Rust's `{}` does): the value, the Jacobian
    // and the Hessian, all too long to survive a cut at 10 decimals.
    let tokens: Vec<&str> = json
        .split(|c: char| "[]{},:\"".contains(c))
        .filter(|t| t.parse::<f64>().is_ok())
        .collect();
    assert_eq!(tokens.len(), 7, "{json}");
    for digits in tokens {
        assert!(digits.len() > 12, "{digits}");
        let v: f64 = digits.parse().unwrap();
        assert_eq!(format!("{v}"), digits);
        assert!(
            text.contains(&format!(" {digits}")),
            "{digits} missing in\n{text}"
        );
    }
    let r = run(&[
        "graph",
        EXAMPLE,
        "--at",
        "x1=1.5,x2=0.5",
        "--format",
        "text",
    ]);
    assert!(
        r.stdout.contains("output: f = v_6 = 1.543648211035159\n"),
        "{}",
        r.stdout
    );
}

#[test]
fn third_and_fourth_derivatives() {
    // f = x1^2 x2^3 at (2, 3): f_x1x1x2 = 6 x2^2 = 54, f_x1x2x2 = 12 x1 x2 = 72,
    // f_x2x2x2 = 6 x1^2 = 24, f_x1x1x2x2 = 12 x2 = 36, f_x1x2x2x2 = 12 x1 = 24.
    let f = "x1^2 * x2**3";
    let r = run(&[
        "diff",
        "--at",
        "x1=2,x2=3",
        "--order",
        "4",
        "--json",
        f,
        "x1 + x2",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j = r.json();
    let d3 = &j["d3"][0];
    let (x1, x2) = (0, 1);
    let at3 = |i: usize, k: usize, l: usize| num(&d3[i][k][l]);
    assert_close(at3(x1, x1, x1), 0.0, 1e-12);
    for (i, k, l) in [(x1, x1, x2), (x1, x2, x1), (x2, x1, x1)] {
        assert_close(at3(i, k, l), 54.0, 1e-12);
    }
    for (i, k, l) in [(x1, x2, x2), (x2, x1, x2), (x2, x2, x1)] {
        assert_close(at3(i, k, l), 72.0, 1e-12);
    }
    assert_close(at3(x2, x2, x2), 24.0, 1e-12);
    let d4 = &j["d4"][0];
    assert_close(num(&d4[x1][x1][x2][x2]), 36.0, 1e-12);
    assert_close(num(&d4[x2][x1][x2][x1]), 36.0, 1e-12);
    assert_close(num(&d4[x1][x2][x2][x2]), 24.0, 1e-12);
    assert_close(num(&d4[x2][x2][x2][x2]), 0.0, 1e-12);
    assert_close(num(&d4[x1][x1][x1][x2]), 0.0, 1e-12);
    // Shapes: 2 outputs, each 2×2×2 (d3) and 2×2×2×2 (d4); the sum's are 0.
    assert_eq!(j["d3"].as_array().unwrap().len(), 2);
    assert_eq!(
        j["d4"][1],
        serde_json::to_value([[[[0.0; 2]; 2]; 2]; 2]).unwrap()
    );
    assert_eq!(matrix(&j["hessian"][0]), [[54.0, 108.0], [108.0, 72.0]]);

    let r = run(&["diff", "--at", "x1=2,x2=3", "--order", "4", f]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("Derivatives of order 3 of x1^2 * x2**3"),
        "{}",
        r.stdout
    );
    assert_close(number_after(&r.stdout, "∂³/∂x1∂x2²"), 72.0, 1e-12);
    assert_close(number_after(&r.stdout, "∂³/∂x1²∂x2"), 54.0, 1e-12);
    assert_close(number_after(&r.stdout, "∂³/∂x2³"), 24.0, 1e-12);
    assert_close(number_after(&r.stdout, "∂⁴/∂x1²∂x2²"), 36.0, 1e-12);
    assert_close(number_after(&r.stdout, "∂⁴/∂x1∂x2³"), 24.0, 1e-12);
    // Each distinct partial once: 4 of order 3, 5 of order 4.
    assert_eq!(r.stdout.matches("∂³/").count(), 4, "{}", r.stdout);
    assert_eq!(r.stdout.matches("∂⁴/").count(), 5, "{}", r.stdout);
    let r = run(&["diff", "--at", "x=1", "--order", "11", "x"]);
    assert_eq!(r.code, 2);
}

#[test]
fn three_outputs_three_inputs() {
    let (x, y, z) = (0.5f64, -1.25f64, 2.0f64);
    let r = run(&[
        "diff",
        "x*y*z",
        "sin(x) + y^2",
        "exp(z - x)",
        "--at",
        "x=0.5,y=-1.25,z=2",
        "--json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j = r.json();
    let want = [
        [y * z, x * z, x * y],
        [x.cos(), 2.0 * y, 0.0],
        [-(z - x).exp(), 0.0, (z - x).exp()],
    ];
    let jac = matrix(&j["jacobian"]);
    assert_eq!(jac.len(), 3);
    for i in 0..3 {
        assert_eq!(jac[i].len(), 3);
        for k in 0..3 {
            assert_close(jac[i][k], want[i][k], 1e-14);
        }
    }
    let values: Vec<f64> = j["value"].as_array().unwrap().iter().map(num).collect();
    assert_eq!(values, [x * y * z, x.sin() + y * y, (z - x).exp()]);
}

#[test]
fn forward_and_reverse_mode_agree() {
    let exprs = [
        "atan2(y, x) * hypot(x, y)",
        "max(x, y) + min(x, 2) - relu(y)",
        "sigmoid(x*y) / softplus(y) + erf(x) + cbrt(y) + log2(x) + log10(x)",
    ];
    let jac = |mode: &str| {
        let mut args = vec!["diff", "--at", "x=0.7,y=1.9", "--json", "--mode", mode];
        args.extend(exprs);
        let r = run(&args);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let j = r.json();
        assert_eq!(j["mode"], mode);
        matrix(&j["jacobian"])
    };
    let (f, b) = (jac("forward"), jac("reverse"));
    for (rf, rb) in f.iter().zip(&b) {
        for (a, c) in rf.iter().zip(rb) {
            assert_close(*a, *c, 1e-13 * a.abs().max(1.0));
        }
    }
    // auto: forward with fewer inputs than outputs, reverse otherwise.
    let r = run(&[
        "diff", "--at", "x=1,y=2", "--wrt", "y", "--json", "x*y", "x+y",
    ]);
    assert_eq!(r.json()["mode"], "forward");
    assert_eq!(matrix(&r.json()["jacobian"]), [[1.0], [1.0]]);
    let r = run(&["diff", "--at", "x=1,y=2", "--json", "x*y", "x+y"]);
    assert_eq!(r.json()["mode"], "reverse");
}

#[test]
fn check_compares_with_finite_differences() {
    let r = run(&[
        "diff",
        "--at",
        "x1=1.5,x2=0.5",
        "--check",
        "--order",
        "2",
        "--json",
        EXAMPLE,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j = r.json();
    assert!(num(&j["check"]) < 1e-8, "{j}");
    assert!(num(&j["check_hessian"]) < 1e-5, "{j}");
    let r = run(&["diff", "--at", "x1=1.5,x2=0.5", "--check", EXAMPLE]);
    assert_eq!(r.code, 0);
    assert!(
        r.stdout.contains("finite-difference check: max error"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("∂/∂x1") && r.stdout.contains("1.5436482110"));
}

#[test]
fn leading_minus_after_double_dash() {
    let r = run(&[
        "diff", "--at", "x=3", "--order", "2", "--json", "--", "-x^2",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout.trim(),
        r#"{"wrt":["x"],"value":[-9.0],"jacobian":[[-6.0]],"hessian":[[[-2.0]]],"mode":"reverse"}"#
    );
    let r = run(&["diff", "--at", "x=3", "-x^2"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--"), "{}", r.stderr);
}

#[test]
fn syntax_error_points_at_the_column() {
    let r = run(&["diff", "--at", "x=1", "x + * 2"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "error: expected an expression, found `*`\n  x + * 2\n      ^\n"
    );
    assert!(r.stdout.is_empty());
}

#[test]
fn unknown_function_is_named() {
    let r = run(&["diff", "--at", "x=1", "x + sinn(x)"]);
    assert_eq!(r.code, 2);
    let (first, hint) = r.stderr.split_at(r.stderr.find("  hint:").unwrap());
    assert_eq!(
        first,
        "error: unknown function `sinn`\n  x + sinn(x)\n      ^^^^\n"
    );
    // The hint lists every function, sorted.
    assert!(
        hint.starts_with("  hint: known functions: abs, acos, acosh, asin, asinh, atan, atan2,"),
        "{hint}"
    );
    assert!(hint.ends_with(", tanh\n"), "{hint}");
    for f in [
        "sin", "erf", "hypot", "floor", "ceil", "round", "sign", "exp2",
    ] {
        assert!(hint.contains(&format!(" {f},")), "{f} in {hint}");
    }
}

#[test]
fn json_errors_are_objects_on_stdout() {
    let r = run(&["diff", "--at", "x=1", "--json", "x + * 2"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.json(),
        serde_json::json!({"error": {
            "message": "expected an expression, found `*`",
            "expression": 0, "column": 4, "length": 1}})
    );
    assert!(
        r.stderr.starts_with("error: expected an expression"),
        "{}",
        r.stderr
    );

    let r = run(&["diff", "--at", "x=1", "--json", "x", "2 * sinn(x)"]);
    assert_eq!(r.code, 2);
    let e = &r.json()["error"];
    assert_eq!(e["message"], "unknown function `sinn`");
    assert_eq!(
        (&e["expression"], &e["column"], &e["length"]),
        (&1.into(), &4.into(), &4.into())
    );
    assert!(e["hint"].as_str().unwrap().contains("sin, sinh"), "{e}");
    assert!(r.stderr.contains("(in expression 2 of 2)"), "{}", r.stderr);

    let r = run(&["diff", "--at", "x=one", "--json", "x"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.json(),
        serde_json::json!({"error": {"message": "malformed --at entry `x=one`: `one` is not a number"}})
    );

    // Errors clap finds in the options, too.
    let r = run(&["diff", "--at", "x=1", "--mode", "sideways", "--json", "x"]);
    assert_eq!(r.code, 2);
    let m = r.json()["error"]["message"].as_str().unwrap().to_string();
    assert!(m.contains("invalid value 'sideways'"), "{m}");
    assert!(r.stderr.contains("sideways"), "{}", r.stderr);
    let r = run(&["diff", "--json"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.json()["error"]["message"],
        "the following required arguments were not provided: <EXPR>..."
    );
    let r = run(&["diff", "--at", "x=1", "--mode", "sideways", "x"]);
    assert_eq!(r.code, 2);
    assert!(r.stdout.is_empty());
}

#[test]
fn double_star_is_power() {
    let r = run(&[
        "diff", "--at", "x=3", "--json", "--", "-x**2", "2**3**2", "x**-1",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j = r.json();
    assert_eq!(j["value"], serde_json::json!([-9.0, 512.0, 1.0 / 3.0]));
    assert_eq!(matrix(&j["jacobian"]), [[-6.0], [0.0], [-1.0 / 9.0]]);
    let r = run(&["diff", "--at", "x=3", "x ** * 2"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("found `*`"), "{}", r.stderr);
}

#[test]
fn rounding_functions_and_exp2() {
    let x = 1.3f64;
    let r = run(&[
        "diff",
        "--at",
        "x=1.3",
        "--json",
        "--check",
        "floor(x) + ceil(x) + round(x) + sign(x) + exp2(x)",
        "round(2.5) + round(-2.5) + ceil(-0.5) + sign(x - 2)",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j = r.json();
    assert_close(num(&j["value"][0]), 1.0 + 2.0 + 1.0 + 1.0 + x.exp2(), 1e-15);
    assert_eq!(num(&j["value"][1]), -1.0, "round half to even");
    let jac = matrix(&j["jacobian"]);
    assert_close(jac[0][0], std::f64::consts::LN_2 * x.exp2(), 1e-15);
    assert_eq!(jac[1][0], 0.0);
    assert!(num(&j["check"]) < 1e-8, "{j}");
}

#[test]
fn variable_without_a_value_is_named() {
    let r = run(&["diff", "--at", "x=1", "--json", "x * y"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("variable `y` has no value"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("  x * y\n      ^\n"), "{}", r.stderr);
    assert_eq!(r.json()["error"]["column"], 4);
    let r = run(&["diff", "x"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("variable `x` has no value"),
        "{}",
        r.stderr
    );
}

#[test]
fn malformed_point_is_named() {
    for (at, want) in [
        ("x1", "malformed --at entry `x1`: expected NAME=VALUE"),
        (
            "x=one",
            "malformed --at entry `x=one`: `one` is not a number",
        ),
        ("x=1,x=2", "`x` is given more than once"),
        ("sin=1", "`sin` is a function"),
    ] {
        let r = run(&["diff", "--at", at, "x"]);
        assert_eq!(r.code, 2, "{at}");
        assert!(r.stderr.contains(want), "{at}: {}", r.stderr);
    }
    let r = run(&["diff", "--at", "x=1", "--wrt", "z", "x"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("`z` has no value"), "{}", r.stderr);
}

#[test]
fn log_of_zero_exits_3_with_diagnostics() {
    let r = run(&["diff", "--at", "x=2,y=0", "--json", "x^2 + log(y)", "x"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    let j = r.json();
    assert!(j["value"][0].is_null());
    assert_eq!(num(&j["value"][1]), 2.0);
    let d = &j["diagnostics"][0];
    assert_eq!(d["output"], 0);
    assert_eq!(d["stage"], "value");
    assert_eq!(d["primitive"], "log");
    assert_eq!(d["column"], 6);
    assert_eq!(d["text"], "log(y)");
    assert_eq!(d["inputs"], serde_json::json!([0.0]));
    assert_eq!(d["produced"], "-inf");
    assert_eq!(j["diagnostics"].as_array().unwrap().len(), 1);

    let r = run(&["diff", "--at", "x=0", "log(x)"]);
    assert_eq!(r.code, 3);
    assert!(r.stdout.contains("-inf"), "{}", r.stdout);
    assert!(
        r.stderr
            .contains("diagnostic: `log` gives -inf for input 0\n  log(x)\n  ^^^^^^"),
        "{}",
        r.stderr
    );
}

#[test]
fn infinite_derivative_names_the_rule() {
    let r = run(&["diff", "--at", "x=0", "--json", "1 + sqrt(x)"]);
    assert_eq!(r.code, 3);
    let j = r.json();
    assert_eq!(num(&j["value"][0]), 1.0);
    assert!(j["jacobian"][0][0].is_null());
    let d = &j["diagnostics"][0];
    assert_eq!(
        (&d["stage"], &d["primitive"]),
        (&"derivative".into(), &"sqrt".into())
    );
    assert_eq!(d["column"], 4);
}

#[test]
fn deeply_nested_expression() {
    let depth = 3_000;
    let src = format!("{}x{}", "sin(".repeat(depth), ")".repeat(depth));
    let r = run(&["diff", "--at", "x=0.5", "--json", &src]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j = r.json();
    let (mut v, mut d) = (0.5f64, 1.0f64);
    for _ in 0..depth {
        d *= v.cos();
        v = v.sin();
    }
    assert_eq!(num(&j["value"][0]), v);
    assert_close(num(&j["jacobian"][0][0]), d, 1e-12 * d.abs());
    let r = run(&[
        "diff", "--at", "x=0.5", "--mode", "forward", "--order", "2", "--json", &src,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_close(num(&r.json()["jacobian"][0][0]), d, 1e-12 * d.abs());
}

#[test]
fn very_wide_sum() {
    let terms: Vec<String> = (0..20_000).map(|i| format!("{}*x", i % 7)).collect();
    let src = terms.join(" + ");
    let r = run(&["diff", "--at", "x=1.5", "--json", "--check", &src]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j = r.json();
    let slope: f64 = (0..20_000).map(|i| f64::from(i % 7)).sum();
    assert_eq!(num(&j["jacobian"][0][0]), slope);
    assert_close(num(&j["value"][0]), 1.5 * slope, 1e-9 * slope);
    assert!(num(&j["check"]) < 1e-6);
    let sum = vec!["x"; 20_000].join(" + ");
    let r = run(&["diff", "--at", "x=2", "--mode", "forward", "--json", &sum]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(num(&r.json()["jacobian"][0][0]), 20_000.0);
}

#[test]
fn graph_in_three_formats() {
    let dir = scratch("graph");
    let r = run_in(
        &dir,
        &[
            "graph",
            EXAMPLE,
            "--at",
            "x1=1.5,x2=0.5",
            "--format",
            "text",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    // x1 is one node used by two operations.
    let x1: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.split_whitespace().nth(1) == Some("x1"))
        .collect();
    assert_eq!(x1.len(), 1, "{}", r.stdout);
    assert!(
        x1[0].contains("0.93254619978734") && x1[0].ends_with("v_1, v_3"),
        "{}",
        x1[0]
    );

    let r = run_in(
        &dir,
        &["graph", EXAMPLE, "--at", "x1=1.5,x2=0.5", "-o", "g.dot"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let dot = std::fs::read_to_string(dir.join("g.dot")).unwrap();
    assert_eq!(dot.matches(" -> ").count(), 9);

    let r = run_in(&dir, &["graph", EXAMPLE, "--at", "x1=1.5,x2=0.5"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("<svg"));
    assert_eq!(r.stdout.matches("<rect x=").count(), 8);

    let r = run_in(
        &dir,
        &["graph", "log(x - 1)", "--at", "x=1", "--format", "text"],
    );
    assert_eq!(r.code, 3);
    assert!(r.stderr.contains("`log` gives -inf"), "{}", r.stderr);
}

#[test]
fn graph_edges_carry_local_partials() {
    let dir = scratch("partials");
    let r = run_in(
        &dir,
        &["graph", EXAMPLE, "--at", "x1=1.5,x2=0.5", "-o", "g.dot"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let dot = std::fs::read_to_string(dir.join("g.dot")).unwrap();
    // Nodes n0..n7 are v_-1 = x1, v_0 = x2, v_1 = v_-1 + v_0, v_2 = v_1^2,
    // v_3 = v_-1 · v_0, v_4 = sin(v_3), v_5 = v_2 + v_4, v_6 = log(v_5).
    let edge = |a: usize, b: usize| -> f64 {
        let prefix = format!("  n{a} -> n{b} [label=\"");
        let line = dot
            .lines()
            .find(|l| l.starts_with(&prefix))
            .unwrap_or_else(|| panic!("{dot}"));
        line[prefix.len()..]
            .split('"')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    assert_close(edge(4, 5), 0.731_688_868_9, 1e-10); // ∂sin(v_3)/∂v_3 = cos(0.75)
    assert_eq!((edge(0, 4), edge(1, 4)), (0.5, 1.5)); // ∂(x1·x2)/∂x1 = x2, /∂x2 = x1
    assert_eq!(edge(2, 3), 4.0); // ∂v_1²/∂v_1 = 2·v_1
    let v5 = 4.0 + 0.75f64.sin();
    assert_close(edge(6, 7), 1.0 / v5, 1e-10);
    // The adjoint of x1 is the sum over its two edges: v̄_1 · 1 + v̄_3 · x2.
    let v1_bar = edge(6, 7) * edge(3, 6) * edge(2, 3);
    let v3_bar = edge(6, 7) * edge(5, 6) * edge(4, 5);
    assert_close(v1_bar * edge(0, 2) + v3_bar * edge(0, 4), 0.932_546_2, 1e-7);

    let r = run_in(&dir, &["graph", EXAMPLE, "--at", "x1=1.5,x2=0.5"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout.matches("<text class=\"partial\"").count(), 9);
    assert!(r.stdout.contains(">0.7316888689</text>"), "{}", r.stdout);
}

#[test]
fn graph_ir_lists_the_traced_value_and_gradient() {
    let r = run(&["graph", EXAMPLE, "--at", "x1=1.5,x2=0.5", "--format", "ir"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("# outputs: f, df/dx1, df/dx2"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("graph(%0: f64[], %1: f64[]) {"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("= log %"), "{}", r.stdout);
    let ret = r
        .stdout
        .lines()
        .find(|l| l.trim().starts_with("return"))
        .unwrap();
    assert_eq!(ret.matches('%').count(), 3, "{ret}");

    let r = run(&[
        "graph",
        EXAMPLE,
        "--at",
        "x1=1.5,x2=0.5",
        "--format",
        "ir-dot",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("digraph graph_ir"), "{}", r.stdout);
}
