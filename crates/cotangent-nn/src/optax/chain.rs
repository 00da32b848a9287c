//! [`chain`]: two transformations one after the other (optax's `chain`); nest it for more.

use cotangent::tree::Tree;

use super::GradientTransformation;

/// `a` then `b`, built by [`chain`]: `b` receives `a`'s updates as its gradients. The state is
/// the pair of both states.
///
/// ```
/// use cotangent::Tensor;
/// use cotangent_nn::optax::{self, GradientTransformation};
/// let opt = optax::chain(optax::clip_by_global_norm(1.0), optax::sgd(0.1));
/// let p = Tensor::scalar(0.0);
/// let (u, _) = opt.update(&Tensor::scalar(5.0), &opt.init(&p), &p);
/// assert_eq!(u.item::<f64>(), -0.1); // clipped to 1, then scaled by -lr
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Chain<A, B> {
    /// The first transformation.
    pub first: A,
    /// The second, fed the first's updates.
    pub second: B,
}

/// `a` followed by `b`: `chain(clip_by_global_norm(1.0), adam(1e-3))` clips, then runs Adam on
/// the clipped gradients. Three or more: `chain(a, chain(b, c))`.
///
/// ```
/// use cotangent::Tensor;
/// use cotangent_nn::optax::{self, GradientTransformation};
/// let opt = optax::chain(
///     optax::clip_by_global_norm(1.0),
///     optax::chain(optax::sgd(1.0), optax::sgd(0.5)),
/// );
/// let p = Tensor::scalar(0.0);
/// let (u, _) = opt.update(&Tensor::scalar(0.5), &opt.init(&p), &p);
/// assert_eq!(u.item::<f64>(), 0.25); // 0.5 → -0.5 → 0.25
/// ```
pub fn chain<A, B>(a: A, b: B) -> Chain<A, B> {
    Chain {
        first: a,
        second: b,
    }
}

impl<P: Tree, A: GradientTransformation<P>, B: GradientTransformation<P>> GradientTransformation<P>
    for Chain<A, B>
{
    type State = (A::State, B::State);

    fn init(&self, params: &P) -> Self::State {
        (self.first.init(params), self.second.init(params))
    }

    #[track_caller]
    fn update(&self, grads: &P, state: &Self::State, params: &P) -> (P, Self::State) {
        let (u, sa) = self.first.update(grads, &state.0, params);
        let (u, sb) = self.second.update(&u, &state.1, params);
        (u, (sa, sb))
    }
}
