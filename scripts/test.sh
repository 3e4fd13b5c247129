#!/usr/bin/env bash
# The project's test command: every test of every crate (engine, corpus harness, CLI, benches).
# Needs a Rust toolchain (cargo), and nats-server for the event bus's many-node tests, which
# scripts/install-nats.sh installs (Debian's package) when it is missing; run from anywhere
# inside the repository.
# Ends with one summary line over all test binaries: "tests: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
./scripts/install-nats.sh
. scripts/cargo-test-summary.sh
cargo_test_summary tests --workspace --locked "$@"
