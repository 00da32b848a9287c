//! Unit tests: precedence, numbers, functions, spans, printing and errors.

use std::collections::HashMap;

use super::*;

/// Fully parenthesized prefix form of a subtree, for comparing shapes.
pub(super) fn sexp(e: &Expr, id: NodeId) -> String {
    match &e.node(id).kind {
        NodeKind::Num(v) => format!("{v}"),
        NodeKind::Const(c) => c.name().to_string(),
        NodeKind::Var(name) => name.clone(),
        NodeKind::Unary(UnOp::Neg, a) => format!("(neg {})", sexp(e, *a)),
        NodeKind::Unary(UnOp::Plus, a) => format!("(pos {})", sexp(e, *a)),
        NodeKind::Binary(op, a, b) => {
            format!("({} {} {})", op.symbol(), sexp(e, *a), sexp(e, *b))
        }
        NodeKind::Call(f, args) => {
            let args: Vec<String> = args.iter().map(|&a| sexp(e, a)).collect();
            format!("({} {})", f.name(), args.join(" "))
        }
    }
}

fn tree(src: &str) -> String {
    let e = parse(src).unwrap_or_else(|err| panic!("{}", err.render(src)));
    sexp(&e, e.root)
}

fn eval(src: &str, vars: &[(&str, f64)]) -> f64 {
    let vars: HashMap<String, f64> = vars.iter().map(|&(k, v)| (k.to_string(), v)).collect();
    parse(src).unwrap().eval_f64(&vars)
}

fn fails(src: &str) -> ParseError {
    match parse(src) {
        Ok(e) => panic!("`{src}` parsed as {}", sexp(&e, e.root)),
        Err(err) => err,
    }
}

/// Asserts the error's message, column and length.
fn check_err(src: &str, message: &str, column: usize, len: usize) {
    let err = fails(src);
    assert_eq!(
        (err.message.as_str(), err.column, err.len),
        (message, column, len),
        "for `{src}`"
    );
}

#[test]
fn precedence_and_associativity() {
    let table = [
        ("-x^2", "(neg (^ x 2))"),
        ("2^3^2", "(^ 2 (^ 3 2))"),
        ("x^-1", "(^ x (neg 1))"),
        ("x^-y^2", "(^ x (neg (^ y 2)))"),
        ("x^-y*2", "(* (^ x (neg y)) 2)"),
        ("a-b-c", "(- (- a b) c)"),
        ("a/b/c", "(/ (/ a b) c)"),
        ("a*b/c*d", "(* (/ (* a b) c) d)"),
        ("a-b+c", "(+ (- a b) c)"),
        ("-2^2", "(neg (^ 2 2))"),
        ("2*-3", "(* 2 (neg 3))"),
        ("+x", "(pos x)"),
        ("a+b*c", "(+ a (* b c))"),
        ("-a*b", "(* (neg a) b)"),
        ("--x", "(neg (neg x))"),
        ("a - -b", "(- a (neg b))"),
        ("a--b", "(- a (neg b))"),
        ("-+-x", "(neg (pos (neg x)))"),
        ("(a+b)*c", "(* (+ a b) c)"),
        ("(-2)^2", "(^ (neg 2) 2)"),
        ("a^b^c^d", "(^ a (^ b (^ c d)))"),
        ("(a^b)^c", "(^ (^ a b) c)"),
        ("a*b^c", "(* a (^ b c))"),
        ("-sin(x)^2", "(neg (^ (sin x) 2))"),
        ("pi*r^2", "(* pi (^ r 2))"),
        ("e^x", "(^ e x)"),
        ("atan2(y - 1, -x)", "(atan2 (- y 1) (neg x))"),
        (" \t2 *\n( x ) ", "(* 2 x)"),
        // `**` is `^`: same precedence, same right associativity.
        ("-x**2", "(neg (^ x 2))"),
        ("2**3**2", "(^ 2 (^ 3 2))"),
        ("2**3^2", "(^ 2 (^ 3 2))"),
        ("x**-y*2", "(* (^ x (neg y)) 2)"),
        ("a*b**c", "(* a (^ b c))"),
    ];
    for (src, want) in table {
        assert_eq!(tree(src), want, "for `{src}`");
    }
}

#[test]
fn evaluation() {
    assert_eq!(eval("2^3^2", &[]), 512.0);
    assert_eq!(eval("-2^2", &[]), -4.0);
    assert_eq!(eval("2*-3", &[]), -6.0);
    assert_eq!(eval("a-b-c", &[("a", 10.0), ("b", 3.0), ("c", 2.0)]), 5.0);
    assert_eq!(eval("a/b/c", &[("a", 12.0), ("b", 3.0), ("c", 2.0)]), 2.0);
    assert_eq!(eval("x^-1", &[("x", 4.0)]), 0.25);
    assert_eq!(eval("+x", &[("x", 4.0)]), 4.0);
    assert_eq!(eval("pi", &[]), std::f64::consts::PI);
    assert_eq!(eval("e", &[]), std::f64::consts::E);
    assert!(eval("x + 1", &[]).is_nan(), "a missing variable is NaN");
}

#[test]
fn numbers() {
    let table = [
        ("2", 2.0),
        ("0.5", 0.5),
        ("1e-3", 1e-3),
        (".5", 0.5),
        ("2.", 2.0),
        ("1E+5", 1e5),
        ("2.e1", 20.0),
        (".5e1", 5.0),
        ("007", 7.0),
        ("1e-999", 0.0),
        ("123.456E2", 12345.6),
    ];
    for (src, want) in table {
        assert_eq!(
            parse(src).unwrap().nodes[0].kind,
            NodeKind::Num(want),
            "for `{src}`"
        );
    }
}

#[test]
fn variables_constants_and_order() {
    let e = parse("y + x*y + pi*z + e + sinh2 + _a1").unwrap();
    assert_eq!(e.variables(), ["y", "x", "z", "sinh2", "_a1"]);
    assert_eq!(tree("pi"), "pi");
    assert_eq!(tree("PI"), "PI", "names are case-sensitive");
    assert!(parse("2 + 3").unwrap().variables().is_empty());
}

#[test]
fn every_function_parses_with_its_arity() {
    assert_eq!(Func::ALL.len(), 35);
    for &f in Func::ALL {
        assert_eq!(Func::from_name(f.name()), Some(f));
        assert!((3..=8).contains(&f.name().len()), "see Func::from_name");
        let (good, bad) = match f.arity() {
            1 => (format!("{}(x)", f.name()), format!("{}(x, y)", f.name())),
            2 => (format!("{}(x, y)", f.name()), format!("{}(x)", f.name())),
            n => panic!("unexpected arity {n}"),
        };
        let e = parse(&good).unwrap();
        match &e.node(e.root).kind {
            NodeKind::Call(g, args) => assert_eq!((*g, args.len()), (f, f.arity())),
            other => panic!("{good} parsed as {other:?}"),
        }
        let err = fails(&bad);
        assert!(
            err.message.contains(&format!("`{}` takes", f.name())),
            "{err}"
        );
        assert_eq!((err.column, err.len), (0, f.name().len()));
        let err = fails(&format!("{}()", f.name()));
        assert!(err.message.ends_with("but 0 were given"), "{err}");
    }
    let two: Vec<&str> = Func::ALL
        .iter()
        .filter(|f| f.arity() == 2)
        .map(|f| f.name())
        .collect();
    assert_eq!(two, ["pow", "atan2", "max", "min", "hypot"]);
}

#[test]
fn function_values() {
    let close = |src: &str, want: f64| {
        let got = eval(src, &[]);
        assert!(
            (got - want).abs() <= 1e-15 * want.abs().max(1.0),
            "{src} = {got}, want {want}"
        );
    };
    close("sigmoid(0)", 0.5);
    close("sigmoid(-800)", 0.0);
    close("relu(-1) + relu(2)", 2.0);
    close("softplus(0)", std::f64::consts::LN_2);
    close("softplus(800)", 800.0);
    close("erf(0.5)", 0.520_499_877_813_046_5);
    close("erf(1)", 0.842_700_792_949_714_9);
    close("erf(-2)", -0.995_322_265_018_952_7);
    close("erf(3.5)", 0.999_999_256_901_627_7);
    close("erf(10)", 1.0);
    close("hypot(3, 4)", 5.0);
    close("atan2(1, 1)", std::f64::consts::FRAC_PI_4);
    close("max(2, 3) + min(2, 3)", 5.0);
    close("pow(2, 10)", 1024.0);
    close("log(e) + log2(8) + log10(1000) + log1p(0) + expm1(0)", 7.0);
    close("sqrt(16) + cbrt(27) + abs(-1)", 8.0);
    close("exp2(10) + exp2(-1)", 1024.5);
    close("floor(1.5) + floor(-1.5)", -1.0);
    close("ceil(1.5) + ceil(-1.5)", 1.0);
    close("round(2.5) + round(3.5) + round(-0.5) + round(1.4)", 7.0);
    close("sign(3) + sign(-2) + sign(0)", 0.0);
    assert!(eval("sign(x)", &[("x", f64::NAN)]).is_nan());
    assert!(eval("sign(-0)", &[]).is_sign_negative());
}

#[test]
fn spans() {
    let e = parse("-x^2").unwrap();
    assert_eq!(e.node(e.root).span, (0, 4));
    let e = parse("2 * ( x + 1 )").unwrap();
    let NodeKind::Binary(_, a, b) = e.node(e.root).kind else {
        panic!()
    };
    assert_eq!((e.node(a).span, e.node(b).span), ((0, 1), (4, 13)));
    let e = parse("-(x)").unwrap();
    assert_eq!(e.node(e.root).span, (0, 4));
    let e = parse(" sin ( x ) ").unwrap();
    assert_eq!(e.node(e.root).span, (1, 10));
}

#[test]
fn children_precede_parents() {
    let e = parse("atan2(-x^2, sin(y) / (1 + z)) - 3").unwrap();
    for (i, node) in e.nodes.iter().enumerate() {
        assert!(node.kind.children().all(|c| c.index() < i));
    }
    assert_eq!(e.root.index(), e.nodes.len() - 1);
}

#[test]
fn display_is_minimal_and_reparses() {
    let table = [
        ("-x^2", "-x^2"),
        ("(-x)^2", "(-x)^2"),
        ("2^(3^2)", "2^3^2"),
        ("(2^3)^2", "(2^3)^2"),
        ("x^(-1)", "x^-1"),
        ("((a-b))-c", "a - b - c"),
        ("a-(b-c)", "a - (b - c)"),
        ("a/(b*c)", "a / (b * c)"),
        ("a*(-b)", "a * -b"),
        ("a-(-b)", "a - -b"),
        ("-(a+b)", "-(a + b)"),
        ("atan2( y,x )+ +x", "atan2(y, x) + +x"),
        ("1e300 * 1e-300 * 0.1", "1e300 * 1e-300 * 0.1"),
        (
            "2. + .5 + 1E+5 + 1000 + 0.001",
            "2 + 0.5 + 1e5 + 1000 + 0.001",
        ),
        ("1.5e-7 + 123456789012", "1.5e-7 + 123456789012"),
        ("pi * e", "pi * e"),
    ];
    for (src, want) in table {
        let e = parse(src).unwrap();
        assert_eq!(e.to_string(), want, "for `{src}`");
        assert!(parse(want).unwrap().same_tree(&e), "for `{src}`");
    }
}

#[test]
fn display_of_hand_built_negative_number() {
    let e = Expr {
        nodes: vec![
            Node {
                kind: NodeKind::Num(-2.0),
                span: (0, 0),
            },
            Node {
                kind: NodeKind::Num(2.0),
                span: (0, 0),
            },
            Node {
                kind: NodeKind::Binary(BinOp::Pow, NodeId(0), NodeId(1)),
                span: (0, 0),
            },
        ],
        root: NodeId(2),
    };
    assert_eq!(e.to_string(), "(-2)^2");
    assert_eq!(e.eval_f64(&HashMap::new()), 4.0);
}

#[test]
fn error_cases() {
    check_err("x $ y", "unexpected character `$`", 2, 1);
    check_err("x + é", "unexpected character `é`", 4, 2);
    check_err(".", "unexpected character `.`", 0, 1);
    check_err("", "expected an expression, found end of input", 0, 0);
    check_err("x +", "expected an expression, found end of input", 3, 0);
    check_err(
        "x + \t ",
        "expected an expression, found end of input",
        3,
        0,
    );
    check_err("  ", "expected an expression, found end of input", 0, 0);
    check_err("x + * y", "expected an expression, found `*`", 4, 1);
    check_err("x + ** y", "expected an expression, found `**`", 4, 2);
    check_err("x * * y", "expected an expression, found `*`", 4, 1);
    check_err("x *** y", "expected an expression, found `*`", 4, 1);
    check_err("()", "expected an expression, found `)`", 1, 1);
    check_err("sin(x,)", "expected an expression, found `)`", 6, 1);
    check_err("x y", "expected an operator, found `y`", 2, 1);
    check_err("2 (x)", "expected an operator, found `(`", 2, 1);
    check_err("(x + 1", "unclosed `(`", 0, 1);
    check_err("((x)", "unclosed `(`", 0, 1);
    check_err("sin(x", "unclosed `(` in call to `sin`", 3, 1);
    check_err("x + 1)", "unmatched `)`", 5, 1);
    check_err("(x))", "unmatched `)`", 3, 1);
    check_err("x, y", "unexpected `,` outside a function call", 1, 1);
    check_err("(x, y)", "unexpected `,` outside a function call", 2, 1);
    check_err("sinn(x) + 1", "unknown function `sinn`", 0, 4);
    check_err("1 + foo (x)", "unknown function `foo`", 4, 3);
    check_err("pi(2)", "`pi` is a constant, not a function", 0, 2);
    check_err(
        "atan2(x)",
        "`atan2` takes 2 arguments but 1 was given",
        0,
        5,
    );
    check_err(
        "2*sin(x, y)",
        "`sin` takes 1 argument but 2 were given",
        2,
        3,
    );
    check_err(
        "hypot()",
        "`hypot` takes 2 arguments but 0 were given",
        0,
        5,
    );
    check_err(
        "sin + 1",
        "function `sin` must be called with parentheses, as in `sin(x)`",
        0,
        3,
    );
    check_err(
        "2 * max",
        "function `max` must be called with parentheses, as in `max(x, y)`",
        4,
        3,
    );
    check_err("1.2.3", "malformed number `1.2.3`", 0, 5);
    check_err(
        "x + 2e",
        "malformed number `2e`: the exponent has no digits",
        4,
        2,
    );
    check_err(
        "1e+ 2",
        "malformed number `1e+`: the exponent has no digits",
        0,
        3,
    );
    check_err(
        "3x",
        "malformed number `3x`; use `*` to multiply, as in `3*x`",
        0,
        2,
    );
    check_err("1e999", "number `1e999` is too large", 0, 5);
}

#[test]
fn unknown_function_lists_the_known_ones() {
    let err = fails("2 * sinn(x)");
    let hint = err.hint.expect("a hint");
    assert!(
        hint.starts_with("known functions: abs, acos, acosh, asin,"),
        "{hint}"
    );
    for &f in Func::ALL {
        assert!(hint.contains(&format!(" {},", f.name())) || hint.ends_with(f.name()));
    }
    assert!(hint.contains("floor") && hint.contains("exp2"), "{hint}");
    assert_eq!(fails("pi(2)").hint, None);
}

#[test]
fn leftmost_error_wins() {
    check_err(") $", "expected an expression, found `)`", 0, 1);
    check_err("sinn(x) $", "unknown function `sinn`", 0, 4);
    check_err("x $ sinn(", "unexpected character `$`", 2, 1);
}

#[test]
fn render_points_at_the_span() {
    let src = "sinn(x) + 1";
    assert_eq!(
        fails(src).render(src),
        "error: unknown function `sinn`\n  sinn(x) + 1\n  ^^^^"
    );
    let hint = format!("\n  hint: known functions: {}", Func::known_names());
    assert_eq!(
        fails(src).render_with_hint(src),
        format!("error: unknown function `sinn`\n  sinn(x) + 1\n  ^^^^{hint}")
    );
    let src = "x +";
    assert_eq!(fails(src).render_with_hint(src), fails(src).render(src));
    let src = "x +";
    assert_eq!(
        fails(src).render(src),
        "error: expected an expression, found end of input\n  x +\n     ^"
    );
    let src = "x +\t$ é";
    assert_eq!(
        fails(src).render(src),
        "error: unexpected character `$`\n  x + $ é\n      ^"
    );
    let src = "(é) + 1";
    assert_eq!(
        fails(src).render(src),
        "error: unexpected character `é`\n  (é) + 1\n   ^"
    );
    let src = "atan2(x) * 2";
    assert_eq!(
        fails(src).render(src),
        "error: `atan2` takes 2 arguments but 1 was given\n  atan2(x) * 2\n  ^^^^^"
    );
    assert_eq!(
        fails("x $").to_string(),
        "unexpected character `$` at column 2"
    );
}
