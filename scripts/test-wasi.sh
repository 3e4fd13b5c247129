#!/usr/bin/env bash
# The engine's own tests compiled to WebAssembly with simd128, run by Node's WASI: the unit
# tests (the 16-byte vector paths of the event reader against the portable ones, among them)
# and the corpus, differential, property, rule-change, reason and allocation tests, so the
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
    --test reasons --test allocation "$@"
status=$?
echo "(wasi tests took $((SECONDS - start)) s)"
exit "$status"
