"""Reference values and gradients for crates/cotangent/tests/ops_reference.rs, from JAX in f64.

Run with JAX_ENABLE_X64=1 (checked below) and paste the printed `CASES` table into the Rust
test, between its `BEGIN GENERATED` and `END GENERATED` lines:

    JAX_ENABLE_X64=1 python crates/cotangent/tests/reference/ops_reference.py

Each case names an op (the Rust test maps the name to the same op of cotangent), its inputs
(flat values and a shape), the flattened output and, for differentiable cases, the gradient
of sum(w * f(x)) with respect to every input, with weights w_k = 1 + k/10 over the flattened
output (so a misplaced derivative shows).

Convolutions, pooling and the normalization layers (the `Torch` cases) are computed with
PyTorch's `torch.nn.functional` in f64 instead (JAX has no single function with PyTorch's
conv_transpose arguments), the gradients by `torch.autograd`. Both libraries are in the
benchmark peers' virtualenv (benches/peers/requirements.txt).
"""

import jax

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

inf, nan = np.inf, np.nan


class Torch:
    """A case computed by PyTorch: `f` takes and returns torch tensors."""

    def __init__(self, f):
        self.f = f


def vals(shape, seed):
    """Deterministic inputs in about [-1.5, 1.5], distinct in every element."""
    n = int(np.prod(shape))
    return (1.5 * np.sin(0.7 * np.arange(n) + seed) + 0.01 * np.arange(n)).reshape(shape)


def pos(shape, seed):
    """Deterministic inputs in about [0.5, 2.5] (variances)."""
    return 1.5 + vals(shape, seed) / 1.5


def stack2(gs):
    return jnp.stack(gs)


CASES = [
    # name, function, inputs (arrays), differentiable
    ("clip", lambda x: jnp.clip(x, 0.5, 2.0), [[-1.0, 0.5, 1.0, 1.5, 2.0, 3.0]], True),
    ("clamp_t", lambda x, lo, hi: jnp.clip(x, lo, hi),
     [[0.0, 1.0, 2.0, 3.0, 2.5], [1.0, 1.0, 1.0, 1.0, 1.0], [2.0, 2.0, 2.5, 2.5, 2.5]], True),
    ("prod zero", jnp.prod, [[2.0, 0.0, 3.0]], True),
    ("prod two zeros", jnp.prod, [[0.0, 0.0, 3.0]], True),
    ("prod odd", jnp.prod, [[1.5, -2.0, 0.5, 3.0, 1.25]], True),
    ("prod axis 1", lambda x: jnp.prod(x, axis=1),
     [np.array([[1.5, 0.0, 2.0], [0.5, -3.0, 4.0]])], True),
    ("prod keepdim 0", lambda x: jnp.prod(x, axis=0, keepdims=True),
     [np.array([[1.5, 0.0, 2.0], [0.5, -3.0, 4.0]])], True),
    ("cumsum 1", lambda x: jax.lax.cumsum(x, axis=1),
     [np.array([[1.0, 2.0, 3.5], [-1.0, 0.25, 4.0]])], True),
    ("cumsum reverse 0", lambda x: jax.lax.cumsum(x, axis=0, reverse=True),
     [np.array([[1.0, 2.0, 3.5], [-1.0, 0.25, 4.0]])], True),
    ("cumprod zero", lambda x: jax.lax.cumprod(x, axis=0), [[2.0, 0.0, 3.0, 4.0, 0.5]], True),
    ("cumprod reverse", lambda x: jax.lax.cumprod(x, axis=0, reverse=True),
     [[2.0, 0.0, 3.0, 4.0, 0.5, -1.5]], True),
    ("cumprod 2d", lambda x: jax.lax.cumprod(x, axis=1),
     [np.array([[1.5, 0.0, 2.0, 3.0], [0.5, -3.0, 4.0, 0.0]])], True),
    ("cummax ties", lambda x: jax.lax.cummax(x, axis=0), [[1.0, 1.0, 1.0, 1.0, 1.0]], True),
    ("cummax mixed", lambda x: jax.lax.cummax(x, axis=0),
     [[1.0, 3.0, 2.0, 3.0, 0.5, 3.0, 4.0]], True),
    ("cummax reverse", lambda x: jax.lax.cummax(x, axis=0, reverse=True),
     [[2.0, 1.0, 2.0, 0.0, 2.0]], True),
    ("cummin", lambda x: jax.lax.cummin(x, axis=0), [[3.0, 1.0, 2.0, 1.0, 0.5, 0.5]], True),
    ("argmin", lambda x: jnp.argmin(x, axis=1).astype(jnp.float64),
     [np.array([[1.0, 0.0, 0.0], [2.0, 5.0, -1.0], [nan, 1.0, 0.0]])], False),
    ("min axes ties", lambda x: jnp.min(x, axis=1),
     [np.array([[1.0, 1.0, 2.0], [0.0, 3.0, 0.0]])], True),
    ("min all", jnp.min, [np.array([[1.0, 0.5, 2.0], [0.5, 3.0, 0.75]])], True),
    ("std", jnp.std, [[1.0, 2.0, 4.0, 7.0]], True),
    ("std constant", jnp.std, [[3.0, 3.0, 3.0]], True),
    ("std axis keepdim", lambda x: jnp.std(x, axis=1, keepdims=True),
     [np.array([[1.0, 2.0, 4.0], [0.5, -3.0, 4.0]])], True),
    ("std ddof 1", lambda x: jnp.std(x, axis=0, ddof=1),
     [np.array([[1.0, 2.0, 4.0], [0.5, -3.0, 4.0], [2.0, 2.0, 1.0]])], True),
    ("flip", lambda x: jnp.flip(x, (0, 1)), [np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])], True),
    ("roll 2", lambda x: jnp.roll(x, 2, axis=0), [[1.0, 2.0, 3.0, 4.0, 5.0]], True),
    ("roll -1 axis 1", lambda x: jnp.roll(x, -1, axis=1),
     [np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])], True),
    ("tril 0", lambda x: jnp.tril(x, 0), [np.arange(1.0, 13.0).reshape(3, 4)], True),
    ("tril -1", lambda x: jnp.tril(x, -1), [np.arange(1.0, 13.0).reshape(3, 4)], True),
    ("triu 1", lambda x: jnp.triu(x, 1), [np.arange(1.0, 13.0).reshape(3, 4)], True),
    ("tril_indices 4 -1", lambda x: jnp.concatenate(
        [jnp.array(i, jnp.float64) for i in jnp.tril_indices(4, -1)]) + 0 * x.sum(), [[0.0]], False),
    ("triu_indices 3 0", lambda x: jnp.concatenate(
        [jnp.array(i, jnp.float64) for i in jnp.triu_indices(3, 0)]) + 0 * x.sum(), [[0.0]], False),
    ("diag vector 1", lambda x: jnp.diag(x, 1), [[1.0, 2.0, 3.0]], True),
    ("diag vector -2", lambda x: jnp.diag(x, -2), [[1.0, 2.0]], True),
    ("diag matrix -1", lambda x: jnp.diag(x, -1), [np.arange(1.0, 13.0).reshape(3, 4)], True),
    ("diagonal 1", lambda x: jnp.diagonal(x, 1, -2, -1), [np.arange(1.0, 25.0).reshape(2, 3, 4)], True),
    ("trace", jnp.trace, [np.arange(1.0, 10.0).reshape(3, 3) ** 1.5], True),
    ("outer", jnp.outer, [[1.0, 2.0], [3.0, -4.0, 5.0]], True),
    ("kron", jnp.kron, [np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[0.5, -1.0, 2.0], [1.5, 3.0, -2.0]])], True),
    ("meshgrid xy", lambda x, y: jnp.stack(jnp.meshgrid(x, y)), [[1.0, 2.0, 3.0], [10.0, 20.0]], True),
    ("meshgrid ij", lambda x, y: jnp.stack(jnp.meshgrid(x, y, indexing="ij")),
     [[1.0, 2.0, 3.0], [10.0, 20.0]], True),
    ("exp2", jnp.exp2, [[-2.0, 0.5, 10.0, 1.7]], True),
    ("log2", jnp.log2, [[0.25, 3.0, 1024.0, 0.7]], True),
    ("log10", jnp.log10, [[0.001, 2.0, 1000.0, 0.7]], True),
    ("hypot", jnp.hypot, [[3.0, 0.0, 1.0, -2.0, inf, 0.5], [4.0, 0.0, 1.0, 0.5, nan, -inf]], True),
    # Huge and tiny legs: the values agree, but JAX's derivative of l / h overflows or
    # underflows there (h² is taken); the Rust test checks cotangent's exact a/h, b/h instead.
    ("hypot extreme", jnp.hypot, [[1e300, 1e-300, 3e200], [1e300, 1e-300, -4e200]], True),
    ("logaddexp", jnp.logaddexp, [[1000.0, 0.5, -3.0, -inf, inf, 2.0], [1000.0, 2.0, 40.0, 1.0, inf, -800.0]], True),
    ("logaddexp -inf -inf", jnp.logaddexp, [[-inf], [-inf]], True),
    ("log_sigmoid", jax.nn.log_sigmoid, [[-800.0, -40.0, 0.0, 3.0, 40.0]], True),
    ("silu", jax.nn.silu, [[-3.0, 0.0, 1.5, -40.0]], True),
    ("mish", jax.nn.mish, [[-3.0, 0.0, 1.5, 25.0]], True),
    ("isnan", lambda x: jnp.isnan(x).astype(jnp.float64), [[nan, inf, -inf, 0.0, 1.5]], False),
    ("isfinite", lambda x: jnp.isfinite(x).astype(jnp.float64), [[nan, inf, -inf, 0.0, 1.5]], False),
    # Convolutions, pooling and normalization, from PyTorch (see the module docstring).
    ("conv2d stride pad", Torch(lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1)),
     [vals([2, 2, 5, 4], 0), vals([3, 2, 3, 2], 1), vals([3], 2)], True),
    ("conv2d groups dilation", Torch(lambda x, w: F.conv2d(x, w, groups=2, dilation=2, padding=(1, 0))),
     [vals([1, 4, 5, 5], 3), vals([4, 2, 2, 2], 4)], True),
    ("conv1d", Torch(lambda x, w: F.conv1d(x, w, stride=2, padding=1)),
     [vals([2, 3, 7], 5), vals([2, 3, 3], 6)], True),
    ("conv_transpose2d", Torch(lambda x, w, b: F.conv_transpose2d(
        x, w, b, stride=2, padding=1, output_padding=1)),
     [vals([2, 2, 3, 3], 7), vals([2, 3, 3, 2], 8), vals([3], 9)], True),
    ("conv_transpose2d groups dilation", Torch(lambda x, w: F.conv_transpose2d(
        x, w, stride=(1, 2), output_padding=(0, 1), groups=2, dilation=2)),
     [vals([1, 4, 3, 2], 10), vals([4, 1, 2, 2], 11)], True),
    ("conv_transpose1d", Torch(lambda x, w: F.conv_transpose1d(
        x, w, stride=3, padding=1, output_padding=2)),
     [vals([1, 2, 4], 12), vals([2, 2, 3], 13)], True),
    ("max_pool2d", Torch(lambda x: F.max_pool2d(x, 3, stride=2, padding=1)),
     [vals([1, 2, 5, 5], 14)], True),
    ("avg_pool2d", Torch(lambda x: F.avg_pool2d(x, (2, 3), stride=(2, 1), padding=(1, 1))),
     [vals([1, 2, 5, 4], 15)], True),
    ("batch_norm", Torch(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True, eps=1e-5)),
     [vals([4, 3, 2, 2], 16), vals([3], 17), vals([3], 18)], True),
    # PyTorch does not differentiate the running statistics: they are held constant (their
    # gradients are 0 here, and the Rust case stops theirs).
    ("batch_norm eval", Torch(lambda x, m, v, w: F.batch_norm(
        x, m.detach(), v.detach(), w, None, training=False, eps=1e-3)),
     [vals([2, 3, 4], 19), vals([3], 20), pos([3], 21), vals([3], 22)], True),
    ("group_norm", Torch(lambda x, w, b: F.group_norm(x, 2, w, b, eps=1e-5)),
     [vals([2, 4, 3], 23), vals([4], 24), vals([4], 25)], True),
    ("nan_to_num", lambda x: jnp.nan_to_num(x, nan=0.5, posinf=9.0, neginf=-9.0),
     [[nan, inf, -inf, 0.0, 1.5]], True),
]


def lit(v):
    v = float(v)
    if np.isnan(v):
        return "NAN"
    if np.isinf(v):
        return "INF" if v > 0 else "-INF"
    return repr(v)


def arr(xs):
    return "&[" + ", ".join(lit(v) for v in np.ravel(xs)) + "]"


def emit_torch(name, f, inputs, diff):
    xs = [torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=diff) for x in inputs]
    out = f(*xs)
    w = 1.0 + torch.arange(out.numel(), dtype=torch.float64).reshape(out.shape) / 10.0
    print("    Case {")
    print(f"        name: {name!r},".replace("'", '"'))
    print("        inputs: &[")
    for x in xs:
        print(f"            ({arr(x.detach().numpy())}, &{list(x.shape)}),")
    print("        ],")
    print(f"        value: {arr(out.detach().numpy())},")
    if diff:
        gs = torch.autograd.grad((w * out).sum(), xs, allow_unused=True)
        print("        grads: Some(&[")
        for g, x in zip(gs, xs):
            g = torch.zeros_like(x) if g is None else g
            print(f"            {arr(g.numpy())},")
        print("        ]),")
    else:
        print("        grads: None,")
    print("    },")


def main():
    assert jnp.zeros(1).dtype == jnp.float64, "run with JAX_ENABLE_X64=1"
    print(
        f"// Generated by tests/reference/ops_reference.py with JAX {jax.__version__}"
        f" and PyTorch {torch.__version__}."
    )
    print("const CASES: &[Case] = &[")
    for name, f, inputs, diff in CASES:
        if isinstance(f, Torch):
            emit_torch(name, f.f, inputs, diff)
            continue
        xs = [jnp.asarray(np.asarray(x, dtype=np.float64)) for x in inputs]
        out = f(*xs)
        w = 1.0 + jnp.arange(out.size, dtype=jnp.float64).reshape(out.shape) / 10.0
        print("    Case {")
        print(f"        name: {name!r},".replace("'", '"'))
        print("        inputs: &[")
        for x in xs:
            print(f"            ({arr(x)}, &{list(x.shape)}),")
        print("        ],")
        print(f"        value: {arr(out)},")
        if diff:
            gs = jax.grad(lambda *a: jnp.sum(w * f(*a)), argnums=tuple(range(len(xs))))(*xs)
            print("        grads: Some(&[")
            for g in gs:
                print(f"            {arr(g)},")
            print("        ]),")
        else:
            print("        grads: None,")
        print("    },")
    print("];")


if __name__ == "__main__":
    main()
