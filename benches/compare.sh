#!/usr/bin/env bash
# One command for the side-by-side benchmarks: cotangent against JAX (jit) and PyTorch, pinned
# to one core and then two, values cross-checked. See benches/compare.py.
#
#   benches/compare.sh            full run (needs the peers: a one-time, multi-gigabyte install)
#   benches/compare.sh --smoke    cotangent only, one quick repetition (CI)
#
# The peers' Python is $PEERS_PYTHON if set, else a cached virtualenv in target/peers-venv.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ " $* " == *" --smoke "* ]]; then
    # The test profile, with the test build's features: nothing is compiled again in release.
    cargo bench -q --workspace --all-features --profile dev --bench core --no-run
    exec python3 benches/compare.py "$@"
fi
cargo bench -q -p cotangent --bench core --no-run

py="${PEERS_PYTHON:-}"
if [[ -z "$py" ]]; then
    venv=target/peers-venv
    if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c "import jax, torch" 2>/dev/null; then
        echo "Installing jax[cpu] and torch into $venv (one-time, several GB to download)..." >&2
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet -r benches/peers/requirements.txt
    fi
    py="$venv/bin/python"
fi
exec python3 benches/compare.py --peers-python "$py" "$@"
