"""Reference values and gradients for crates/cotangent/tests/ops_reference.rs, from JAX in f64.

Run with JAX_ENABLE_X64=1 (checked below) and paste the printed `CASES` table into the Rust
test, between its `BEGIN GENERATED` and `END GENERATED` lines:

    JAX_ENABLE_X64=1 python crates/cotangent/tests/reference/ops_reference.py

Each case names an op (the Rust test maps the name to the same op of cotangent), its inputs
(flat values and a shape), the flattened output and, for differentiable cases, the gradient
of sum(w * f(x)) with respect to every input, with weights w_k = 1 + k/10 over the flattened
output (so a misplaced derivative shows).
"""

import jax

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

inf, nan = np.inf, np.nan


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


def main():
    assert jnp.zeros(1).dtype == jnp.float64, "run with JAX_ENABLE_X64=1"
    print(f"// Generated by tests/reference/ops_reference.py with JAX {jax.__version__}.")
    print("const CASES: &[Case] = &[")
    for name, f, inputs, diff in CASES:
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
