//! Deep and wide inputs (no recursion) and property tests:
//! random trees survive print-and-reparse, and no input makes `parse` panic.

use std::collections::HashMap;

use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, RngSeed};

use super::tests::sexp;
use super::*;

/// Parses `src` on a thread with a deliberately small stack (256 KiB), so any
/// recursion proportional to depth would overflow. Also prints, re-parses,
/// evaluates and drops the tree on that thread. (No timing is asserted: the
/// small stack is what catches recursion.)
fn parse_deep(src: String, x: f64) -> f64 {
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || {
            let e = parse(&src).unwrap_or_else(|err| panic!("{err}"));
            let again = parse(&e.to_string()).unwrap();
            assert!(again.same_tree(&e));
            let vars = HashMap::from([("x".to_string(), x)]);
            e.eval_f64(&vars)
        })
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn deeply_nested_calls() {
    for depth in [3_000, 100_000] {
        let src = format!("{}x{}", "sin(".repeat(depth), ")".repeat(depth));
        let want = (0..depth).fold(0.5f64, |v, _| v.sin());
        assert_eq!(parse_deep(src, 0.5), want);
    }
}

#[test]
fn deeply_nested_parentheses() {
    let n = 100_000;
    let src = format!("{}x{}", "(".repeat(n), ")".repeat(n));
    assert_eq!(parse_deep(src, 7.0), 7.0);
}

#[test]
fn long_chain_of_unary_minus() {
    assert_eq!(parse_deep(format!("{}x", "-".repeat(100_000)), 3.0), 3.0);
    assert_eq!(parse_deep(format!("{}x", "-".repeat(100_001)), 3.0), -3.0);
}

#[test]
fn wide_sum_and_long_power_tower() {
    let sum = vec!["x"; 20_000].join(" + ");
    assert_eq!(parse_deep(sum, 1.5), 30_000.0);
    let tower = vec!["x"; 30_000].join("^");
    assert_eq!(parse_deep(tower, 1.0), 1.0);
}

#[test]
fn deep_errors_are_reported_not_overflowed() {
    let n = 100_000;
    let err = parse(&format!("{}x", "sin(".repeat(n))).unwrap_err();
    assert_eq!(err.column, 4 * n - 1, "the innermost unclosed `(`");
    let err = parse(&format!("x{}", ")".repeat(n))).unwrap_err();
    assert_eq!((err.message.as_str(), err.column), ("unmatched `)`", 1));
}

/// A test-only tree with ordinary ownership, turned into an arena below.
#[derive(Clone, Debug)]
enum T {
    Num(f64),
    Const(Const),
    Var(&'static str),
    Unary(UnOp, Box<T>),
    Binary(BinOp, Box<T>, Box<T>),
    Call(Func, Vec<T>),
}

fn to_expr(t: &T) -> Expr {
    fn push(t: &T, nodes: &mut Vec<Node>) -> NodeId {
        let kind = match t {
            T::Num(v) => NodeKind::Num(*v),
            T::Const(c) => NodeKind::Const(*c),
            T::Var(v) => NodeKind::Var(v.to_string()),
            T::Unary(op, a) => NodeKind::Unary(*op, push(a, nodes)),
            T::Binary(op, a, b) => {
                let a = push(a, nodes);
                NodeKind::Binary(*op, a, push(b, nodes))
            }
            T::Call(f, args) => NodeKind::Call(*f, args.iter().map(|a| push(a, nodes)).collect()),
        };
        nodes.push(Node { kind, span: (0, 0) });
        NodeId(nodes.len() - 1)
    }
    let mut nodes = Vec::new();
    let root = push(t, &mut nodes);
    Expr { nodes, root }
}

fn number() -> impl Strategy<Value = f64> {
    prop_oneof![
        (0u32..1000).prop_map(f64::from),
        0.0f64..10.0,
        any::<f64>().prop_filter_map("finite", |v| v.is_finite().then(|| v.abs())),
    ]
}

fn tree() -> impl Strategy<Value = T> {
    let leaf = prop_oneof![
        number().prop_map(T::Num),
        select(vec![Const::Pi, Const::E]).prop_map(T::Const),
        select(vec!["x", "y", "z_1", "alpha", "_t"]).prop_map(T::Var),
    ];
    leaf.prop_recursive(10, 128, 1, |inner| {
        prop_oneof![
            (select(vec![UnOp::Neg, UnOp::Plus]), inner.clone())
                .prop_map(|(op, a)| T::Unary(op, Box::new(a))),
            (
                select(vec![
                    BinOp::Add,
                    BinOp::Sub,
                    BinOp::Mul,
                    BinOp::Div,
                    BinOp::Pow
                ]),
                inner.clone(),
                inner.clone(),
            )
                .prop_map(|(op, a, b)| T::Binary(op, Box::new(a), Box::new(b))),
            (select(Func::ALL.to_vec()), inner.clone(), inner)
                .prop_map(|(f, a, b)| T::Call(f, [a, b][..f.arity()].to_vec())),
        ]
    })
}

fn config() -> Config {
    Config {
        cases: 2000,
        rng_seed: RngSeed::Fixed(0xc07a_6e27),
        failure_persistence: None,
        ..Config::default()
    }
}

fn same_value(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// Checks everything that must hold for a successful parse of `src`.
fn check_parsed(src: &str, e: &Expr) {
    for (i, node) in e.nodes.iter().enumerate() {
        assert!(node.kind.children().all(|c| c.index() < i), "child order");
        // A node's span is the source of exactly that subtree.
        let (s, t) = node.span;
        let sub = parse(&src[s..t]).unwrap();
        assert!(
            sub.subtree_eq(sub.root, e, NodeId(i)),
            "span of node {i} in `{src}`"
        );
    }
    let printed = e.to_string();
    let again = parse(&printed).unwrap();
    assert!(again.same_tree(e), "`{src}` printed as `{printed}`");
    assert_eq!(again.to_string(), printed);
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn random_trees_round_trip(t in tree()) {
        let e = to_expr(&t);
        let printed = e.to_string();
        let parsed = parse(&printed).map_err(|err| TestCaseError::fail(err.render(&printed)))?;
        prop_assert!(
            parsed.same_tree(&e),
            "`{}` re-parsed as {}, want {}", printed, sexp(&parsed, parsed.root), sexp(&e, e.root)
        );
        let vars = HashMap::from([
            ("x".to_string(), 0.7), ("y".to_string(), -1.3),
            ("z_1".to_string(), 2.0), ("alpha".to_string(), 0.25), ("_t".to_string(), 3.0),
        ]);
        prop_assert!(same_value(parsed.eval_f64(&vars), e.eval_f64(&vars)));
        prop_assert_eq!(parsed.variables(), e.variables());
        check_parsed(&printed, &parsed);
    }

    #[test]
    fn no_string_of_language_chars_panics(src in "[0-9a-zA-Z_+*/^()., \t.-]{0,64}") {
        check_any(&src);
    }

    #[test]
    fn no_token_soup_panics(parts in prop::collection::vec(select(vec![
        "sin", "atan2", "pi", "e", "x", "y2", "2", ".5", "1e", "1e-3", "3.", "(", ")",
        ",", "+", "-", "*", "/", "^", " ", "$", "é",
    ]), 0..40)) {
        check_any(&parts.concat());
    }

    #[test]
    fn no_printable_ascii_panics(src in "[ -~]{0,64}") {
        check_any(&src);
    }
}

/// Parses arbitrary input: success must satisfy [`check_parsed`], failure
/// must point inside the source and render.
fn check_any(src: &str) {
    match parse(src) {
        Ok(e) => {
            check_parsed(src, &e);
            let _ = e.eval_f64(&HashMap::new());
        }
        Err(err) => {
            assert!(err.column + err.len <= src.len(), "{err:?} in `{src}`");
            assert!(src.is_char_boundary(err.column));
            assert!(src.is_char_boundary(err.column + err.len));
            assert!(err.render(src).starts_with("error: "));
        }
    }
}
