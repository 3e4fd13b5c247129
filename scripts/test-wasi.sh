#!/usr/bin/env bash
# The engine's own tests compiled to WebAssembly with simd128, run by Node's WASI: the unit
# tests (the 16-byte vector paths of the event reader against the portable ones, among them)
# and the corpus, differential, property, rule-change, reason, allocation and sharing tests, so the
# wasm32 code paths are held to the reference interpreter just as the native ones are. The
# tests that need threads (concurrency, deep nesting on big stacks) are native only.
#
# Needs a rustup toolchain (adds the wasm32-wasip1 target once) and Node.js >= 20. Extra
# arguments go to `cargo test`. Ends with "wasi tests: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS

if command -v rustup >/dev/null; then
    rustup target add wasm32-wasip1 >/dev/null 2>&1 || rustup target add wasm32-wasip1
fi

. scripts/cargo-test-summary.sh
echo "== cargo test (wasm32-wasip1, simd128, under Node's WASI)"
# Panics abort on wasm32: a failing test would take its captured output, a proptest's minimal
# failing input among it, down with the process. Uncaptured, it reaches the log first.
RUST_TEST_NOCAPTURE=1 \
CARGO_TARGET_WASM32_WASIP1_RUNNER="node --no-warnings $PWD/wasm/test-support/wasi-run.mjs" \
    cargo_test_summary "wasi tests" --locked -p evmatch --target wasm32-wasip1 \
    --config 'target.wasm32-wasip1.rustflags=["-C", "target-feature=+simd128"]' \
    --lib --test corpus --test differential --test properties --test rule_changes \
    --test reasons --test allocation --test sharing "$@"
status=$?

# The runner must leave its output pipes blocking (see wasm/test-support/wasi-run.mjs): a test
# binary listing its tests into a full pipe whose reader is slow must wait, not fail.
echo "== the WASI runner waits on a full output pipe"
target_dir=${CARGO_TARGET_DIR:-target}
listed=$(ls -t "$target_dir"/wasm32-wasip1/debug/deps/differential-*.wasm 2>/dev/null | head -1)
if [ -z "$listed" ]; then
    echo "no differential test binary to list: the check did not run"
    status=1
else
    runner_status=$(mktemp)
    { head -c 65536 /dev/zero
      node --no-warnings wasm/test-support/wasi-run.mjs "$listed" --list
      echo $? >"$runner_status"; } 2>&1 | (sleep 2; cat >/dev/null)
    if [ "$(cat "$runner_status")" = 0 ]; then
        echo "ok: the listing waited for the reader"
    else
        echo "FAILED: the listing failed on a full pipe (exit $(cat "$runner_status")): the runner made it non-blocking"
        status=1
    fi
    rm -f "$runner_status"
fi
echo "(wasi tests took $((SECONDS - start)) s)"
exit "$status"
