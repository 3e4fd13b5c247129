#!/usr/bin/env bash
# The demo page in bus mode, in headless Chromium, fed by the real evmatch-bus
# (wasm/test/bus-browser.test.mjs): two pages with different subscriptions and the publisher
# (wasm/demo/publish.mjs); each page must show exactly the events of its rules (checked against the
# Node build of the engine), and the filter box must narrow them. Builds what the test needs: the
# server (cargo build --locked -p evmatch-bus, debug), wasm/pkg/ if missing (scripts/build-wasm.sh),
# the client bus/client/dist/ (npm ci + its build script), and the test's dev dependencies in
# wasm/ (npm ci: playwright-core). Needs Node.js >= 20 and /usr/bin/chromium
# (scripts/install-chromium.sh). Run from anywhere inside the repository. The last line is the
# Node test runner's summary.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== evmatch-bus (debug)"
cargo build --locked -p evmatch-bus

if [[ ! -f wasm/pkg/web/evmatch.js || ! -f wasm/pkg/node/evmatch.js ]]; then
    echo "== wasm/pkg missing: ./scripts/build-wasm.sh"
    ./scripts/build-wasm.sh
fi

echo "== bus/client: npm ci, build"
(cd bus/client && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build)

echo "== npm ci (wasm/)"
(cd wasm && npm ci --no-audit --no-fund --loglevel=error)

echo "== node --test wasm/test/bus-browser.test.mjs (the demo in bus mode, headless Chromium)"
# Spec reporter: per-test lines, then the summary (its last line is the duration).
exec node --test --test-reporter=spec wasm/test/bus-browser.test.mjs
