#!/usr/bin/env bash
# The project's test command: every test of every crate (engine, corpus harness, CLI, benches).
# Needs only a Rust toolchain (cargo); run from anywhere inside the repository.
# Ends with one summary line over all test binaries: "tests: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/cargo-test-summary.sh
cargo_test_summary tests --workspace --locked "$@"
