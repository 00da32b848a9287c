#!/usr/bin/env python3
"""Generate benches/peers/reference_values.md: float64 reference values from JAX.

    /work/peers-venv/bin/python benches/peers/reference_values.py [OUT.md]

Each case is a code snippet that is exec'd as written (after the shared preamble)
and shown verbatim in the markdown, so the listed code is exactly what produced the
numbers. Every value is also recomputed independently in 60-digit arithmetic with
mpmath (closed forms / mpmath.diff), and the markdown lists that value rounded to
the nearest double plus the distance in ulps, so tests can tell JAX's rounding from
the true value.
"""

import sys
import textwrap

import jax

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402,F401
import mpmath  # noqa: E402
import numpy as np  # noqa: E402

mpmath.mp.dps = 60

PREAMBLE = """\
import jax
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp
"""

# (title, jax snippet that sets `out` = {name: scalar or array}, mpmath snippet that
#  sets `ref` = {name: mpf or list of mpf}, note)
CASES = [
    ("(a) Teaching example f(x1, x2) = log((x1 + x2)^2 + sin(x1 * x2)) at (1.5, 0.5): value, gradient, Hessian",
     """\
def f(x1, x2):
    return jnp.log((x1 + x2) ** 2 + jnp.sin(x1 * x2))

x1, x2 = 1.5, 0.5
value, (d1, d2) = jax.value_and_grad(f, argnums=(0, 1))(x1, x2)
H = jax.hessian(f, argnums=(0, 1))(x1, x2)  # ((d2f/dx1dx1, d2f/dx1dx2), (d2f/dx2dx1, d2f/dx2dx2))
out = {
    "f": value,
    "df/dx1": d1,
    "df/dx2": d2,
    "H[0][0] = d2f/dx1^2": H[0][0],
    "H[0][1] = d2f/dx1dx2": H[0][1],
    "H[1][0] = d2f/dx2dx1": H[1][0],
    "H[1][1] = d2f/dx2^2": H[1][1],
}
""",
     """\
mf = lambda a, b: mpmath.log((a + b) ** 2 + mpmath.sin(a * b))
p = (mpmath.mpf(1.5), mpmath.mpf(0.5))
ref = {
    "f": mf(*p),
    "df/dx1": mpmath.diff(mf, p, (1, 0)),
    "df/dx2": mpmath.diff(mf, p, (0, 1)),
    "H[0][0] = d2f/dx1^2": mpmath.diff(mf, p, (2, 0)),
    "H[0][1] = d2f/dx1dx2": mpmath.diff(mf, p, (1, 1)),
    "H[1][0] = d2f/dx2dx1": mpmath.diff(mf, p, (1, 1)),
    "H[1][1] = d2f/dx2^2": mpmath.diff(mf, p, (0, 2)),
}
""",
     "Analytically (s = x1+x2, u = s^2 + sin(x1*x2)): df/dx1 = (2s + x2*cos(x1*x2))/u, "
     "df/dx2 = (2s + x1*cos(x1*x2))/u. The Hessian is symmetric; both off-diagonal entries "
     "are listed because a reverse-over-reverse or forward-over-reverse implementation "
     "computes them separately."),

    ("(b) Third derivative of tanh at x = 0.7",
     """\
d3 = jax.grad(jax.grad(jax.grad(jnp.tanh)))(0.7)
out = {"tanh'''(0.7)": d3}
""",
     """\
t = mpmath.tanh(mpmath.mpf(0.7))
ref = {"tanh'''(0.7)": (1 - t**2) * (6 * t**2 - 2)}  # tanh''' = (1 - t^2)(6 t^2 - 2)
""",
     "Closed form: with t = tanh(x), tanh' = 1 - t^2, tanh'' = -2t(1 - t^2), "
     "tanh''' = (1 - t^2)(6t^2 - 2). JAX's float64 result is several ulps from the true "
     "value (6t^2 - 2 cancels about 3 bits, and nested derivatives compound rounding), so "
     "compare with a relative tolerance, not bits."),

    ("(c) Perturbation confusion: d/dx [ x * (d/dy (x + y))(y=1) ] at x = 1",
     """\
d = jax.grad(lambda x: x * jax.grad(lambda y: x + y)(1.0))(1.0)
out = {"d/dx [x * d/dy(x + y)] at x=1, y=1": d}
""",
     """\
ref = {"d/dx [x * d/dy(x + y)] at x=1, y=1": mpmath.mpf(1)}
""",
     "The inner derivative d/dy (x + y) is 1 for every x, so the expression is x * 1 and its "
     "derivative is exactly 1. An implementation that confuses the two perturbations "
     "(does not tag the inner and outer derivative levels apart) returns 2. "
     "The value of y does not matter; 1.0 is used."),

    ("(d) softmax, log_softmax, logsumexp of [1.0, 2.0, 3.0, -1.0], and the gradient of logsumexp",
     """\
x = jnp.array([1.0, 2.0, 3.0, -1.0])
out = {
    "softmax": jax.nn.softmax(x),
    "log_softmax": jax.nn.log_softmax(x),
    "logsumexp": jax.scipy.special.logsumexp(x),
    "grad logsumexp": jax.grad(jax.scipy.special.logsumexp)(x),
}
""",
     """\
xs = [mpmath.mpf(v) for v in (1.0, 2.0, 3.0, -1.0)]
lse = mpmath.log(mpmath.fsum(mpmath.exp(v) for v in xs))
ref = {
    "softmax": [mpmath.exp(v - lse) for v in xs],
    "log_softmax": [v - lse for v in xs],
    "logsumexp": lse,
    "grad logsumexp": [mpmath.exp(v - lse) for v in xs],
}
""",
     "grad logsumexp = softmax mathematically; JAX's float64 results for the two may still "
     "differ in the last bit, so both are listed."),

    ("(e) GELU, exact erf form, of [-1.5, 0.0, 0.3, 2.0] and its derivative",
     """\
x = jnp.array([-1.5, 0.0, 0.3, 2.0])
gelu = lambda t: jax.nn.gelu(t, approximate=False)  # 0.5 * t * (1 + erf(t / sqrt(2)))
out = {
    "gelu": gelu(x),
    "gelu'": jax.vmap(jax.grad(gelu))(x),
}
""",
     """\
xs = [mpmath.mpf(v) for v in (-1.5, 0.0, 0.3, 2.0)]
Phi = lambda t: (1 + mpmath.erf(t / mpmath.sqrt(2))) / 2
phi = lambda t: mpmath.exp(-t * t / 2) / mpmath.sqrt(2 * mpmath.pi)
ref = {
    "gelu": [t * Phi(t) for t in xs],
    "gelu'": [Phi(t) + t * phi(t) for t in xs],  # d/dt [t * Phi(t)]
}
""",
     "gelu(t) = t * Phi(t) with Phi the standard normal CDF; gelu'(t) = Phi(t) + t * phi(t)."),

    ("(f) Cross-entropy (mean over the batch, natural log) of logits [[1.0, 2.0, 0.5], [0.1, -0.3, 2.2]] "
     "with labels [1, 2], and its gradient w.r.t. the logits",
     """\
logits = jnp.array([[1.0, 2.0, 0.5], [0.1, -0.3, 2.2]])
labels = jnp.array([1, 2])

def cross_entropy(z):
    logp = jax.nn.log_softmax(z, axis=-1)
    return -jnp.mean(logp[jnp.arange(z.shape[0]), labels])

out = {
    "loss": cross_entropy(logits),
    "dloss/dlogits[0]": jax.grad(cross_entropy)(logits)[0],
    "dloss/dlogits[1]": jax.grad(cross_entropy)(logits)[1],
}
""",
     """\
Z = [[mpmath.mpf(v) for v in r] for r in ((1.0, 2.0, 0.5), (0.1, -0.3, 2.2))]
Y = [1, 2]
lse = [mpmath.log(mpmath.fsum(mpmath.exp(v) for v in r)) for r in Z]
B = len(Z)
ref = {
    "loss": -mpmath.fsum(Z[i][Y[i]] - lse[i] for i in range(B)) / B,
    # d loss / d z[i][j] = (softmax(z[i])[j] - [j == y_i]) / B
    "dloss/dlogits[0]": [(mpmath.exp(Z[0][j] - lse[0]) - (j == Y[0])) / B for j in range(3)],
    "dloss/dlogits[1]": [(mpmath.exp(Z[1][j] - lse[1]) - (j == Y[1])) / B for j in range(3)],
}
""",
     "loss = -(1/B) * sum_i log_softmax(z_i)[y_i], B = 2; gradient = (softmax(z_i) - onehot(y_i)) / B."),

    ("(g) Population variance (ddof = 0) of [[1, 2, 3], [4, 5, 7]] over axis 1",
     """\
a = jnp.array([[1.0, 2.0, 3.0], [4.0, 5.0, 7.0]])
out = {"var(axis=1, ddof=0)": jnp.var(a, axis=1)}
""",
     """\
ref = {"var(axis=1, ddof=0)": [mpmath.mpf(2) / 3, mpmath.mpf(14) / 9]}  # exactly 2/3 and 14/9
""",
     "Exact values 2/3 and 14/9."),
]


def as_list(v):
    a = np.asarray(v, dtype=np.float64)
    return [float(t) for t in a.ravel()], a.shape


def ulps(a, b):
    """signed distance in units in the last place between two doubles"""
    if a == b:
        return 0
    ia = np.array(a, dtype=np.float64).view(np.int64).item()
    ib = np.array(b, dtype=np.float64).view(np.int64).item()
    # map to a monotone integer line
    ia = ia if ia >= 0 else -(ia & 0x7FFFFFFFFFFFFFFF)
    ib = ib if ib >= 0 else -(ib & 0x7FFFFFFFFFFFFFFF)
    return ia - ib


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "benches/peers/reference_values.md"
    import jaxlib
    lines = [
        "# Reference values (float64) for cotangent tests",
        "",
        "Generated by `benches/peers/reference_values.py` with "
        f"jax {jax.__version__} / jaxlib {jaxlib.__version__} (CPU, `jax_enable_x64`), "
        f"numpy {np.__version__}, mpmath {mpmath.__version__}; do not edit by hand, rerun:",
        "",
        "    /work/peers-venv/bin/python benches/peers/reference_values.py",
        "",
        "Every snippet below runs after this preamble:",
        "",
        "```python",
        PREAMBLE.rstrip(),
        "```",
        "",
        "Columns: **JAX f64** is `format(x, '.17g')` of the float64 JAX returned (17 significant "
        "digits; parses back to the same double); **hex** is `float.hex` of it (bit-exact); "
        "**true value** is the independent 60-digit mpmath result, evaluated at the same double "
        "inputs (`mpmath.mpf(0.7)` is the exact binary value of the double 0.7, not 7/10), "
        "rounded to the nearest double, "
        "also as `.17g`; **ulps** = JAX minus true, in units in the last place. Tests should use "
        "the true value with a relative tolerance (1e-14 covers every row here; the worst, "
        "tanh''' at 7 ulps, is ~8e-16 relative), not bit equality with JAX.",
        "",
    ]
    for title, code, refcode, note in CASES:
        ns = {}
        exec(PREAMBLE + code, ns)
        rns = {"mpmath": mpmath}
        exec(refcode, rns)
        out, ref = ns["out"], rns["ref"]
        lines += [f"## {title}", "", "```python", code.rstrip(), "```", "", note, "",
                  "| quantity | JAX f64 (`.17g`) | hex | true value (`.17g`) | ulps |",
                  "| --- | --- | --- | --- | --- |"]
        for name, v in out.items():
            vals, shape = as_list(v)
            r = ref[name]
            rvals = [float(t) for t in (r if isinstance(r, list) else [r])]
            assert len(rvals) == len(vals), name
            for i, (x, t) in enumerate(zip(vals, rvals)):
                label = f"{name}[{i}]" if shape != () else name
                lines.append(f"| `{label}` | `{x:.17g}` | `{x.hex()}` | `{t:.17g}` | {ulps(x, t)} |")
                assert abs(x - t) <= 1e-13 * max(1.0, abs(t)), (label, x, t)
        lines += ["", "<details><summary>independent mpmath check (60 digits)</summary>", "",
                  "```python", refcode.rstrip(), "```", "", "</details>", ""]
    text = "\n".join(lines)
    with open(path, "w") as fh:
        fh.write(text)
    print(text)


if __name__ == "__main__":
    main()
