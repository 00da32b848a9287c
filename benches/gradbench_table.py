#!/usr/bin/env python3
"""The table for benches/gradbench.sh, from GradBench logs read by GradBench's summary.py:

    gradbench_table.py SUMMARY.py LOG.jsonl [LOG.jsonl ...]

One row per eval, function and input; per tool the median time of the runs after the first,
the first run in parentheses and ✗ when the eval judged the output invalid ("failed" when the
tool answered with an error, blank when it has no such module); then cotangent's median over
each peer's (below 1: cotangent is faster).
"""
import importlib.util
import sys

TOOLS = ["cotangent", "manual", "jax", "pytorch"]


def load_summary(path):
    spec = importlib.util.spec_from_file_location("summary", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    summary = load_summary(sys.argv[1])
    rows = [r for p in sys.argv[2:] for r in summary.read(p)]
    table = {}
    for r in rows:
        table.setdefault((r["eval"], r["function"], r["input"]), {})[r["tool"]] = r
    peers = TOOLS[1:]
    print("| eval | function | input | " + " | ".join(TOOLS) + " | "
          + " | ".join(f"cotangent / {p}" for p in peers) + " |")
    print("|---" * (3 + len(TOOLS) + len(peers)) + "|")
    for (ev, fn, inp), by_tool in table.items():
        cells = []
        for t in TOOLS:
            r = by_tool.get(t)
            if r is None:
                cells.append("")
            elif not r.get("success"):
                cells.append("failed")
            else:
                mark = " ✓" if r.get("valid", True) else " ✗"
                cells.append(f"{summary.fmt(r['median'])} ({summary.fmt(r['first'])}){mark}")
        ours = by_tool.get("cotangent")
        for p in peers:
            r = by_tool.get(p)
            ok = ours and r and ours.get("success") and r.get("success")
            if ok and ours["median"] and r["median"]:
                cells.append(f"{ours['median'] / r['median']:.2f}")
            else:
                cells.append("")
        print(f"| {ev} | {fn} | {inp} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
