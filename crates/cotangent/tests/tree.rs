//! Trees: derive, flatten/unflatten, and every tree-accepting transformation checked against
//! the slice-based API it wraps (or a hand-derived value).

use std::cell::Cell;
use std::collections::{BTreeMap, HashMap};

use cotangent::tree::{self, Axes, Tree};
use cotangent::{grad_n, hessian, jacfwd, value_and_grad_n, DType, Tensor};

#[derive(Clone, Tree)]
struct Layer {
    w: Tensor,
    b: Option<Tensor>,
    width: usize,
}

#[derive(Clone, Tree)]
struct Model {
    layers: Vec<Layer>,
    scale: f64,
    #[tree(skip)]
    note: std::rc::Rc<str>,
}

fn model() -> Model {
    let l = |n: usize, seed: u64, bias: bool| Layer {
        w: Tensor::randn(&[n, n], seed, DType::F64),
        b: bias.then(|| Tensor::randn(&[n], seed + 100, DType::F64)),
        width: n,
    };
    Model {
        layers: vec![l(3, 1, true), l(3, 2, false), l(3, 3, true)],
        scale: 0.5,
        note: "demo".into(),
    }
}

fn forward(m: &Model, x: &Tensor) -> Tensor {
    let mut h = x.clone();
    for l in &m.layers {
        h = h.matmul(&l.w);
        if let Some(b) = &l.b {
            h += b;
        }
        h = h.tanh();
    }
    h * m.scale
}

/// Slice `i` of `t` along `axis`, that axis dropped.
fn at(t: &Tensor, axis: usize, i: usize) -> Tensor {
    let mut dims = t.dims().to_vec();
    dims.remove(axis);
    t.narrow(axis as isize, i, 1).reshape(&dims)
}

fn close(a: &Tensor, b: &Tensor, tol: f64) {
    assert_eq!(a.dims(), b.dims());
    for (x, y) in a.to_vec::<f64>().iter().zip(b.to_vec::<f64>()) {
        assert!((x - y).abs() <= tol * (1.0 + y.abs()), "{x} vs {y}");
    }
}

#[test]
fn derive_lists_leaves_by_field_and_skips_static_data() {
    let m = model();
    assert_eq!(
        tree::paths(&m),
        [
            "layers.0.w",
            "layers.0.b",
            "layers.1.w",
            "layers.2.w",
            "layers.2.b"
        ]
    );
    assert_eq!(tree::num_leaves(&m), 5);
    let doubled = tree::tree_map(&m, |t| t * 2.0);
    close(&doubled.layers[2].w, &(&m.layers[2].w * 2.0), 0.0);
    assert_eq!((doubled.scale, doubled.layers[1].width), (0.5, 3));
    assert_eq!(&*doubled.note, "demo");
    let back = tree::unflatten(&m, tree::flatten(&doubled));
    close(
        &back.layers[0].b.clone().unwrap(),
        &doubled.layers[0].b.clone().unwrap(),
        0.0,
    );
    let Err(e) = tree::try_unflatten(&m, tree::flatten(&m).into_iter().skip(1)) else {
        panic!("too few leaves accepted")
    };
    assert!(e.to_string().contains("5 leaves but 4 tensors"), "{e}");
}

#[test]
fn hash_maps_flatten_in_key_order_whatever_the_insertion_order() {
    let mut a = HashMap::new();
    let mut b = HashMap::new();
    for k in ["z", "a", "m", "q", "c"] {
        a.insert(k.to_string(), Tensor::scalar(k.as_bytes()[0] as f64));
    }
    for k in ["c", "q", "m", "a", "z"] {
        b.insert(k.to_string(), Tensor::scalar(k.as_bytes()[0] as f64));
    }
    assert_eq!(tree::paths(&a), ["a", "c", "m", "q", "z"]);
    let sum = tree::tree_map2(&a, &b, |x, y| x + y);
    assert_eq!(sum["q"].item::<f64>(), 2.0 * b'q' as f64);
    let bt: BTreeMap<String, Tensor> = a.clone().into_iter().collect();
    assert_eq!(tree::paths(&bt), tree::paths(&a));
}

#[test]
#[should_panic(expected = "leaf 1 is `1` in one and `1.0` in the other")]
fn zipping_trees_of_different_shape_names_the_leaf() {
    let a = (Tensor::scalar(1.0), Tensor::scalar(2.0));
    let b = (Tensor::scalar(1.0), vec![Tensor::scalar(2.0)]);
    let _ = tree::tree_zip(&a, &b);
}

#[test]
fn tree_grad_equals_grad_n_over_the_flattened_leaves() {
    let m = model();
    let x = Tensor::randn(&[4, 3], 7, DType::F64);
    let loss = |m: &Model| forward(m, &x).square().sum();
    let (v, g) = tree::value_and_grad(loss)(&m);
    let flat = |ps: &[Tensor]| loss(&tree::unflatten(&m, ps.to_vec()));
    let (v2, g2) = value_and_grad_n(flat)(&tree::flatten(&m));
    close(&v, &v2, 0.0);
    for (a, b) in tree::flatten(&g).iter().zip(&g2) {
        close(a, b, 0.0);
    }
    assert!(g.layers[1].b.is_none());
    assert_eq!(g.scale, 0.5);
    // Second order: grad of a function built from tree::grad.
    let p = (Tensor::scalar(1.5), Tensor::scalar(0.5));
    let gx1 = |p: &(Tensor, Tensor)| tree::grad(teaching)(p).0;
    let d2 = tree::grad(gx1)(&p);
    let h = hessian(|v: &Tensor| teaching(&(at(v, 0, 0), at(v, 0, 1))))(&Tensor::from_vec(
        vec![1.5, 0.5],
        &[2],
    ));
    close(&d2.0, &at(&h, 0, 0).narrow(0, 0, 1).reshape(()), 1e-12);
    close(&d2.1, &at(&h, 0, 0).narrow(0, 1, 1).reshape(()), 1e-12);
}

fn teaching(p: &(Tensor, Tensor)) -> Tensor {
    ((&p.0 + &p.1).square() + (&p.0 * &p.1).sin()).log()
}

#[test]
fn teaching_example_on_a_tuple() {
    let (v, g) = tree::value_and_grad(teaching)(&(Tensor::scalar(1.5), Tensor::scalar(0.5)));
    assert!((v.item::<f64>() - 1.5436482110).abs() < 1e-9);
    assert!((g.0.item::<f64>() - 0.9325462).abs() < 1e-7);
    assert!((g.1.item::<f64>() - 1.0888353).abs() < 1e-7);
}

#[test]
fn aux_outputs_come_back_undifferentiated_and_argnums_skips_integer_data() {
    let w = Tensor::from_vec(vec![1.0, -2.0], &[2]);
    let labels = Tensor::from_vec(vec![1i64, 0], &[2]);
    let f = |(w, labels): &(Tensor, Tensor)| {
        let pred = w.square();
        let loss = (&pred * &labels.cast(DType::F64)).sum();
        (loss, (pred, labels.clone()))
    };
    // argnums: only w is differentiated; the i64 labels ride along.
    let loss_only = |p: &(Tensor, Tensor)| f(p).0;
    let (v, g) = tree::value_and_grad_argnums(loss_only, &[0])(&(w.clone(), labels.clone()));
    assert_eq!(v.item::<f64>(), 1.0);
    assert_eq!(g.0.to_vec::<f64>(), vec![2.0, 0.0]);
    assert_eq!(g.1.dtype(), DType::I64);
    // Differentiating the labels is refused by path.
    let e = tree::try_grad(loss_only, &(w.clone(), labels.clone())).unwrap_err();
    assert!(e.to_string().contains("leaf `1` is i64"), "{e}");
    // has_aux over w alone.
    let ((loss, (pred, l)), gw) =
        tree::value_and_grad_with_aux(|w: &Tensor| f(&(w.clone(), labels.clone())))(&w);
    assert_eq!(loss.item::<f64>(), 1.0);
    assert_eq!(pred.to_vec::<f64>(), vec![1.0, 4.0]);
    assert_eq!(l.to_vec::<i64>(), vec![1, 0]);
    assert_eq!(gw.to_vec::<f64>(), vec![2.0, 0.0]);
    assert!(!pred.is_tracked(), "aux leaves leave the level");
}

#[test]
fn vmap_takes_in_axes_as_a_tree_prefix() {
    let m = model();
    let batch = BTreeMap::from([
        ("x".to_string(), Tensor::randn(&[5, 3], 11, DType::F64)),
        ("y".to_string(), Tensor::randn(&[3, 5], 12, DType::F64)),
    ]);
    let loss = |(m, b): &(Model, BTreeMap<String, Tensor>)| {
        (forward(m, &b["x"].reshape(&[1, 3])).reshape(&[3]) - &b["y"])
            .square()
            .sum()
    };
    // Model shared; x batched on axis 0, y on axis 1.
    let axes = Axes::from([Axes::from(None), Axes::from([Some(0), Some(1)])]);
    let per_example = tree::vmap(tree::grad_argnums(loss, &[0]), axes, 0);
    let g = per_example(&(m.clone(), batch.clone()));
    for i in 0..5 {
        let one = BTreeMap::from([
            ("x".to_string(), at(&batch["x"], 0, i)),
            ("y".to_string(), at(&batch["y"], 1, i)),
        ]);
        let gi = tree::grad_argnums(loss, &[0])(&(m.clone(), one));
        for (a, b) in tree::flatten(&g.0).iter().zip(tree::flatten(&gi.0)) {
            close(&at(a, 0, i), &b, 1e-12);
        }
    }
    // A prefix with the wrong number of children names them.
    let bad = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        tree::vmap(loss, [None, Some(0), Some(0)], 0)(&(m.clone(), batch.clone()))
    }));
    let msg = *bad.unwrap_err().downcast::<String>().unwrap();
    assert!(
        msg.contains("3 entries here but the tree has 2 children"),
        "{msg}"
    );
}

#[test]
fn jit_over_trees_traces_once_per_structure_and_static_data() {
    let traces = Cell::new(0);
    let x = Tensor::randn(&[4, 3], 5, DType::F64);
    let step = tree::jit(|m: &Model| {
        traces.set(traces.get() + 1);
        let g = tree::grad(|m: &Model| forward(m, &x).square().sum())(m);
        tree::tree_map2(m, &g, |p, g| p - &(g * 0.1))
    });
    let m0 = model();
    let eager = {
        let g = tree::grad(|m: &Model| forward(m, &x).square().sum())(&m0);
        tree::tree_map2(&m0, &g, |p, g| p - &(g * 0.1))
    };
    let a = step(&m0);
    let b = step(&a);
    assert_eq!(traces.get(), 1, "same structure and static data: one trace");
    for (p, q) in tree::flatten(&a).iter().zip(tree::flatten(&eager)) {
        close(p, &q, 1e-12);
    }
    assert_eq!(tree::num_leaves(&b), 5);
    let mut other = m0.clone();
    other.scale = 2.0;
    let _ = step(&other);
    assert_eq!(traces.get(), 2, "a changed static number retraces");
    other.layers.pop();
    let c = step(&other);
    assert_eq!(
        (traces.get(), c.layers.len()),
        (3, 2),
        "a changed structure retraces"
    );
}

#[test]
fn jvp_vjp_and_linearize_between_trees_match_the_slice_api() {
    let p = (Tensor::scalar(1.5), vec![Tensor::scalar(0.5)]);
    let f = |p: &(Tensor, Vec<Tensor>)| (teaching(&(p.0.clone(), p.1[0].clone())), &p.0 * 3.0);
    let t = (Tensor::scalar(1.0), vec![Tensor::scalar(2.0)]);
    let ((y, y2), (ty, ty2)) = tree::jvp(f, &p, &t);
    let (_, want) = cotangent::jvp(
        |xs: &[Tensor]| teaching(&(xs[0].clone(), xs[1].clone())),
        &[Tensor::scalar(1.5), Tensor::scalar(0.5)],
        &[Tensor::scalar(1.0), Tensor::scalar(2.0)],
    );
    assert!((y.item::<f64>() - 1.5436482110).abs() < 1e-9);
    close(&ty, &want, 1e-14);
    assert_eq!((y2.item::<f64>(), ty2.item::<f64>()), (4.5, 3.0));
    let (_, pb) = tree::vjp(f, &p);
    let g = pb.call(&(Tensor::scalar(1.0), Tensor::scalar(0.0)));
    assert!((g.0.item::<f64>() - 0.9325462).abs() < 1e-7);
    assert!((g.1[0].item::<f64>() - 1.0888353).abs() < 1e-7);
    let g = pb.call(&(Tensor::scalar(0.0), Tensor::scalar(1.0)));
    assert_eq!((g.0.item::<f64>(), g.1[0].item::<f64>()), (3.0, 0.0));
    let (_, lin) = tree::linearize(f, &p);
    let (l1, l2) = lin.call(&t);
    close(&l1, &want, 1e-14);
    assert_eq!(l2.item::<f64>(), 3.0);
}

#[test]
fn tree_jacobians_and_hessian_blocks_match_the_raveled_ones() {
    let p = (Tensor::from_vec(vec![0.3, -0.7], &[2]), Tensor::scalar(1.2));
    let f = |p: &(Tensor, Tensor)| (&p.0 * &p.1).sin() + p.0.square();
    let jr = tree::jacrev(f)(&p);
    let jf = tree::jacfwd(f)(&p);
    let (flat, un) = tree::ravel(&p);
    let full = jacfwd(|v: &Tensor| f(&un.call(v)))(&flat); // [2, 3]
    assert_eq!(
        (jr.0.dims(), jr.1.dims()),
        (&[2usize, 2][..], &[2usize][..])
    );
    close(&jr.0, &full.narrow(1, 0, 2), 1e-14);
    close(&jr.1, &full.narrow(1, 2, 1).reshape(&[2]), 1e-14);
    close(&jf.0, &jr.0, 1e-14);
    let s = |p: &(Tensor, Tensor)| f(p).sum();
    let h = tree::hessian(s)(&p);
    let hf = hessian(|v: &Tensor| s(&un.call(v)))(&flat); // [3, 3]
    assert_eq!(h[0][1].dims(), &[2]);
    close(&h[0][0], &hf.narrow(0, 0, 2).narrow(1, 0, 2), 1e-13);
    close(
        &h[1][0],
        &hf.narrow(0, 2, 1).narrow(1, 0, 2).reshape(&[2]),
        1e-13,
    );
    close(
        &h[1][1],
        &hf.narrow(0, 2, 1).narrow(1, 2, 1).reshape(()),
        1e-13,
    );
}

#[test]
fn control_flow_on_tree_carries_differentiates_and_compiles() {
    // An RNN over a sequence with a (hidden, count) carry and per-step (out, hidden) outputs.
    let w = Tensor::from_vec(vec![0.5, -0.3, 0.2, 0.4], &[2, 2]);
    let xs = Tensor::randn(&[6, 2], 3, DType::F64);
    let rnn = |w: &Tensor| {
        let init = (Tensor::zeros(&[2], DType::F64), Tensor::scalar(0.0));
        let ((h, n), (outs, _)) = tree::scan(
            |(h, n): &(Tensor, Tensor), x: &Tensor| {
                let h = (h.matmul(w) + x).tanh();
                ((h.clone(), n + 1.0), (h.sum(), h))
            },
            &init,
            &xs,
        );
        assert_eq!(outs.dims(), &[6]);
        (h.sum() + outs.sum()) * &n
    };
    let slice = |ws: &[Tensor]| {
        let (c, ys) = cotangent::scan(
            |c, x| {
                let h = (c[0].matmul(&ws[0]) + &x[0]).tanh();
                (vec![h.clone(), &c[1] + 1.0], vec![h.sum()])
            },
            &[Tensor::zeros(&[2], DType::F64), Tensor::scalar(0.0)],
            &[xs.clone()],
        );
        (c[0].sum() + ys[0].sum()) * &c[1]
    };
    let g = tree::grad(rnn)(&w);
    close(&g, &grad_n(slice)(&[w.clone()])[0], 1e-12);
    let gj = tree::jit(move |w: &Tensor| tree::grad(rnn)(w))(&w);
    close(&gj, &g, 1e-12);
    // while_loop / fori_loop / cond with tuple carries, traced under jit.
    let f = tree::jit(|x: &Tensor| {
        let (y, k) = tree::while_loop(
            |(y, _): &(Tensor, Tensor)| y.lt(&Tensor::scalar(50.0)),
            |(y, k): &(Tensor, Tensor)| (y * 2.0, k + 1.0),
            &(x.clone(), Tensor::scalar(0.0)),
        );
        let (a, _) = tree::fori_loop(
            0,
            3,
            |_, (a, b): &(Tensor, Tensor)| (a + b, b.clone()),
            &(y, k.clone()),
        );
        tree::cond(
            &k.gt(&Tensor::scalar(3.0)),
            |a: &Tensor| a * -1.0,
            |a: &Tensor| a.clone(),
            &a,
        )
    });
    // 3 → 6 → 12 → 24 → 48 → 96: five doublings, then 96 + 3·5 = 111, negated as k > 3.
    assert_eq!(f(&Tensor::scalar(3.0)).item::<f64>(), -111.0);
    assert_eq!(f(&Tensor::scalar(40.0)).item::<f64>(), 83.0);
}

#[test]
fn checkpoint_and_custom_vjp_on_trees() {
    let p = (Tensor::scalar(0.7), Tensor::scalar(-1.1));
    let block = tree::checkpoint(teaching_pos);
    let g = tree::grad(|p: &(Tensor, Tensor)| block(p))(&p);
    let want = tree::grad(teaching_pos)(&p);
    close(&g.0, &want.0, 1e-14);
    close(&g.1, &want.1, 1e-14);
    let scaled = tree::custom_vjp(
        teaching_pos,
        |p: &(Tensor, Tensor), _y: &Tensor, u: &Tensor| {
            let g = tree::grad(teaching_pos)(p);
            (&g.0 * u * 2.0, &g.1 * u * 2.0)
        },
    );
    let g2 = tree::grad(|p: &(Tensor, Tensor)| scaled(p))(&p);
    close(&g2.0, &(&want.0 * 2.0), 1e-14);
    close(&g2.1, &(&want.1 * 2.0), 1e-14);
}

fn teaching_pos(p: &(Tensor, Tensor)) -> Tensor {
    (p.0.square() + p.1.square() + 1.0).log() * &p.0
}
