#!/usr/bin/env bash
# The project's test command: every test of every crate (engine, corpus harness, CLI, benches).
# Needs only a Rust toolchain (cargo); run from anywhere inside the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --locked "$@"
