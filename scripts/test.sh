#!/usr/bin/env bash
# The project's test command: every test of every crate (engine, corpus harness, CLI, benches).
# Needs only a Rust toolchain (cargo); run from anywhere inside the repository.
# Ends with one summary line over all test binaries: "tests: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --workspace --locked "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
passed=$(grep -oE '^test result: [A-Za-z]+\. [0-9]+ passed' "$log" | awk '{s += $4} END {print s + 0}')
failed=$(grep -oE '; [0-9]+ failed' "$log" | awk '{s += $2} END {print s + 0}')
echo
echo "tests: $passed passed, $failed failed"
exit "$status"
