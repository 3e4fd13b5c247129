#!/usr/bin/env bash
# The citylots2 benchmark through the WebAssembly build (in Node) against the native engine, in
# one run: events/s per rule category for both and their ratio (wasm/bench/citylots.mjs).
# Builds wasm/pkg/ first (scripts/build-wasm.sh). Arguments go to the benchmark, e.g.
# `--events 20000 --passes 5 --categories EXACT,NUMERIC --json out.json`.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build-wasm.sh >/dev/null
exec node wasm/bench/citylots.mjs "$@"
