//! The functional optimizers (`cotangent_nn::optax`) against the stateful ones (`Sgd`, `Adam`,
//! `AdamW`, `clip_grad_norm`) for five steps on a two-layer model, in f64 and f32, fed the same
//! gradients; and a whole training step (loss, gradient, update, `apply_updates`) under
//! `tree::jit` against the eager loop, traced once. The measured differences are printed
//! (`cargo test --test optax -- --nocapture`).

use std::cell::Cell;

use cotangent::tree::{self, Tree};
use cotangent::{DType, Tensor};
use cotangent_nn::optax::{self, GradientTransformation};
use cotangent_nn::{
    Activation, Adam, AdamW, Init, Linear, Module, Optimizer, Sequential, Sgd, clip_grad_norm, loss,
};

#[derive(Clone, Module)]
struct Net {
    fc1: Linear,
    fc2: Linear,
}

impl Net {
    fn new(dtype: DType) -> Net {
        let mut init = Init::new(7, dtype);
        let mut fc1 = Linear::new(3, 5, &mut init);
        // Non-zero biases, so that weight decay acts on every leaf.
        fc1.bias = Some(Tensor::randn(&[5], 11, dtype) * 0.1);
        Net {
            fc1,
            fc2: Linear::new(5, 2, &mut init),
        }
    }

    fn forward(&self, x: &Tensor) -> Tensor {
        self.fc2.forward(&self.fc1.forward(x).tanh())
    }
}

struct Data {
    x: Tensor,
    y: Tensor,
}

impl Data {
    fn new(dtype: DType) -> Data {
        Data {
            x: Tensor::randn(&[8, 3], 1, dtype),
            y: Tensor::randn(&[8, 2], 2, dtype),
        }
    }

    fn loss(&self, m: &Net) -> Tensor {
        (m.forward(&self.x) - &self.y).square().mean()
    }
}

/// The largest absolute difference between the leaves of two trees.
fn max_diff<T: Tree>(a: &T, b: &T) -> f64 {
    tree::tree_zip(a, b)
        .iter()
        .flat_map(|(x, y)| {
            x.to_f64_vec()
                .into_iter()
                .zip(y.to_f64_vec())
                .map(|(p, q)| (p - q).abs())
                .collect::<Vec<_>>()
        })
        .fold(0.0, f64::max)
}

/// How the stateful side treats the gradients before its optimizer (clipping or not).
type Pre = fn(&[Tensor]) -> Vec<Tensor>;

fn no_pre(g: &[Tensor]) -> Vec<Tensor> {
    g.to_vec()
}

fn clip_pre(g: &[Tensor]) -> Vec<Tensor> {
    clip_grad_norm(g, 0.05).0
}

/// Five steps of `functional` and of `stateful` from the same model; the largest parameter
/// difference over all steps.
fn compare<G, O>(dtype: DType, functional: G, mut stateful: O, pre: Pre) -> f64
where
    G: GradientTransformation<Net>,
    O: Optimizer,
{
    let data = Data::new(dtype);
    let grad = tree::grad(|m: &Net| data.loss(m));
    let (mut fm, mut sm) = (Net::new(dtype), Net::new(dtype));
    let mut state = functional.init(&fm);
    let mut worst = 0.0f64;
    for _ in 0..5 {
        let g = grad(&fm);
        let (u, s) = functional.update(&g, &state, &fm);
        fm = optax::apply_updates(&fm, &u);
        state = s;

        let g = pre(&tree::flatten(&grad(&sm)));
        let mut ps = tree::flatten(&sm);
        stateful.step(&mut ps, &g);
        sm = tree::unflatten(&sm, ps);

        worst = worst.max(max_diff(&fm, &sm));
    }
    let start = Net::new(dtype);
    assert!(max_diff(&fm, &start) > 1e-3, "the parameters moved");
    worst
}

/// Compare in f64 and f32 and check the differences against the bounds. SGD is bit-identical
/// (bound 0). Adam's bias correction `1 - βᵗ` is `pow` on a tensor here and `powi` on the host
/// there (the last bit of f64 can differ), and AdamW's decay is an update `-s - lr·wd·p` added to
/// `p` instead of `p·(1 - lr·wd) - s`: a few ulps.
fn check<G, O>(name: &str, functional: G, stateful: O, pre: Pre, tol64: f64, tol32: f64)
where
    G: GradientTransformation<Net> + Clone,
    O: Optimizer + Clone,
{
    let d64 = compare(DType::F64, functional.clone(), stateful.clone(), pre);
    let d32 = compare(DType::F32, functional, stateful, pre);
    println!("{name}: functional vs stateful, max |Δp| over 5 steps: f64 {d64:e}, f32 {d32:e}");
    assert!(d64 <= tol64, "{name} f64: {d64:e} > {tol64:e}");
    assert!(d32 <= tol32, "{name} f32: {d32:e} > {tol32:e}");
}

#[test]
fn sgd_matches_the_stateful_sgd() {
    check("sgd", optax::sgd(0.1), Sgd::new(0.1), no_pre, 0.0, 0.0);
    check(
        "sgd + weight decay",
        optax::sgd(0.1).weight_decay(0.01),
        Sgd::new(0.1).weight_decay(0.01),
        no_pre,
        0.0,
        0.0,
    );
}

#[test]
fn sgd_momentum_matches_the_stateful_sgd() {
    check(
        "sgd momentum",
        optax::sgd(0.1).momentum(0.9),
        Sgd::new(0.1).momentum(0.9),
        no_pre,
        0.0,
        0.0,
    );
    check(
        "sgd momentum + dampening + weight decay",
        optax::sgd(0.1)
            .momentum(0.9)
            .dampening(0.2)
            .weight_decay(0.01),
        Sgd::new(0.1)
            .momentum(0.9)
            .dampening(0.2)
            .weight_decay(0.01),
        no_pre,
        0.0,
        0.0,
    );
}

#[test]
fn sgd_nesterov_matches_the_stateful_sgd() {
    check(
        "sgd nesterov",
        optax::sgd(0.1).momentum(0.9).nesterov(true),
        Sgd::new(0.1).momentum(0.9).nesterov(true),
        no_pre,
        0.0,
        0.0,
    );
}

#[test]
fn adam_matches_the_stateful_adam() {
    check(
        "adam",
        optax::adam(0.01),
        Adam::new(0.01),
        no_pre,
        1e-15,
        2.5e-7,
    );
    check(
        "adam + L2 weight decay",
        optax::adam(0.01)
            .betas(0.8, 0.99)
            .eps(1e-6)
            .weight_decay(0.1),
        Adam::new(0.01).betas(0.8, 0.99).eps(1e-6).weight_decay(0.1),
        no_pre,
        1e-15,
        2.5e-7,
    );
}

#[test]
fn adamw_matches_the_stateful_adamw() {
    check(
        "adamw",
        optax::adamw(0.01).weight_decay(0.1),
        AdamW::new(0.01, 0.1),
        no_pre,
        1e-15,
        2.5e-7,
    );
}

#[test]
fn clip_then_adam_matches_clip_grad_norm_then_adam() {
    check(
        "clip + adam",
        optax::chain(optax::clip_by_global_norm(0.05), optax::adam(0.01)),
        Adam::new(0.01),
        clip_pre,
        1e-15,
        2.5e-7,
    );
}

#[test]
fn clip_by_global_norm_matches_clip_grad_norm() {
    for dtype in [DType::F64, DType::F32] {
        let g = Net::new(dtype);
        for max in [0.1, 1.0, 100.0] {
            let (c, ()) = optax::clip_by_global_norm(max).update(&g, &(), &g);
            let (s, norm) = clip_grad_norm(&tree::flatten(&g), max);
            assert_eq!(optax::global_norm(&g).item::<f64>(), norm);
            assert_eq!(max_diff(&c, &tree::unflatten(&g, s)), 0.0, "{dtype} {max}");
        }
    }
    // A non-finite norm leaves the gradients alone, as `clip_grad_norm` does.
    let g = vec![Tensor::from_vec(vec![f64::INFINITY, 1.0], &[2])];
    let (c, ()) = optax::clip_by_global_norm(1.0).update(&g, &(), &g);
    assert_eq!(c[0].to_vec::<f64>(), vec![f64::INFINITY, 1.0]);
}

/// Five eager steps and five jitted steps of the whole training step; the largest parameter
/// difference, and how many times the jitted step was traced.
fn jit_vs_eager<G: GradientTransformation<Net>>(opt: G) -> (f64, usize) {
    let data = Data::new(DType::F64);
    let train_step = |(m, s): &(Net, G::State)| {
        let (l, g) = tree::value_and_grad(|m: &Net| data.loss(m))(m);
        let (u, s) = opt.update(&g, s, m);
        (optax::apply_updates(m, &u), s, l)
    };
    let traces = Cell::new(0usize);
    let jitted = tree::jit(|ms: &(Net, G::State)| {
        traces.set(traces.get() + 1);
        train_step(ms)
    });
    let m0 = Net::new(DType::F64);
    let s0 = opt.init(&m0);
    let (mut eager, mut staged) = ((m0.clone(), s0.clone()), (m0, s0));
    let mut worst = 0.0f64;
    for step in 0..5u8 {
        let (m, s, le) = train_step(&eager);
        eager = (m, s);
        let (m, s, lj) = jitted(&staged);
        staged = (m, s);
        assert_eq!(staged.1.clone().count_of(), f64::from(step + 1));
        worst = worst
            .max(max_diff(&eager.0, &staged.0))
            .max((le.item::<f64>() - lj.item::<f64>()).abs());
    }
    worst = worst.max(max_diff(&eager.1, &staged.1));
    (worst, traces.get())
}

/// The step count of a state, wherever it sits.
trait CountOf {
    fn count_of(self) -> f64;
}

impl<T: Tree> CountOf for T {
    fn count_of(self) -> f64 {
        let paths = tree::paths(&self);
        let leaves = tree::flatten(&self);
        let i = paths
            .iter()
            .position(|p| p == "count" || p.ends_with(".count"))
            .expect("a count leaf");
        leaves[i].item::<f64>()
    }
}

/// An optimizer's name and its jit-vs-eager run.
type Case = (&'static str, Box<dyn Fn() -> (f64, usize)>);

#[test]
fn a_jitted_training_step_matches_the_eager_loop_and_traces_once() {
    let cases: [Case; 4] = [
        ("adam", Box::new(|| jit_vs_eager(optax::adam(0.01)))),
        (
            "adamw",
            Box::new(|| jit_vs_eager(optax::adamw(0.01).weight_decay(0.1))),
        ),
        (
            "sgd momentum",
            Box::new(|| jit_vs_eager(optax::sgd(0.1).momentum(0.9).dampening(0.1))),
        ),
        (
            "clip + adam",
            Box::new(|| {
                jit_vs_eager(optax::chain(
                    optax::clip_by_global_norm(0.05),
                    optax::adam(0.01),
                ))
            }),
        ),
    ];
    for (name, run) in cases {
        let (diff, traces) = run();
        println!("{name}: jit vs eager, max difference over 5 steps (f64): {diff:e}");
        assert_eq!(traces, 1, "{name}: traced {traces} times");
        assert!(diff <= 1e-14, "{name}: {diff:e}");
    }
}

#[test]
fn states_are_trees_named_like_the_parameters() {
    let m = Net::new(DType::F32);
    let s = optax::adam(1e-3).init(&m);
    assert_eq!(
        tree::paths(&s),
        [
            "count",
            "mu.fc1.weight",
            "mu.fc1.bias",
            "mu.fc2.weight",
            "mu.fc2.bias",
            "nu.fc1.weight",
            "nu.fc1.bias",
            "nu.fc2.weight",
            "nu.fc2.bias",
        ]
    );
    assert_eq!(s.count.dtype(), DType::F64);
    assert_eq!(s.mu.fc1.weight.dtype(), DType::F32);
    let chained = optax::chain(
        optax::clip_by_global_norm(1.0),
        optax::sgd(0.1).momentum(0.9),
    );
    let s = chained.init(&m);
    assert_eq!(tree::paths(&s)[..2], ["1.count", "1.trace.fc1.weight"]);
}

#[test]
#[should_panic(expected = "Nesterov needs a non-zero momentum")]
fn nesterov_without_momentum_is_refused() {
    let p = Tensor::scalar(1.0);
    let _ = optax::sgd(0.1).nesterov(true).init(&p);
}

#[test]
fn update_is_differentiable() {
    // One SGD step on f(p) = p²: p' = (1 - 2·lr)·p, so d f(p')/dp = 2·(1 - 2·lr)²·p.
    let (lr, p) = (0.1, 1.5);
    let opt = optax::sgd(lr);
    let after_one_step = |p: &Tensor| {
        let g = tree::grad(|p: &Tensor| p.square())(p);
        let (u, _) = opt.update(&g, &opt.init(p), p);
        optax::apply_updates(p, &u).square()
    };
    let d = tree::grad(after_one_step)(&Tensor::scalar(p)).item::<f64>();
    let expected = 2.0 * (1.0 - 2.0 * lr) * (1.0 - 2.0 * lr) * p;
    assert!((d - expected).abs() < 1e-12, "{d} vs {expected}");
}

#[test]
fn a_sequential_trains_under_a_jitted_optax_step_in_f32() {
    let mut init = Init::new(3, DType::F32);
    let net = Sequential::new()
        .append(Linear::new(3, 8, &mut init))
        .append(Activation::Tanh)
        .append(Linear::new(8, 2, &mut init));
    let data = Data::new(DType::F32);
    let opt = optax::chain(optax::clip_by_global_norm(1.0), optax::adamw(0.05));
    type State = <optax::Chain<optax::ClipByGlobalNorm, optax::Adam> as GradientTransformation<
        Sequential,
    >>::State;
    let train_step = |(m, s): &(Sequential, State)| {
        let (l, g) =
            tree::value_and_grad(|m: &Sequential| loss::mse(&m.forward(&data.x), &data.y))(m);
        let (u, s) = opt.update(&g, s, m);
        (optax::apply_updates(m, &u), s, l)
    };
    let traces = Cell::new(0);
    let jitted = tree::jit(|ms: &(Sequential, State)| {
        traces.set(traces.get() + 1);
        train_step(ms)
    });
    let s0 = opt.init(&net);
    let (mut eager, mut staged) = ((net.clone(), s0.clone()), (net, s0));
    let mut losses = Vec::new();
    let mut worst = 0.0f64;
    for _ in 0..20 {
        let (m, s, _) = train_step(&eager);
        eager = (m, s);
        let (m, s, l) = jitted(&staged);
        staged = (m, s);
        losses.push(l.item::<f32>());
        worst = worst.max(max_diff(&eager.0, &staged.0));
    }
    println!("Sequential, clip + adamw, f32: jit vs eager, max |Δp| over 20 steps: {worst:e}");
    assert_eq!(traces.get(), 1);
    assert!(losses[19] < losses[0], "{losses:?}");
    assert!(worst <= 1e-5, "{worst:e}");
    assert_eq!(tree::paths(&staged.0)[0], "0.weight");
}
