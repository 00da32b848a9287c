#!/usr/bin/env python3
"""Peer baselines for cotangent: the same AD workloads in JAX (jitted) and PyTorch (eager).

Run pinned to one core:

    taskset -c 0 /work/peers-venv/bin/python benches/peers/peers.py [--smoke] [--json OUT]

Prints one JSON line per (workload, system) on stdout with the keys
workload, system, seconds (median seconds per call), value (a checksum or the
computed number, so results can be compared across systems), plus extra keys
(method, n_inner, reps, and gflops for matmul). The first line is a record with
workload "_meta" describing the host and library versions. For vector results
(hvp, jacobians) `value` is checksum(out) = sum_i out[i] * (1 + i/(n-1)) and
`sum` is the plain sum; for matmul `value` is sum(C) accumulated in f64. --json OUT also
writes the same lines to OUT. --smoke uses shorter loops and fewer repetitions
(same problem sizes) so it finishes in seconds; its timings are not baselines.

Timing: each callable is warmed up (which also triggers JIT compilation), then
the inner loop count is doubled until one loop takes >= the minimum loop time
(50 ms; 5 ms with --smoke); then `reps` loops are timed and the median of
(loop time / n_inner) is reported. JAX results are block_until_ready()'d on
every call, so a JAX number is a synchronous per-call latency (dispatch +
compute), not a pipelined throughput.

Each record also carries min_seconds / max_seconds over the reps and `contention`:
the share of the pinned core that OTHER processes used while the reps ran (from
/proc/stat; 0.0 on a quiet machine), and `other_cores_busy`: the mean busy share of
the cores we are not pinned to (on a VM these may share an SMT core, L3 or memory
bandwidth with ours). Numbers from a run where either is well above zero are not
clean baselines: rerun when the machine is idle.
"""

import os
import sys

# Thread count (default 1), set BEFORE numpy / jax / torch are imported.
THREADS = int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else 1
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
             "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"):
    os.environ[_var] = str(THREADS)
# XLA_FLAGS as specified for these baselines. Note: only the first token is a real XLA
# flag. The bare `intra_op_parallelism_threads=1` (no leading --) is ignored by XLA's
# flag parser (jaxlib 0.10.2); written as `--intra_op_parallelism_threads=1` XLA
# aborts with "Unknown flag in XLA_FLAGS" (it is a TensorFlow session option). Pinning
# with `taskset -c 0` is what actually bounds XLA's thread pool to one core.
if THREADS == 1:
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") +
                               " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1").strip()
else:
    os.environ.setdefault("XLA_FLAGS", "")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402

# torch.func currently emits a torch.jit.script deprecation FutureWarning on first use.
warnings.filterwarnings("ignore", category=FutureWarning)

# --rss-run imports only the library it measures, so its peak RSS is that library's alone.
_ONLY = sys.argv[sys.argv.index("--system") + 1] if "--system" in sys.argv else None

if _ONLY in (None, "jax"):
    import jax  # noqa: E402

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp  # noqa: E402

if _ONLY in (None, "torch"):
    import torch  # noqa: E402

    torch.set_num_threads(THREADS)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass


# --------------------------------------------------------------------------- timing

class Timer:
    def __init__(self, smoke):
        self.min_loop_s = 0.005 if smoke else 0.050
        self.reps = 3 if smoke else 7
        self.warmup = 3 if smoke else 10

    def measure(self, fn, sync=None):
        """Median seconds per call of fn(); sync(result) is applied to every result."""
        if sync is None:
            def sync(r):
                return r
        for _ in range(self.warmup):
            sync(fn())
        n = 1
        while True:
            t0 = time.perf_counter()
            for _ in range(n):
                sync(fn())
            dt = time.perf_counter() - t0
            if dt >= self.min_loop_s:
                break
            # jump close to the target in one step once a loop is measurable
            if dt > 1e-4:
                n = max(n * 2, int(n * 1.2 * self.min_loop_s / dt))
            else:
                n *= 2
        per_call = []
        c0 = _cpu_busy_s()
        r0 = _self_cpu_s()
        w0 = time.perf_counter()
        for _ in range(self.reps):
            t0 = time.perf_counter()
            for _ in range(n):
                sync(fn())
            per_call.append((time.perf_counter() - t0) / n)
        self.last_spread = (min(per_call), max(per_call))
        c1, r1, w1 = _cpu_busy_s(), _self_cpu_s(), time.perf_counter()
        wall = w1 - w0
        pinned = os.sched_getaffinity(0)
        mine = [c for c in pinned if c in c0 and c in c1]
        others = [c for c in c1 if c in c0 and c not in pinned]
        # Share of the pinned core(s) used by OTHER processes while the reps ran: core
        # busy time minus our own CPU time, over wall time (10 ms jiffy resolution).
        self.last_contention = (round(max(0.0, (sum(c1[c] - c0[c] for c in mine) - (r1 - r0)) / wall), 3)
                                if mine else None)
        # Mean busy share of the cores we are NOT pinned to. On a VM whose vCPUs may be
        # SMT siblings on the host, or that share L3 / memory bandwidth, load there also
        # slows the measurement.
        self.last_other_cores = (round(sum(c1[c] - c0[c] for c in others) / wall / len(others), 3)
                                 if others else None)
        return statistics.median(per_call), n, self.reps


def _cpu_busy_s():
    """{cpu index: busy seconds} for every CPU, from /proc/stat ({} if unreadable)."""
    out = {}
    try:
        with open("/proc/stat") as fh:
            for line in fh:
                parts = line.split()
                if parts[0].startswith("cpu") and parts[0] != "cpu":
                    v = [int(x) for x in parts[1:]]
                    idle = v[3] + (v[4] if len(v) > 4 else 0)  # idle + iowait
                    busy = sum(v[:8]) - idle  # user..steal; guest is already inside user
                    out[int(parts[0][3:])] = busy / os.sysconf("SC_CLK_TCK")
    except OSError:
        pass
    return out


def _self_cpu_s():
    t = os.times()
    return t.user + t.system


def jsync(r):
    return jax.block_until_ready(r)


def checksum(arr):
    """Position-weighted sum of a 1-D result: sum_i a[i] * (1 + i/(n-1)).

    A plain sum is useless for odd outputs (e.g. the jacobian of sum(sin(x)*x) over a
    symmetric linspace sums to ~0), so vector results are compared through this.
    """
    a = np.asarray(arr, dtype=np.float64).ravel()
    w = np.linspace(1.0, 2.0, a.size) if a.size > 1 else np.ones(1)
    return float(np.dot(a, w))


def tf(x):
    """torch tensor / python number -> python float"""
    return float(x.item() if hasattr(x, "item") else x)


# --------------------------------------------------------------------------- workloads

def seed_scalar_value_and_grad(timer):
    def f_jax(x1, x2):
        return jnp.log((x1 + x2) ** 2 + jnp.sin(x1 * x2))

    vg = jax.jit(jax.value_and_grad(f_jax, argnums=(0, 1)))
    x1 = jnp.asarray(1.5, dtype=jnp.float64)
    x2 = jnp.asarray(0.5, dtype=jnp.float64)
    s, n, r = timer.measure(lambda: vg(x1, x2), jsync)
    val, (g1, g2) = vg(x1, x2)
    yield dict(workload="seed_scalar_value_and_grad", system="jax", seconds=s,
               value=float(val), grad=[float(g1), float(g2)], n_inner=n, reps=r,
               method="jax.jit(jax.value_and_grad(f, argnums=(0,1))) on 0-d f64 device arrays")

    t1 = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
    t2 = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)

    def step():
        y = torch.log((t1 + t2) ** 2 + torch.sin(t1 * t2))
        g = torch.autograd.grad(y, (t1, t2))
        return y, g

    s, n, r = timer.measure(step)
    y, (g1, g2) = step()
    yield dict(workload="seed_scalar_value_and_grad", system="torch", seconds=s,
               value=tf(y), grad=[tf(g1), tf(g2)], n_inner=n, reps=r,
               method="eager forward + torch.autograd.grad(y, (x1, x2)) per call on 0-d f64 leaf tensors")


def scalar_op(timer):
    xj = jnp.asarray(1.25, dtype=jnp.float32)
    yj = jnp.asarray(3.0, dtype=jnp.float32)
    s, n, r = timer.measure(lambda: xj * yj, jsync)
    yield dict(workload="scalar_op_untracked", system="jax", seconds=s,
               value=float(xj * yj), n_inner=n, reps=r,
               method="eager x * y on 0-d f32 device arrays, block_until_ready each call")

    xt = torch.tensor(1.25, dtype=torch.float32)
    yt = torch.tensor(3.0, dtype=torch.float32)
    s, n, r = timer.measure(lambda: xt * yt)
    yield dict(workload="scalar_op_untracked", system="torch", seconds=s,
               value=tf(xt * yt), n_inner=n, reps=r,
               method="eager x * y on 0-d f32 tensors, requires_grad=False")

    xg = torch.tensor(1.25, dtype=torch.float32, requires_grad=True)
    yg = torch.tensor(3.0, dtype=torch.float32, requires_grad=True)
    s, n, r = timer.measure(lambda: xg * yg)
    yield dict(workload="scalar_op_tracked", system="torch", seconds=s,
               value=tf(xg * yg), n_inner=n, reps=r,
               method="eager x * y on 0-d f32 tensors, requires_grad=True (graph node recorded, no backward)")


def matmul(timer):
    N = 1024
    flops = 2.0 * N ** 3
    # Deterministic inputs that every system can build identically (cotangent's bench too).
    k = np.arange(N * N, dtype=np.float64).reshape(N, N) * 1e-3
    a_np = np.sin(k).astype(np.float32)
    b_np = np.cos(k).astype(np.float32)

    mm = jax.jit(lambda a, b: a @ b)
    aj, bj = jnp.asarray(a_np), jnp.asarray(b_np)
    s, n, r = timer.measure(lambda: mm(aj, bj), jsync)
    c = np.asarray(mm(aj, bj), dtype=np.float64)
    yield dict(workload="matmul_1024_f32", system="jax", seconds=s, gflops=flops / s / 1e9,
               value=float(c.sum()), n_inner=n, reps=r,
               method="jax.jit(lambda a, b: a @ b), f32; value = sum(C) in f64")

    at, bt = torch.from_numpy(a_np), torch.from_numpy(b_np)
    s, n, r = timer.measure(lambda: at @ bt)
    c = (at @ bt).double()
    yield dict(workload="matmul_1024_f32", system="torch", seconds=s, gflops=flops / s / 1e9,
               value=float(c.sum()), n_inner=n, reps=r,
               method="eager a @ b, f32; value = sum(C) in f64")


def hvp(timer):
    N = 100_000

    def g_jax(x):
        return jnp.sum(jnp.tanh(x) ** 2 * jnp.roll(x, 1)) + jnp.sum(jnp.sin(x) * x)

    hvp_j = jax.jit(lambda x, v: jax.jvp(jax.grad(g_jax), (x,), (v,))[1])
    xj = jnp.linspace(-1.0, 1.0, N, dtype=jnp.float64)
    vj = jnp.full((N,), 0.5, dtype=jnp.float64)
    s, n, r = timer.measure(lambda: hvp_j(xj, vj), jsync)
    out = np.asarray(hvp_j(xj, vj))
    yield dict(workload="hvp_100k_f64", system="jax", seconds=s, value=checksum(out), sum=float(out.sum()),
               head=[float(v) for v in out[:3]], n_inner=n, reps=r,
               method="jax.jit(jax.jvp(jax.grad(g), (x,), (v,))[1]) (forward-over-reverse)")

    def g_torch(x):
        return torch.sum(torch.tanh(x) ** 2 * torch.roll(x, 1)) + torch.sum(torch.sin(x) * x)

    xt = torch.linspace(-1.0, 1.0, N, dtype=torch.float64)
    vt = torch.full((N,), 0.5, dtype=torch.float64)
    gt = torch.func.grad(g_torch)

    def fwd_over_rev():
        return torch.func.jvp(gt, (xt,), (vt,))[1]

    s, n, r = timer.measure(fwd_over_rev)
    out = fwd_over_rev().numpy()
    yield dict(workload="hvp_100k_f64", system="torch", seconds=s, value=checksum(out), sum=float(out.sum()),
               head=[float(v) for v in out[:3]], n_inner=n, reps=r,
               method="torch.func.jvp(torch.func.grad(g), (x,), (v,))[1] (forward-over-reverse), eager")

    xl = xt.clone().requires_grad_(True)

    def double_backward():
        (gx,) = torch.autograd.grad(g_torch(xl), xl, create_graph=True)
        (hv,) = torch.autograd.grad(gx, xl, grad_outputs=vt)
        return hv

    s, n, r = timer.measure(double_backward)
    out = double_backward().numpy()
    yield dict(workload="hvp_100k_f64", system="torch_double_backward", seconds=s,
               value=checksum(out), sum=float(out.sum()), head=[float(v) for v in out[:3]], n_inner=n, reps=r,
               method="torch.autograd.grad(grad(g(x), x, create_graph=True), x, grad_outputs=v) "
                      "(reverse-over-reverse), eager")


def jacobians(timer):
    M = 1000

    # R^1000 -> R^1, reverse mode
    def h1_jax(x):
        return jnp.sum(jnp.sin(x) * x)

    jr = jax.jit(jax.jacrev(h1_jax))
    xj = jnp.linspace(-1.0, 1.0, M, dtype=jnp.float64)
    s, n, r = timer.measure(lambda: jr(xj), jsync)
    out = np.asarray(jr(xj))
    yield dict(workload="jacobian_1000x1", system="jax", seconds=s, value=checksum(out), sum=float(out.sum()),
               shape=list(out.shape), n_inner=n, reps=r,
               method="jax.jit(jax.jacrev(h)), h(x)=sum(sin(x)*x), x=linspace(-1,1,1000) f64")

    def h1_torch(x):
        return torch.sum(torch.sin(x) * x)

    jrt = torch.func.jacrev(h1_torch)
    xt = torch.linspace(-1.0, 1.0, M, dtype=torch.float64)
    s, n, r = timer.measure(lambda: jrt(xt))
    out = jrt(xt).numpy()
    yield dict(workload="jacobian_1000x1", system="torch", seconds=s, value=checksum(out), sum=float(out.sum()),
               shape=list(out.shape), n_inner=n, reps=r,
               method="torch.func.jacrev(h), eager, same h and x")

    # R^1 -> R^1000, forward mode
    cj = jnp.linspace(0.0, 1.0, M, dtype=jnp.float64)

    def h2_jax(t):
        return jnp.sin(t * cj) * t

    jf = jax.jit(jax.jacfwd(h2_jax))
    tj = jnp.asarray(0.7, dtype=jnp.float64)
    s, n, r = timer.measure(lambda: jf(tj), jsync)
    out = np.asarray(jf(tj))
    yield dict(workload="jacobian_1x1000", system="jax", seconds=s, value=checksum(out), sum=float(out.sum()),
               shape=list(out.shape), n_inner=n, reps=r,
               method="jax.jit(jax.jacfwd(h)), h(t)=sin(t*linspace(0,1,1000))*t, t=0.7 (0-d) f64")

    ct = torch.linspace(0.0, 1.0, M, dtype=torch.float64)

    def h2_torch(t):
        return torch.sin(t * ct) * t

    jft = torch.func.jacfwd(h2_torch)
    tt = torch.tensor(0.7, dtype=torch.float64)
    s, n, r = timer.measure(lambda: jft(tt))
    out = jft(tt).numpy()
    yield dict(workload="jacobian_1x1000", system="torch", seconds=s, value=checksum(out), sum=float(out.sum()),
               shape=list(out.shape), n_inner=n, reps=r,
               method="torch.func.jacfwd(h), eager, same h and t")


def mlp_inputs():
    """MLP 784-512-512-10, batch 128, f32, built identically in cotangent's bench:
    x[i, j] = sin(1e-3 k) over the row-major index k; label[i] = i mod 10;
    W_l[i, j] = 0.05 sin(0.37 k + l) for layer l = 1, 2, 3; biases 0."""
    B, sizes = 128, [784, 512, 512, 10]
    x = np.sin(np.arange(B * 784, dtype=np.float64) * 1e-3).reshape(B, 784).astype(np.float32)
    y = (np.arange(B) % 10).astype(np.int64)
    params = []
    for l, (i, o) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        k = np.arange(i * o, dtype=np.float64)
        params.append((0.05 * np.sin(0.37 * k + l)).reshape(i, o).astype(np.float32))
        params.append(np.zeros(o, dtype=np.float32))
    return x, y, params


def mlp(timer):
    LR = 0.01
    x, y, params = mlp_inputs()

    def fwd_jax(ps, x):
        h = x
        for i in range(0, len(ps) - 2, 2):
            h = jax.nn.relu(h @ ps[i] + ps[i + 1])
        return h @ ps[-2] + ps[-1]

    def loss_jax(ps, x, y):
        logp = jax.nn.log_softmax(fwd_jax(ps, x), axis=-1)
        return -jnp.mean(logp[jnp.arange(x.shape[0]), y])

    @jax.jit
    def step_jax(ps, x, y):
        l, g = jax.value_and_grad(loss_jax)(ps, x, y)
        return l, [p - LR * gp for p, gp in zip(ps, g)]

    pj = [jnp.asarray(p) for p in params]
    xj, yj = jnp.asarray(x), jnp.asarray(y)
    fj = jax.jit(fwd_jax)
    s, n, r = timer.measure(lambda: fj(pj, xj), jsync)
    yield dict(workload="mlp_forward", system="jax", seconds=s, value=float(np.asarray(fj(pj, xj), np.float64).sum()),
               n_inner=n, reps=r, method="jax.jit forward, f32")
    s, n, r = timer.measure(lambda: step_jax(pj, xj, yj), jsync)
    l, new = step_jax(pj, xj, yj)
    yield dict(workload="mlp_train_step", system="jax", seconds=s, value=float(l),
               w3_sum=float(np.asarray(new[4], np.float64).sum()), n_inner=n, reps=r,
               method="jax.jit(value_and_grad + SGD update), f32, mean cross-entropy")

    # grad_cost_ratio: value_and_grad of the loss over the loss alone (compare.py divides).
    lj = jax.jit(loss_jax)
    vgj = jax.jit(jax.value_and_grad(loss_jax))
    s, n, r = timer.measure(lambda: lj(pj, xj, yj), jsync)
    yield dict(workload="mlp_loss_forward", system="jax", seconds=s, value=float(lj(pj, xj, yj)),
               n_inner=n, reps=r, method="jax.jit(loss), f32")
    s, n, r = timer.measure(lambda: vgj(pj, xj, yj), jsync)
    yield dict(workload="mlp_loss_value_and_grad", system="jax", seconds=s,
               value=float(vgj(pj, xj, yj)[0]), n_inner=n, reps=r,
               method="jax.jit(jax.value_and_grad(loss)), f32")

    pt = [torch.from_numpy(p.copy()).requires_grad_(True) for p in params]
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def fwd_torch(ps):
        h = xt
        for i in range(0, len(ps) - 2, 2):
            h = torch.relu(h @ ps[i] + ps[i + 1])
        return h @ ps[-2] + ps[-1]

    with torch.no_grad():
        s, n, r = timer.measure(lambda: fwd_torch(pt))
        fv = float(fwd_torch(pt).double().sum())
    yield dict(workload="mlp_forward", system="torch", seconds=s, value=fv, n_inner=n, reps=r,
               method="eager forward under no_grad, f32")

    def step_torch():
        loss = torch.nn.functional.cross_entropy(fwd_torch(pt), yt)
        gs = torch.autograd.grad(loss, pt)
        with torch.no_grad():
            return loss, [p - LR * g for p, g in zip(pt, gs)]

    s, n, r = timer.measure(step_torch)
    l, new = step_torch()
    yield dict(workload="mlp_train_step", system="torch", seconds=s, value=tf(l),
               w3_sum=float(new[4].double().sum()), n_inner=n, reps=r,
               method="eager forward + autograd.grad + SGD update (out of place), f32")

    def loss_torch():
        return torch.nn.functional.cross_entropy(fwd_torch(pt), yt)

    with torch.no_grad():
        s, n, r = timer.measure(loss_torch)
        lv = tf(loss_torch())
    yield dict(workload="mlp_loss_forward", system="torch", seconds=s, value=lv, n_inner=n, reps=r,
               method="eager loss under no_grad, f32")

    def value_and_grad_torch():
        loss = loss_torch()
        return loss, torch.autograd.grad(loss, pt)

    s, n, r = timer.measure(value_and_grad_torch)
    yield dict(workload="mlp_loss_value_and_grad", system="torch", seconds=s,
               value=tf(value_and_grad_torch()[0]), n_inner=n, reps=r,
               method="eager loss + torch.autograd.grad, f32")


BATCH, SEQ, D, HEADS = 8, 128, 256, 4
# Added to the attention scores of future positions (causal mask): large enough that their
# softmax weight is exactly 0 in f32, finite so that no inf - inf can appear.
MASKED = -1e9


def transformer_inputs():
    """One pre-LN transformer block (issue #8), built identically in cotangent's bench: x
    [8, 128, 256] (batch, seq, d_model) with x[b, t, j] = sin(1e-3 k) and target cos(2e-3 k) over
    the row-major index k; params in the order ln1 (gamma, beta), q, k, v, o (weight, bias each),
    ln2 (gamma, beta), fc1, fc2 (weight, bias), matrix number l = 1..6 (q, k, v, o, fc1, fc2)
    W_l[i, j] = 0.05 sin(0.37 k + l), biases and beta zero, gamma one. Also the causal mask
    [128, 128]: 0 on and below the diagonal, MASKED above it."""
    k = np.arange(BATCH * SEQ * D, dtype=np.float64)
    x = np.sin(k * 1e-3).reshape(BATCH, SEQ, D).astype(np.float32)
    target = np.cos(k * 2e-3).reshape(BATCH, SEQ, D).astype(np.float32)

    def matrix(l, i, o):
        kk = np.arange(i * o, dtype=np.float64)
        return (0.05 * np.sin(0.37 * kk + l)).reshape(i, o).astype(np.float32)

    zeros = lambda n: np.zeros(n, dtype=np.float32)  # noqa: E731
    ones = lambda n: np.ones(n, dtype=np.float32)  # noqa: E731
    ps = [ones(D), zeros(D)]
    for l in range(1, 5):
        ps += [matrix(l, D, D), zeros(D)]
    ps += [ones(D), zeros(D), matrix(5, D, 4 * D), zeros(4 * D), matrix(6, 4 * D, D), zeros(D)]
    mask = np.triu(np.full((SEQ, SEQ), MASKED, dtype=np.float32), k=1)
    return x, target, ps, mask


def transformer_forward(ps, x, mask, lib):
    """Pre-LN block: x + attn(ln1(x)), then + mlp(ln2(.)); causal 4-head attention (mask added
    to the scaled scores before the softmax), exact GELU, LayerNorm eps 1e-5 with the biased
    variance. `lib` is a small namespace of the few library calls that differ between JAX and
    PyTorch (_JaxLib, _TorchLib)."""
    dh = D // HEADS

    def ln(v, g, b):
        d = v - lib.mean_last(v)
        return d / lib.sqrt(lib.mean_last(d * d) + 1e-5) * g + b

    h = ln(x, ps[0], ps[1])

    def heads(w):  # [BATCH, SEQ, D] -> [BATCH, HEADS, SEQ, dh]
        return lib.swap12((h @ ps[w] + ps[w + 1]).reshape(BATCH, SEQ, HEADS, dh))

    q, k, v = heads(2), heads(4), heads(6)
    scores = q @ lib.swap_last(k) * float(1.0 / np.sqrt(dh)) + mask  # a Python float: stays f32
    ctx = lib.swap12(lib.softmax(scores) @ v).reshape(BATCH, SEQ, D)
    x = x + (ctx @ ps[8] + ps[9])
    m = ln(x, ps[10], ps[11])
    m = lib.gelu(m @ ps[12] + ps[13]) @ ps[14] + ps[15]
    return x + m


class _JaxLib:
    mean_last = staticmethod(lambda v: v.mean(-1, keepdims=True))
    sqrt = staticmethod(lambda v: jnp.sqrt(v))
    swap12 = staticmethod(lambda v: jnp.swapaxes(v, 1, 2))
    swap_last = staticmethod(lambda v: jnp.swapaxes(v, -1, -2))
    softmax = staticmethod(lambda v: jax.nn.softmax(v, axis=-1))
    gelu = staticmethod(lambda v: jax.nn.gelu(v, approximate=False))


class _TorchLib:
    mean_last = staticmethod(lambda v: v.mean(-1, keepdim=True))
    sqrt = staticmethod(lambda v: torch.sqrt(v))
    swap12 = staticmethod(lambda v: v.transpose(1, 2))
    swap_last = staticmethod(lambda v: v.transpose(-1, -2))
    softmax = staticmethod(lambda v: torch.softmax(v, dim=-1))
    gelu = staticmethod(lambda v: torch.nn.functional.gelu(v))


def transformer_block(timer):
    LR = 0.01
    x, target, params, mask = transformer_inputs()

    def loss_jax(ps, x, t, m):
        d = transformer_forward(ps, x, m, _JaxLib) - t
        return jnp.mean(d * d)

    @jax.jit
    def step_jax(ps, x, t, m):
        l, g = jax.value_and_grad(loss_jax)(ps, x, t, m)
        return l, [p - LR * gp for p, gp in zip(ps, g)]

    pj = [jnp.asarray(p) for p in params]
    xj, tj, mj = jnp.asarray(x), jnp.asarray(target), jnp.asarray(mask)
    s, n, r = timer.measure(lambda: step_jax(pj, xj, tj, mj), jsync)
    l, _ = step_jax(pj, xj, tj, mj)
    yield dict(workload="transformer_block_train_step", system="jax", seconds=s, value=float(l),
               n_inner=n, reps=r,
               method="jax.jit(value_and_grad + SGD update), pre-LN block batch 8 seq 128 d 256 "
                      "4 heads causal MLP 4x, f32, MSE")

    pt = [torch.from_numpy(p.copy()).requires_grad_(True) for p in params]
    xt, tt, mt = torch.from_numpy(x), torch.from_numpy(target), torch.from_numpy(mask)

    def step_torch():
        loss = torch.nn.functional.mse_loss(transformer_forward(pt, xt, mt, _TorchLib), tt)
        gs = torch.autograd.grad(loss, pt)
        with torch.no_grad():
            return loss, [p - LR * g for p, g in zip(pt, gs)]

    s, n, r = timer.measure(step_torch)
    l, _ = step_torch()
    yield dict(workload="transformer_block_train_step", system="torch", seconds=s, value=tf(l),
               n_inner=n, reps=r,
               method="eager forward + autograd.grad + SGD update (out of place), same block, f32")


def elementwise_chain(timer):
    """8 chained elementwise ops on 1,000,000 f32: x*2, +1, sin, *x, tanh, -0.5, exp, *0.25,
    with x = linspace(-1, 1, 1e6)."""
    N = 1_000_000

    def chain(x, lib):
        t = x * 2.0
        t = t + 1.0
        t = lib.sin(t)
        t = t * x
        t = lib.tanh(t)
        t = t - 0.5
        t = lib.exp(t)
        return t * 0.25

    xj = jnp.linspace(-1.0, 1.0, N, dtype=jnp.float32)
    cj = jax.jit(lambda x: chain(x, jnp))
    s, n, r = timer.measure(lambda: cj(xj), jsync)
    yield dict(workload="elementwise_chain_1m", system="jax", seconds=s,
               value=float(np.asarray(cj(xj), np.float64).sum()), n_inner=n, reps=r,
               method="jax.jit of the 8-op chain (XLA fuses it into one loop), f32")
    xt = torch.linspace(-1.0, 1.0, N, dtype=torch.float32)
    s, n, r = timer.measure(lambda: chain(xt, torch))
    yield dict(workload="elementwise_chain_1m", system="torch", seconds=s,
               value=float(chain(xt, torch).double().sum()), n_inner=n, reps=r,
               method="eager, 8 separate kernels, f32")


def vmap_jit_rows(timer):
    """A jitted function of one row mapped over the rows of a [512, 1024] f32 matrix
    (x[i, j] = sin(1e-3 k), k the row-major index): sum(exp(tanh(sin(2x) x) - 0.5)) per row
    (as benches/core.rs vmap_jit_rows)."""
    R, C = 512, 1024
    x = np.sin(1e-3 * np.arange(R * C, dtype=np.float32)).astype(np.float32).reshape(R, C)

    def f(r, lib):
        return lib.sum(lib.exp(lib.tanh(lib.sin(r * 2.0) * r) - 0.5))

    xj = jnp.asarray(x)
    vj = jax.vmap(jax.jit(lambda r: f(r, jnp)))
    s, n, r = timer.measure(lambda: vj(xj), jsync)
    yield dict(workload="vmap_jit_rows_f32", system="jax", seconds=s,
               value=float(np.asarray(vj(xj), np.float64).sum()), n_inner=n, reps=r,
               method="jax.vmap(jax.jit(f)) (the batched call compiles as one program), f32")
    xt = torch.from_numpy(x)
    vt = torch.vmap(lambda r: f(r, torch))
    s, n, r = timer.measure(lambda: vt(xt))
    yield dict(workload="vmap_jit_rows_f32", system="torch", seconds=s,
               value=float(vt(xt).double().sum()), n_inner=n, reps=r,
               method="torch.vmap(f), eager, f32")


def _m(n):
    """M[i, j] = sin(1e-3 k^2 + 1), k = i n + j, [n, n] f64 (as benches/core/ops.rs)."""
    k = np.arange(n * n, dtype=np.float64)
    return np.sin(1e-3 * (k * k) + 1.0).reshape(n, n)


def _weights(shape):
    """Loss weights 1 + (k mod 7)/10 over the row-major index k."""
    return (1.0 + (np.arange(int(np.prod(shape))) % 7) / 10.0).reshape(shape)


def ops_workloads(timer):
    """Issue 15's workloads, built identically in crates/cotangent/benches/core/ops.rs: a conv2d
    training step (x [32, 3, 32, 32] = sin(1e-3 k), w [64, 3, 3, 3] = 0.2 cos(0.1 k), f32, padding 1,
    loss 0.5 mean(y^2); value = sum(gx) + sum(gw)), and in f64 Cholesky and solve at n = 512 (A =
    M M^T / n + I, b [512, 4] = cos(0.11 k)) and eigh at n = 256 (S = (M + M^T) / 2), each alone
    (value = sum of the output; for eigh sum(w * eigenvalues)) and with the gradient of
    sum(weights * output) (value = sum of the gradients)."""
    k = np.arange(32 * 3 * 32 * 32, dtype=np.float64)
    x_np = np.sin(1e-3 * k).astype(np.float32).reshape(32, 3, 32, 32)
    w_np = (0.2 * np.cos(0.1 * np.arange(64 * 27, dtype=np.float64))).astype(np.float32).reshape(64, 3, 3, 3)
    n = 512
    mm = _m(n)
    a_np = mm @ mm.T / n + np.eye(n)
    b_np = np.cos(0.11 * np.arange(n * 4, dtype=np.float64)).reshape(n, 4)
    cl, cb = _weights((n, n)), _weights((n, 4))
    mk = _m(256)
    s_np = (mk + mk.T) * 0.5
    c = _weights((256,))

    def gsum(gs):
        return float(sum(np.asarray(g, dtype=np.float64).sum() for g in gs))

    # JAX, jitted.
    def conv_loss_j(x, w):
        y = jax.lax.conv_general_dilated(x, w, (1, 1), ((1, 1), (1, 1)),
                                         dimension_numbers=("NCHW", "OIHW", "NCHW"))
        return 0.5 * jnp.mean(y * y)

    cases_j = [
        ("conv2d_32x3x32x32_64x3x3_train",
         jax.jit(jax.grad(conv_loss_j, argnums=(0, 1))), (jnp.asarray(x_np), jnp.asarray(w_np)), gsum,
         "jax.jit(jax.grad(0.5 mean(conv_general_dilated(x, w, padding 1)^2), argnums=(0, 1))), f32"),
        ("cholesky_512_f64", jax.jit(jnp.linalg.cholesky), (jnp.asarray(a_np),),
         lambda r: float(np.asarray(r).sum()), "jax.jit(jnp.linalg.cholesky)"),
        ("cholesky_512_f64_grad", jax.jit(jax.grad(lambda a: jnp.sum(jnp.linalg.cholesky(a) * cl))),
         (jnp.asarray(a_np),), lambda r: float(np.asarray(r).sum()),
         "jax.jit(jax.grad(sum(cholesky(a) * weights)))"),
        ("solve_512x4_f64", jax.jit(jnp.linalg.solve), (jnp.asarray(a_np), jnp.asarray(b_np)),
         lambda r: float(np.asarray(r).sum()), "jax.jit(jnp.linalg.solve)"),
        ("solve_512x4_f64_grad",
         jax.jit(jax.grad(lambda a, b: jnp.sum(jnp.linalg.solve(a, b) * cb), argnums=(0, 1))),
         (jnp.asarray(a_np), jnp.asarray(b_np)), gsum, "jax.jit(jax.grad(sum(solve(a, b) * weights)))"),
        ("eigh_256_f64", jax.jit(jnp.linalg.eigh), (jnp.asarray(s_np),),
         lambda r: float(np.sum(np.asarray(r[0]) * c)), "jax.jit(jnp.linalg.eigh) (eigenvalues and vectors)"),
        ("eigh_256_f64_grad", jax.jit(jax.grad(lambda a: jnp.sum(jnp.linalg.eigh(a)[0] * c))),
         (jnp.asarray(s_np),), lambda r: float(np.asarray(r).sum()),
         "jax.jit(jax.grad(sum(eigh(a).eigenvalues * weights)))"),
    ]
    for name, f, args, val, method in cases_j:
        s, n_in, r = timer.measure(lambda: f(*args), jsync)
        yield dict(workload=name, system="jax", seconds=s, value=val(f(*args)), n_inner=n_in, reps=r,
                   method=method)

    # PyTorch, eager.
    xt, wt = torch.from_numpy(x_np), torch.from_numpy(w_np)
    at, bt = torch.from_numpy(a_np), torch.from_numpy(b_np)
    st = torch.from_numpy(s_np)
    clt, cbt, ct = torch.from_numpy(cl), torch.from_numpy(cb), torch.from_numpy(c)

    def grads(loss, *xs):
        xs = [x.detach().requires_grad_(True) for x in xs]
        return torch.autograd.grad(loss(*xs), xs)

    def conv_loss_t(x, w):
        return 0.5 * torch.mean(torch.nn.functional.conv2d(x, w, padding=1) ** 2)

    cases_t = [
        ("conv2d_32x3x32x32_64x3x3_train", lambda: grads(conv_loss_t, xt, wt), gsum,
         "torch.autograd.grad(0.5 mean(F.conv2d(x, w, padding=1)^2), (x, w)), f32, eager"),
        ("cholesky_512_f64", lambda: torch.linalg.cholesky(at), lambda r: float(r.sum()),
         "torch.linalg.cholesky"),
        ("cholesky_512_f64_grad", lambda: grads(lambda a: (torch.linalg.cholesky(a) * clt).sum(), at), gsum,
         "torch.autograd.grad(sum(cholesky(a) * weights), a)"),
        ("solve_512x4_f64", lambda: torch.linalg.solve(at, bt), lambda r: float(r.sum()), "torch.linalg.solve"),
        ("solve_512x4_f64_grad", lambda: grads(lambda a, b: (torch.linalg.solve(a, b) * cbt).sum(), at, bt),
         gsum, "torch.autograd.grad(sum(solve(a, b) * weights), (a, b))"),
        ("eigh_256_f64", lambda: torch.linalg.eigh(st), lambda r: float((r[0] * ct).sum()),
         "torch.linalg.eigh (eigenvalues and vectors)"),
        ("eigh_256_f64_grad", lambda: grads(lambda a: (torch.linalg.eigh(a)[0] * ct).sum(), st), gsum,
         "torch.autograd.grad(sum(eigh(a).eigenvalues * weights), a)"),
    ]
    for name, f, val, method in cases_t:
        s, n_in, r = timer.measure(f)
        yield dict(workload=name, system="torch", seconds=s, value=val(f()), n_inner=n_in, reps=r,
                   method=method)
    yield from half_workloads(timer)


def half_workloads(timer):
    """A 512 x 512 matmul in f32, f16 and bf16: A[k] = 0.5 + 0.5 sin(1e-3 k^2 + 1), B with cos,
    made in f32 and rounded to each dtype (as benches/core/ops.rs); value = sum of A B in f64."""
    k = np.arange(512 * 512, dtype=np.float64)
    a32 = (0.5 + 0.5 * np.sin(1e-3 * (k * k) + 1.0)).astype(np.float32).reshape(512, 512)
    b32 = (0.5 + 0.5 * np.cos(1e-3 * (k * k) + 1.0)).astype(np.float32).reshape(512, 512)
    mm = jax.jit(jnp.matmul)
    for name, jd, td in [("matmul_512_f32", jnp.float32, torch.float32),
                         ("matmul_512_f16", jnp.float16, torch.float16),
                         ("matmul_512_bf16", jnp.bfloat16, torch.bfloat16)]:
        aj, bj = jnp.asarray(a32).astype(jd), jnp.asarray(b32).astype(jd)
        s, n_in, r = timer.measure(lambda: mm(aj, bj), jsync)
        yield dict(workload=name, system="jax", seconds=s,
                   value=float(np.asarray(mm(aj, bj), dtype=np.float64).sum()), n_inner=n_in, reps=r,
                   method=f"jax.jit(jnp.matmul), {jd.__name__}")
        at, bt = torch.from_numpy(a32).to(td), torch.from_numpy(b32).to(td)
        s, n_in, r = timer.measure(lambda: at @ bt)
        yield dict(workload=name, system="torch", seconds=s,
                   value=float((at @ bt).double().sum()), n_inner=n_in, reps=r,
                   method=f"torch.matmul, {td}, eager")


def sparse_workloads(timer):
    """Dense Jacobians of the 1-D PDE residual -u'' + sin(u) (tridiagonal; zero boundary values,
    h = 1/(n + 1)) at n = 2,000, x = linspace(0, 1, n) in f64, as in
    crates/cotangent/benches/core/sparse.rs (which also runs its sparse plan); value = sum of all
    entries. Neither JAX nor PyTorch builds in sparse Jacobians: dense jacfwd is what they give."""
    n = 2_000
    h2 = 1.0 / ((n + 1) * (n + 1))

    def res_j(x):
        p = jnp.pad(x, (1, 1))
        return -(p[:-2] - 2.0 * x + p[2:]) / h2 + jnp.sin(x)

    jac = jax.jit(jax.jacfwd(res_j))
    xj = jnp.linspace(0.0, 1.0, n, dtype=jnp.float64)
    s, n_in, r = timer.measure(lambda: jac(xj), jsync)
    yield dict(workload=f"tridiag_jacobian_n{n}", system="jax", seconds=s, value=float(np.asarray(jac(xj)).sum()),
               n_inner=n_in, reps=r, method="jax.jit(jax.jacfwd(residual)), dense [n, n]")

    def res_t(x):
        p = torch.nn.functional.pad(x, (1, 1))
        return -(p[:-2] - 2.0 * x + p[2:]) / h2 + torch.sin(x)

    xt = torch.linspace(0.0, 1.0, n, dtype=torch.float64)
    jt = torch.func.jacfwd(res_t)
    s, n_in, r = timer.measure(lambda: jt(xt))
    yield dict(workload=f"tridiag_jacobian_n{n}", system="torch", seconds=s, value=float(jt(xt).sum()),
               n_inner=n_in, reps=r, method="torch.func.jacfwd(residual), eager, dense [n, n]")


def torch_compiled(timer):
    """The jitted rows again under torch.compile (inductor, default mode), where it runs on
    this machine (it needs a C++ compiler): the forward, or the loss compiled with its backward
    taken by autograd.grad through the compiled graph and the SGD update eager, as PyTorch users
    compile a training step. first_call_seconds is the first call's time (compilation)."""
    def compiled(name, build):
        try:
            t0 = time.perf_counter()
            fn, value = build()
            first = time.perf_counter() - t0
            s, n, r = timer.measure(fn)
        except Exception as e:  # noqa: BLE001 - a machine without a working inductor
            print(f"torch.compile skipped for {name}: {type(e).__name__}: {e}", file=sys.stderr)
            return None
        return dict(workload=name, system="torch_compile", seconds=s, value=value(), n_inner=n,
                    reps=r, first_call_seconds=first, method="torch.compile (inductor), f32")

    LR = 0.01
    x, y, params = mlp_inputs()
    pt = [torch.from_numpy(p.copy()).requires_grad_(True) for p in params]
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def fwd(ps, x):
        h = x
        for i in range(0, len(ps) - 2, 2):
            h = torch.relu(h @ ps[i] + ps[i + 1])
        return h @ ps[-2] + ps[-1]

    def mlp_forward():
        f = torch.compile(fwd)

        def call():
            with torch.no_grad():
                return f(pt, xt)
        call()
        return call, lambda: float(call().double().sum())

    def train(loss_fn):
        lc = torch.compile(loss_fn)

        def step():
            loss = lc(pt)
            gs = torch.autograd.grad(loss, pt)
            with torch.no_grad():
                return loss, [p - LR * g for p, g in zip(pt, gs)]
        step()
        return step, lambda: tf(step()[0])

    for rec in (compiled("mlp_forward", mlp_forward),
                compiled("mlp_train_step",
                         lambda: train(lambda ps: torch.nn.functional.cross_entropy(fwd(ps, xt), yt)))):
        if rec:
            yield rec

    x, target, params, mask = transformer_inputs()
    pt = [torch.from_numpy(p.copy()).requires_grad_(True) for p in params]
    xt, tt, mt = torch.from_numpy(x), torch.from_numpy(target), torch.from_numpy(mask)
    rec = compiled("transformer_block_train_step", lambda: train(
        lambda ps: torch.nn.functional.mse_loss(transformer_forward(ps, xt, mt, _TorchLib), tt)))
    if rec:
        yield rec

    N = 1_000_000
    xc = torch.linspace(-1.0, 1.0, N, dtype=torch.float32)

    def chain():
        f = torch.compile(lambda x: torch.exp(torch.tanh(torch.sin(x * 2.0 + 1.0) * x) - 0.5) * 0.25)
        f(xc)
        return (lambda: f(xc)), lambda: float(f(xc).double().sum())

    rec = compiled("elementwise_chain_1m", chain)
    if rec:
        yield rec


WORKLOADS = [seed_scalar_value_and_grad, scalar_op, matmul, hvp, jacobians, mlp, elementwise_chain, vmap_jit_rows,
             transformer_block, ops_workloads, sparse_workloads, torch_compiled]


def rss_run(system, steps):
    """Build the MLP inputs and take `steps` SGD steps of mlp_train_step in `system` (jax or
    torch), nothing else, so compare.py can read this fresh process's peak RSS. With jax the
    first step includes XLA's compilation; 0 steps gives the baseline of interpreter, library
    and inputs."""
    LR = 0.01
    x, y, params = mlp_inputs()
    loss = None
    if system == "jax":
        def loss_jax(ps):
            h = xj
            for i in range(0, len(ps) - 2, 2):
                h = jax.nn.relu(h @ ps[i] + ps[i + 1])
            logp = jax.nn.log_softmax(h @ ps[-2] + ps[-1], axis=-1)
            return -jnp.mean(logp[jnp.arange(xj.shape[0]), yj])

        step = jax.jit(lambda ps: (lambda l, g: (l, [p - LR * gp for p, gp in zip(ps, g)]))(
            *jax.value_and_grad(loss_jax)(ps)))
        ps = [jnp.asarray(p) for p in params]
        xj, yj = jnp.asarray(x), jnp.asarray(y)
        for _ in range(steps):
            loss, ps = jsync(step(ps))
    else:
        ps = [torch.from_numpy(p.copy()) for p in params]
        xt, yt = torch.from_numpy(x), torch.from_numpy(y)
        for _ in range(steps):
            ps = [p.requires_grad_(True) for p in ps]
            h = xt
            for i in range(0, len(ps) - 2, 2):
                h = torch.relu(h @ ps[i] + ps[i + 1])
            loss = torch.nn.functional.cross_entropy(h @ ps[-2] + ps[-1], yt)
            gs = torch.autograd.grad(loss, ps)
            with torch.no_grad():
                ps = [p - LR * g for p, g in zip(ps, gs)]
    print(json.dumps(dict(workload="_rss_mlp_train_step", system=system, steps=steps,
                          value=None if loss is None else float(loss))), flush=True)


def cpu_model():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except Exception:  # pragma: no cover
        pass
    return platform.processor() or "unknown"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--smoke", action="store_true", help="short loops, few reps (checks it runs)")
    ap.add_argument("--json", metavar="OUT", help="also write the JSON lines to OUT")
    ap.add_argument("--threads", type=int, default=1, help="threads per system (default 1)")
    ap.add_argument("--rss-run", type=int, metavar="STEPS",
                    help="only take STEPS mlp_train_step steps in --system (for peak RSS)")
    ap.add_argument("--system", choices=["jax", "torch"], help="with --rss-run: which library")
    args = ap.parse_args()
    if args.rss_run is not None:
        if not args.system:
            ap.error("--rss-run needs --system")
        rss_run(args.system, args.rss_run)
        return

    timer = Timer(args.smoke)
    sink = open(args.json, "w") if args.json else None

    def emit(rec):
        if rec.get("seconds") is not None:
            rec["min_seconds"], rec["max_seconds"] = timer.last_spread
            rec["contention"] = timer.last_contention
            rec["other_cores_busy"] = timer.last_other_cores
        line = json.dumps(rec)
        print(line, flush=True)
        if sink:
            sink.write(line + "\n")
            sink.flush()

    emit(dict(workload="_meta", system="env", seconds=None, value=None,
              cpu=cpu_model(), affinity=sorted(os.sched_getaffinity(0)),
              python=platform.python_version(), numpy=np.__version__,
              jax=jax.__version__, jaxlib=jax.lib.__version__ if hasattr(jax.lib, "__version__")
              else None, jax_backend=jax.default_backend(), torch=torch.__version__,
              torch_threads=torch.get_num_threads(), threads=args.threads, xla_flags=os.environ["XLA_FLAGS"],
              smoke=args.smoke, min_loop_s=timer.min_loop_s, reps=timer.reps,
              loadavg_start=os.getloadavg()[0], date=time.strftime("%Y-%m-%dT%H:%M:%S%z")))
    if len(os.sched_getaffinity(0)) != args.threads:
        print("warning: not pinned to one core; run under `taskset -c 0`", file=sys.stderr)

    for wl in WORKLOADS:
        for rec in wl(timer):
            emit(rec)
    # Other processes on the pinned core (e.g. a compiler) distort the numbers: a
    # 1-minute load average well above 1 at either end means the run was not quiet.
    emit(dict(workload="_meta_end", system="env", seconds=None, value=None,
              loadavg_end=os.getloadavg()[0], date=time.strftime("%Y-%m-%dT%H:%M:%S%z")))
    if sink:
        sink.close()


if __name__ == "__main__":
    main()
