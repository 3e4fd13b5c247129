#!/usr/bin/env bash
# Builds the WebAssembly npm package `evmatch` into wasm/pkg/: web/ (ES module for browsers and
# bundlers, `--target web`) and node/ (an ES module for Node.js that loads its .wasm
# synchronously, `--target experimental-nodejs-module`), each with its .d.ts, under one
# package.json whose `exports` picks the right one. Both are ES modules because the crate ships
# a JS snippet (wasm/src/event_input.js) that wasm-bindgen copies as it is; Node >= 20.19 also
# `require`s them.
#
# Needs a rustup toolchain and Node.js (only to write package.json and to measure the module). On
# first use it adds the wasm32-unknown-unknown target and installs wasm-bindgen-cli at exactly the
# version wasm/Cargo.toml pins (a one-off compile of a few minutes); later runs take seconds. Run
# from anywhere inside the repository. Extra arguments go to `cargo build`. Ends with the module's
# size, raw and gzipped as wasm/test/size.test.mjs measures it (Node's zlib, level 9).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS

# The one pin: `wasm-bindgen = "=X.Y.Z"` in wasm/Cargo.toml; the CLI must be the same version.
version=$(sed -nE 's/^wasm-bindgen = .*"=([0-9]+\.[0-9]+\.[0-9]+)".*/\1/p' wasm/Cargo.toml)
if [[ -z $version ]]; then
    echo "build-wasm: no exact wasm-bindgen pin (\"=X.Y.Z\") found in wasm/Cargo.toml" >&2
    exit 1
fi

if command -v rustup >/dev/null; then
    rustup target add wasm32-unknown-unknown >/dev/null 2>&1 ||
        rustup target add wasm32-unknown-unknown
fi

export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
if [[ $(wasm-bindgen --version 2>/dev/null) != "wasm-bindgen $version" ]]; then
    echo "== installing wasm-bindgen-cli $version (once per machine)"
    # --locked reproduces the CLI's own lockfile; if a registry mirror lacks one of its pinned
    # versions, fall back to resolving afresh (same CLI version either way).
    cargo install --locked --force wasm-bindgen-cli --version "$version" ||
        cargo install --force wasm-bindgen-cli --version "$version"
fi

echo "== cargo build (wasm32-unknown-unknown, simd128, size-optimised)"
# A profile of its own, so native `release` builds are neither changed nor rebuilt: panic=abort,
# whole-program LTO, no debug info, opt-level "s": it matches events 1.1-1.8x faster than "z"
# (which stops inlining even one-line helpers; measured in the issue-5 notes) for 7 KB more
# gzipped. Opt-levels 2 and 3 fit the 150 KB budget too since the compact sort (2026-12-06:
# 138.1 and 141.6 KB gzipped against 130.7) and match about 6% and 4% faster; "s" keeps the
# headroom. simd128 (in every browser since 2021 and Node since 16.4) lets the event reader take
# 16 bytes at a time, as SSE2 does natively.
cargo build --locked -p evmatch-wasm --target wasm32-unknown-unknown --profile wasm-release \
    --config 'target.wasm32-unknown-unknown.rustflags=["-C", "target-feature=+simd128"]' \
    --config 'profile.wasm-release.inherits="release"' \
    --config 'profile.wasm-release.opt-level="s"' \
    --config 'profile.wasm-release.lto="fat"' \
    --config 'profile.wasm-release.codegen-units=1' \
    --config 'profile.wasm-release.panic="abort"' \
    --config 'profile.wasm-release.debug=0' \
    --config 'profile.wasm-release.strip="debuginfo"' \
    "$@"
target_dir=${CARGO_TARGET_DIR:-target}
module="$target_dir/wasm32-unknown-unknown/wasm-release/evmatch_wasm.wasm"

echo "== wasm-bindgen $version"
rm -rf wasm/pkg
wasm-bindgen --remove-name-section --remove-producers-section --target web --out-dir wasm/pkg/web --out-name evmatch "$module"
wasm-bindgen --remove-name-section --remove-producers-section --target experimental-nodejs-module --out-dir wasm/pkg/node --out-name evmatch "$module"

node - <<'EOF'
const fs = require("node:fs");
const { packages } = JSON.parse(
  require("node:child_process").execFileSync(
    "cargo", ["metadata", "--no-deps", "--format-version", "1", "--offline"], { maxBuffer: 1 << 26 }));
const crate = packages.find((p) => p.name === "evmatch-wasm");
const entry = (dir) => ({ types: `./${dir}/evmatch.d.ts`, default: `./${dir}/evmatch.js` });
const pkg = {
  name: "evmatch",
  version: crate.version,
  description: "Match JSON events against AWS EventBridge event patterns (WebAssembly build of the evmatch Rust library).",
  license: crate.license,
  type: "module",
  // Node gets the build that loads its .wasm synchronously on import; everything else (browsers,
  // bundlers, Deno) the one that needs `await init()` (or `initSync`) first.
  exports: {
    ".": { node: entry("node"), default: entry("web") },
    "./web": entry("web"),
    "./node": entry("node"),
    "./evmatch_bg.wasm": "./web/evmatch_bg.wasm",
    "./package.json": "./package.json",
  },
  main: "./node/evmatch.js",
  module: "./web/evmatch.js",
  types: "./node/evmatch.d.ts",
  files: ["web/", "node/", "README.md"],
  sideEffects: ["./node/evmatch.js", "./web/evmatch.js"],
  engines: { node: ">=20.19" },
};
fs.writeFileSync("wasm/pkg/package.json", JSON.stringify(pkg, null, 2) + "\n");
for (const dir of ["web", "node"]) {
  fs.rmSync(`wasm/pkg/${dir}/.gitignore`, { force: true });
  fs.rmSync(`wasm/pkg/${dir}/package.json`, { force: true });
}
fs.copyFileSync("wasm/README.md", "wasm/pkg/README.md");
EOF

# The gzipped size as wasm/test/size.test.mjs measures it against its budget (Node's zlib at level
# 9), not `gzip -9`, whose output is about 1 KB smaller for the same module.
sizes=$(node -e '
const bytes = require("node:fs").readFileSync(process.argv[1]);
console.log(bytes.length, require("node:zlib").gzipSync(bytes, { level: 9 }).length);
' wasm/pkg/web/evmatch_bg.wasm)
read -r raw gz <<<"$sizes"
echo "build-wasm: wasm/pkg/ (wasm-bindgen $version): evmatch_bg.wasm $raw bytes, $gz gzipped (zlib level 9, as the size test measures it); $((SECONDS - start)) s"
