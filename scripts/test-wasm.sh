#!/usr/bin/env bash
# The WASM package's tests: builds wasm/pkg/ (scripts/build-wasm.sh), installs the tests' one
# dev dependency (TypeScript, pinned in wasm/package-lock.json) with `npm ci`, and runs Node's
# built-in test runner over wasm/test/: the whole conformance corpus through both builds (Node and
# web), the JS API's edge cases, and `tsc --noEmit` over wasm/test/usage.ts.
# Needs Node.js >= 20 and npm besides what build-wasm.sh needs. Run from anywhere inside the
# repository. Ends with one summary line: "wasm tests: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS

if ! ./scripts/build-wasm.sh; then
    echo "wasm tests: build failed"
    exit 1
fi

echo "== npm ci (wasm/)"
if ! (cd wasm && npm ci --no-audit --no-fund --loglevel=error); then
    echo "wasm tests: npm ci failed"
    exit 1
fi

echo "== node --test wasm/test/"
tap=$(mktemp)
trap 'rm -f "$tap"' EXIT
node --test --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$tap" wasm/test/
status=$?
passed=$(sed -nE 's/^# pass ([0-9]+)$/\1/p' "$tap" | tail -1)
failed=$(sed -nE 's/^# fail ([0-9]+)$/\1/p' "$tap" | tail -1)
echo
echo "wasm tests: ${passed:-0} passed, ${failed:-?} failed ($((SECONDS - start)) s)"
exit "$status"
