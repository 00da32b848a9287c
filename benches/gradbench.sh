#!/usr/bin/env bash
# cotangent on GradBench: every eval in benches/gradbench.conf at the sizes given there, against
# cotangent (crates/cotangent-gradbench), manual (GradBench's hand-written C++, the reference
# the evals validate against), jax and pytorch, each run pinned to core 0 (`taskset -c 0`).
# Prints one markdown table (benches/gradbench_table.py) and writes it to $OUT (default
# target/gradbench/table.md); the eval logs stay in $GRADBENCH_HOME/logs.
#
#   benches/gradbench.sh                     everything (first run: setup.sh --peers, a
#                                            multi-gigabyte download)
#   benches/gradbench.sh lse gmm             only these evals
#   TOOLS="cotangent manual" benches/gradbench.sh
#
# MIN_RUNS and MIN_SECONDS (default 5 and 0.5) go to every eval. Each timing in the table is
# the median of the runs after the first; the first (which holds any compilation) is shown
# beside it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
shared=$root/../shared/gradbench
min_runs=${MIN_RUNS:-5}
min_seconds=${MIN_SECONDS:-0.5}
tools=${TOOLS:-cotangent manual jax pytorch}
home=${GRADBENCH_HOME:-$HOME/.cache/gradbench}

"$shared/setup.sh" --peers >/dev/null
cargo build -q --release -p cotangent-gradbench
target=$(cargo metadata -q --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
ours=$target/release/cotangent-gradbench
out=${OUT:-$target/gradbench/table.md}
mkdir -p "$(dirname "$out")" "$home/logs"

# The evals to run: all in the config, or those named on the command line.
declare -A sizes
order=()
while read -r name opts; do
  [[ -z "$name" || "$name" == \#* ]] && continue
  sizes[$name]=$opts
  order+=("$name")
done < benches/gradbench.conf
if (($#)); then order=("$@"); fi

logs=()
for e in "${order[@]}"; do
  [[ -v "sizes[$e]" ]] || { echo "no eval $e in benches/gradbench.conf" >&2; exit 2; }
  for t in $tools; do
    case $t in
      cotangent) tool=$ours; log=$home/logs/$e-cotangent-gradbench.jsonl ;;
      *) tool=$t; log=$home/logs/$e-$t.jsonl ;;
    esac
    rm -f "$log"
    echo "== $e: $t" >&2
    # shellcheck disable=SC2086  # the sizes are a list of options
    taskset -c 0 "$shared/run.sh" "$e" "$tool" ${sizes[$e]} \
      --min-runs "$min_runs" --min-seconds "$min_seconds" >&2 || echo "($e on $t stopped)" >&2
    [[ -s "$log" ]] && logs+=("$log")
  done
done

{
  echo "GradBench on $(lscpu | sed -n 's/^Model name: *//p'), one core (taskset -c 0)," \
    "min_runs $min_runs, min_seconds $min_seconds, $(date -u +%Y-%m-%d)."
  echo
  python3 benches/gradbench_table.py "$shared/summary.py" "${logs[@]}"
} | tee "$out"
echo "table: $out" >&2
