#!/usr/bin/env bash
# The WASM package's tests: builds wasm/pkg/ (scripts/build-wasm.sh), installs the tests' dev
# dependencies (TypeScript and playwright-core, pinned in wasm/package-lock.json) with `npm ci`,
# and runs Node's built-in test runner over wasm/test/: first the Node tests (the whole
# conformance corpus through both builds, Node and web; the JS API's edge cases; `tsc --noEmit`
# over wasm/test/usage.ts), then the browser test (wasm/test/browser.test.mjs: the demo page in
# wasm/demo/ in headless Chromium, checked against the Node build). First of all it runs the
# engine's own tests compiled to wasm32 with simd128 under Node's WASI (scripts/test-wasi.sh).
# Needs Node.js >= 20 and npm besides what build-wasm.sh needs, and /usr/bin/chromium for the
# browser test (scripts/install-chromium.sh installs it). Run from anywhere inside the repository.
# Ends with one summary line covering all three: "wasm tests: N passed, N failed (...)".
set -uo pipefail
shopt -s extglob
cd "$(dirname "$0")/.."
start=$SECONDS

wasi_log=$(mktemp)
./scripts/test-wasi.sh | tee "$wasi_log"
wasi_status=${PIPESTATUS[0]}
wasi_passed=$(sed -nE 's/^wasi tests: ([0-9]+) passed.*/\1/p' "$wasi_log")
wasi_failed=$(sed -nE 's/^wasi tests: [0-9]+ passed, ([0-9]+) failed.*/\1/p' "$wasi_log")
wasi_crashed=$(sed -nE 's/^wasi tests: .*, ([0-9]+) test binaries ended without a result$/\1/p' "$wasi_log")
rm -f "$wasi_log"

if ! ./scripts/build-wasm.sh; then
    echo "wasm tests: build failed"
    exit 1
fi

echo "== npm ci (wasm/)"
if ! (cd wasm && npm ci --no-audit --no-fund --loglevel=error); then
    echo "wasm tests: npm ci failed"
    exit 1
fi

tap_node=$(mktemp)
tap_browser=$(mktemp)
trap 'rm -f "$tap_node" "$tap_browser"' EXIT

# Node's runner reports "# pass N" / "# fail N" at the end of its TAP output.
count() { sed -nE "s/^# $1 ([0-9]+)\$/\1/p" "$2" | tail -1; }

echo "== node --test wasm/test/ (Node tests)"
node --test --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$tap_node" wasm/test/!(browser|bus-browser).test.mjs
node_status=$?

echo "== node --test wasm/test/browser.test.mjs (the demo in headless Chromium)"
node --test --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$tap_browser" wasm/test/browser.test.mjs
browser_status=$?

node_passed=$(count pass "$tap_node")
node_failed=$(count fail "$tap_node")
browser_passed=$(count pass "$tap_browser")
browser_failed=$(count fail "$tap_browser")
passed=$((${wasi_passed:-0} + ${node_passed:-0} + ${browser_passed:-0}))
if [[ -n $wasi_failed && -n $node_failed && -n $browser_failed ]]; then
    failed=$((wasi_failed + node_failed + browser_failed))
else
    failed="?"
fi
status=$((wasi_status || node_status || browser_status))
echo
echo "wasm tests: $passed passed, $failed failed (wasi: ${wasi_passed:-0} passed, ${wasi_failed:-?} failed${wasi_crashed:+, $wasi_crashed test binaries ended without a result};" \
    "node: ${node_passed:-0} passed, ${node_failed:-?} failed;" \
    "browser: ${browser_passed:-0} passed, ${browser_failed:-?} failed; $((SECONDS - start)) s)"
exit "$status"
