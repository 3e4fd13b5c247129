#!/usr/bin/env bash
# Tests bus/client/ (npm package evmatch-bus-client) against the real server: installs its one dev
# dependency (TypeScript, pinned in package-lock.json), compiles src/ into dist/, builds the server
# binary (target/debug/evmatch-bus), installs nats-server if it is missing (scripts/install-nats.sh:
# the two-node resume test) and, if missing, the WASM package wasm/pkg/ (the engine of views), then
# runs the Node tests (node --test; Node.js 20 needs --experimental-websocket for
# the global WebSocket, later versions accept the flag). The last line is the test runner's summary.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== bus/client: npm ci, tsc"
(cd bus/client && npm ci --no-audit --no-fund && npm run --silent build)

echo "== evmatch-bus (debug)"
cargo build --locked -p evmatch-bus

# The two-node test (test/cluster.test.mjs) runs a nats-server with JetStream.
./scripts/install-nats.sh

if [[ ! -f wasm/pkg/node/evmatch.js ]]; then
    echo "== wasm/pkg missing: ./scripts/build-wasm.sh"
    ./scripts/build-wasm.sh
fi

echo "== node tests (bus/client/test)"
cd bus/client
# Spec reporter: per-test lines, then the summary (its last line is the duration). --test-force-exit:
# a test file ends when its tests do, even if a failed hook left something open (test/helpers.mjs
# kills the processes it started when the file's process exits).
exec node --experimental-websocket --test --test-force-exit --test-reporter=spec test/*.test.mjs
