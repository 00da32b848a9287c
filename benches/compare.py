#!/usr/bin/env python3
"""Run cotangent's benchmarks and the JAX / PyTorch peers in the same run, on the same cores,
and print a markdown table of median times and ratios (cotangent / peer). Also writes
target/compare.json: a list of {workload, threads, system, seconds}. Also prints each system's
grad_cost_ratio (value_and_grad / forward of the MLP loss) and the peak RSS of mlp_train_step
run in a fresh process per system (target/compare-extra.json).

Exits non-zero if a workload's cotangent value differs from the peers' (a fast wrong answer
must not count). With --smoke: one repetition, small sizes, cotangent only (for CI).

Usually run through benches/compare.sh, which builds and finds the peers' Python.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Relative tolerance when comparing cotangent's value with a peer's, per workload.
TOLERANCE = {
    "seed_scalar_value_and_grad": 1e-12,
    "scalar_op_untracked": 1e-6,
    "scalar_op_tracked": 1e-6,
    "matmul_1024_f32": 1e-3,
    "hvp_100k_f64": 1e-9,
    "jacobian_1000x1": 1e-9,
    "jacobian_1x1000": 1e-9,
    "mlp_forward": 1e-4,
    "mlp_train_step": 1e-5,
    "elementwise_chain_1m": 1e-5,
    "vmap_jit_rows_f32": 1e-5,
    "mlp_loss_forward": 1e-5,
    "mlp_loss_value_and_grad": 1e-5,
    "transformer_block_train_step": 1e-5,
    "conv2d_32x3x32x32_64x3x3_train": 1e-3,
    "cholesky_512_f64": 1e-10,
    "cholesky_512_f64_grad": 1e-8,
    "solve_512x4_f64": 1e-10,
    "solve_512x4_f64_grad": 1e-8,
    "eigh_256_f64": 1e-10,
    "eigh_256_f64_grad": 1e-8,
    "tridiag_jacobian_n2000": 1e-10,
    "matmul_512_f32": 1e-5,
    # Each side rounds the f32 products once per element (to 2^-11 or 2^-8 relative).
    "matmul_512_f16": 1e-3,
    "matmul_512_bf16": 1e-2,
}

# grad_cost_ratio: each system's time of value_and_grad over its time of the forward pass alone.
GRAD_COST = ("mlp_loss_value_and_grad", "mlp_loss_forward")
# Peak RSS of mlp_train_step: each system in a fresh process taking this many steps, and again
# taking none (the baseline: runtime, libraries and inputs).
RSS_STEPS = 20


def cores(threads):
    return ",".join(str(i) for i in range(threads))


def json_lines(text):
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                pass
    return out


def bench_cargo(smoke):
    """The cargo command that builds and runs the `core` bench. A smoke run (CI) builds it in the
    test profile with the test build's features, so it reuses what `cargo test --workspace
    --all-features` compiled instead of compiling the crate again in release."""
    if smoke:
        return ["cargo", "bench", "-q", "--workspace", "--all-features", "--profile", "dev", "--bench", "core"]
    return ["cargo", "bench", "-q", "-p", "cotangent", "--bench", "core"]


def run_cotangent(threads, smoke):
    env = dict(os.environ, RAYON_NUM_THREADS=str(threads))
    cmd = ["taskset", "-c", cores(threads)] + bench_cargo(smoke) + ["--"]
    if smoke:
        cmd.append("--smoke")
    print("+", " ".join(cmd), file=sys.stderr, flush=True)
    res = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    sys.stderr.write(res.stderr[-2000:])
    if res.returncode != 0:
        sys.exit(f"cotangent benchmark failed with status {res.returncode}")
    return json_lines(res.stdout)


def run_peers(python, threads):
    cmd = ["taskset", "-c", cores(threads), python, os.path.join(ROOT, "benches/peers/peers.py"),
           "--threads", str(threads)]
    print("+", " ".join(cmd), file=sys.stderr, flush=True)
    res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if res.returncode != 0:
        sys.stderr.write(res.stderr[-4000:])
        sys.exit(f"peer benchmark failed with status {res.returncode}")
    return [r for r in json_lines(res.stdout) if not r["workload"].startswith("_")]


def peak_rss_mb(cmd, env=None):
    """Run cmd to completion in a fresh process; its peak resident set size in MiB (os.wait4's
    ru_maxrss, which Linux gives in KiB) and its JSON lines."""
    print("+", " ".join(cmd), file=sys.stderr, flush=True)
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=err, text=True)
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        if proc.returncode != 0:
            err.seek(0)
            sys.stderr.write(err.read()[-2000:])
            sys.exit(f"{' '.join(cmd)} failed with status {proc.returncode}")
    return usage.ru_maxrss / 1024, json_lines(out)


def bench_executable(smoke):
    """The path of the built `core` bench binary (run directly so cargo's own memory is not
    counted)."""
    cmd = bench_cargo(smoke) + ["--no-run", "--message-format=json"]
    res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True)
    for r in json_lines(res.stdout):
        if r.get("reason") == "compiler-artifact" and r.get("target", {}).get("name") == "core" \
                and r.get("executable"):
            return r["executable"]
    sys.exit("could not find the core bench executable")


def measure_rss(peers_python, steps, smoke):
    """{system: (peak MiB after `steps` steps, peak MiB with 0 steps)} for mlp_train_step."""
    env = dict(os.environ, RAYON_NUM_THREADS="1")
    commands = {"cotangent": ["taskset", "-c", "0", bench_executable(smoke), "--rss-run"]}
    if peers_python:
        for system in ("jax", "torch"):
            commands[system] = ["taskset", "-c", "0", peers_python,
                                os.path.join(ROOT, "benches/peers/peers.py"),
                                "--system", system, "--rss-run"]
    out = {}
    for system, cmd in commands.items():
        peak, _ = peak_rss_mb(cmd + [str(steps)], env)
        base, _ = peak_rss_mb(cmd + ["0"], env)
        out[system] = (peak, base)
    return out


def cpu_model():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def fmt_time(s):
    if s is None:
        return "—"
    for unit, scale in (("s", 1), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if s >= scale:
            return f"{s / scale:.3g} {unit}"
    return f"{s:.3g} s"


def plan_line(rec, peak):
    """What a jitted row's plan shows: its steps and fused loops, the loops' achieved bandwidth
    and the matmuls' rate, each against the machine's measured peak in the same run."""
    parts = [f"{rec['steps']} steps, {rec['loops']} fused loops"]
    for key, peak_key, unit, what in (("loop_gbps", "copy_gbps", "GB/s", "a STREAM-like copy"),
                                      ("matmul_gflops", "gemm_gflops", "GFLOP/s", "gemm's best")):
        if rec.get(key) is not None:
            vs = f" ({100 * rec[key] / peak[peak_key]:.0f}% of {what}, {peak[peak_key]:.1f})" if peak else ""
            parts.append(f"{'fused loops' if key == 'loop_gbps' else 'matmuls'} {rec[key]:.1f} {unit}{vs}")
    share = rec.get("time_share")
    if share:
        pct = {k: max(0.0, 100 * v) for k, v in share.items()}
        parts.append(f"time in loops {pct['loops']:.0f}%, matmuls {pct['matmuls']:.0f}%, "
                     f"other steps {pct['other']:.0f}% (most: {', '.join(rec.get('top_other') or []) or '—'})")
    return "; ".join(parts)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--smoke", action="store_true", help="cotangent only, one quick repetition")
    ap.add_argument("--threads", default="1,2", help="thread counts to run (default 1,2)")
    ap.add_argument("--peers-python", help="Python with jax and torch installed")
    args = ap.parse_args()
    thread_counts = [int(t) for t in args.threads.split(",")]
    if args.smoke:
        thread_counts = thread_counts[:1]

    records = []
    peaks = {}
    for t in thread_counts:
        for r in run_cotangent(t, args.smoke):
            r["threads"] = t
            if r["workload"] == "_peaks":
                peaks[t] = r
                continue
            records.append(r)
        if not args.smoke and args.peers_python:
            for r in run_peers(args.peers_python, t):
                r["threads"] = t
                records.append(r)

    os.makedirs(os.path.join(ROOT, "target"), exist_ok=True)
    with open(os.path.join(ROOT, "target/compare.json"), "w") as f:
        json.dump([{k: r.get(k) for k in ("workload", "threads", "system", "seconds")} for r in records], f, indent=1)

    by = {}
    for r in records:
        by.setdefault((r["workload"], r["threads"]), {})[r["system"]] = r
    print(f"\nDate: {time.strftime('%Y-%m-%d')}. CPU: {cpu_model()}. "
          f"Command: `benches/compare.sh{' --smoke' if args.smoke else ''}`.\n")
    print("| workload | threads | cotangent | JAX (jit) | PyTorch | cotangent / JAX | cotangent / PyTorch |")
    print("|---|---|---|---|---|---|---|")
    mismatches = []
    for (wl, t), systems in sorted(by.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        ours = systems.get("cotangent")
        jax = systems.get("jax")
        torch = systems.get("torch")
        ratio = lambda p: f"{ours['seconds'] / p['seconds']:.2f}" if ours and p else "—"
        print(f"| {wl} | {t} | {fmt_time(ours and ours['seconds'])} | {fmt_time(jax and jax['seconds'])} "
              f"| {fmt_time(torch and torch['seconds'])} | {ratio(jax)} | {ratio(torch)} |")
        tol = TOLERANCE.get(wl)
        if ours and tol is not None:
            for name, peer in (("jax", jax), ("torch", torch)):
                if peer and peer.get("value") is not None:
                    a, b = ours["value"], peer["value"]
                    if abs(a - b) > tol * max(abs(a), abs(b), 1.0):
                        mismatches.append(f"{wl} ({t} threads): cotangent {a!r} vs {name} {b!r}")
    # The compiled rows: cotangent's jit beside JAX's jit, torch.compile and PyTorch eager.
    print("\n| workload | threads | cotangent jit | JAX (jit) | torch.compile | PyTorch | "
          "jit / JAX | jit / torch.compile | jit / PyTorch |")
    print("|---|---|---|---|---|---|---|---|---|")
    for (wl, t), systems in sorted(by.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        jit = systems.get("cotangent_jit")
        if not jit:
            continue
        peers = [systems.get(k) for k in ("jax", "torch_compile", "torch")]
        times = " | ".join(fmt_time(p and p["seconds"]) for p in peers)
        ratios = " | ".join(f"{jit['seconds'] / p['seconds']:.2f}" if p else "—" for p in peers)
        print(f"| {wl} | {t} | {fmt_time(jit['seconds'])} | {times} | {ratios} |")
        tc, tol = systems.get("torch_compile"), TOLERANCE.get(wl)
        if tc and tol is not None and tc.get("value") is not None:
            a, b = jit["value"], tc["value"]
            if abs(a - b) > tol * max(abs(a), abs(b), 1.0):
                mismatches.append(f"{wl} ({t} threads): cotangent_jit {a!r} vs torch_compile {b!r}")
    systems_shown = ("cotangent", "jax", "torch")
    print("\ngrad_cost_ratio: time of value_and_grad of the MLP loss / time of the loss alone "
          f"(rows {GRAD_COST[0]} / {GRAD_COST[1]}).\n")
    print("| threads | cotangent | JAX (jit) | PyTorch |")
    print("|---|---|---|---|")
    for t in thread_counts:
        vg, fwd = by.get((GRAD_COST[0], t), {}), by.get((GRAD_COST[1], t), {})
        cells = [f"{vg[s]['seconds'] / fwd[s]['seconds']:.2f}" if s in vg and s in fwd else "—"
                 for s in systems_shown]
        print(f"| {t} | " + " | ".join(cells) + " |")

    steps = 3 if args.smoke else RSS_STEPS
    rss = measure_rss(None if args.smoke else args.peers_python, steps, args.smoke)
    print(f"\nPeak RSS of mlp_train_step: a fresh process per system builds the inputs and takes "
          f"{steps} steps (1 thread); the baseline process takes 0 steps.\n")
    print("| system | peak RSS | baseline | difference |")
    print("|---|---|---|---|")
    for system in systems_shown:
        if system in rss:
            peak, base = rss[system]
            print(f"| {system} | {peak:.0f} MiB | {base:.0f} MiB | {peak - base:.0f} MiB |")
    with open(os.path.join(ROOT, "target/compare-extra.json"), "w") as f:
        json.dump({"rss_mib": {k: {"peak": v[0], "baseline": v[1], "steps": steps} for k, v in rss.items()}}, f,
                  indent=1)

    for (wl, t), systems in sorted(by.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        ours = systems.get("cotangent")
        for name, rec in sorted(systems.items()):
            if name not in ("cotangent", "jax", "torch") and ours:
                jax = systems.get("jax")
                vs_jax = f"; {name} / JAX = {rec['seconds'] / jax['seconds']:.2f}" if jax else ""
                print(f"\n{wl}, {t} thread(s): {name} {fmt_time(rec['seconds'])}; "
                      f"cotangent / {name} = {ours['seconds'] / rec['seconds']:.2f}{vs_jax}")
                if rec.get("compile_seconds") is not None:
                    print(f"  {name}: compiled in {fmt_time(rec['compile_seconds'])}; {plan_line(rec, peaks.get(t))}")
                # A jitted row must compute the same value as the eager one.
                tol = TOLERANCE.get(wl)
                if name.endswith("_jit") and tol is not None and rec.get("value") is not None:
                    a, b = rec["value"], ours["value"]
                    if abs(a - b) > tol * max(abs(a), abs(b), 1.0):
                        mismatches.append(f"{wl} ({t} threads): {name} {a!r} vs cotangent {b!r}")
    if mismatches:
        print("\nValues differ from the peers':", file=sys.stderr)
        for m in mismatches:
            print("  " + m, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
