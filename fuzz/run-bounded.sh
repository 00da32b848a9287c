#!/usr/bin/env bash
# Runs the fuzz targets under libFuzzer for a bounded time each (FUZZ_SECONDS, default 30),
# on the stable toolchain and without installing cargo-fuzz: the targets are built with the same
# sanitizer-coverage flags `cargo fuzz build --sanitizer none` passes (all stable `-C` options).
# New inputs go to a scratch corpus; the committed corpus is only read. A crash exits non-zero
# and leaves the input under fuzz/artifacts/<target>/.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${FUZZ_SECONDS:-30}"
export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Cdebug-assertions -Coverflow-checks"
# An explicit --target keeps these flags off build scripts (which are not linked with libFuzzer).
triple="$(rustc -vV | sed -n 's/^host: //p')"
cargo build -q --release --locked --bins --target "$triple"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
for target in expr_parse checkpoint_load tensor_program; do
    mkdir -p "$scratch/$target" "artifacts/$target"
    extra=()
    [ "$target" = checkpoint_load ] && extra=(-max_len=4096)
    echo "fuzzing $target for ${seconds}s"
    log="$scratch/$target.log"
    if ! "target/$triple/release/$target" "$scratch/$target" "corpus/$target" \
        -max_total_time="$seconds" -print_final_stats=1 \
        -artifact_prefix="artifacts/$target/" "${extra[@]}" >"$log" 2>&1; then
        tail -n 40 "$log"
        echo "fuzz target $target failed: see fuzz/artifacts/$target/"
        exit 1
    fi
    grep -E "^stat::number_of_executed_units|^Done" "$log" || tail -n 5 "$log"
done
