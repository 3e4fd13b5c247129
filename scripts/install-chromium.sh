#!/usr/bin/env bash
# Installs Debian's `chromium` package, which the WASM demo's browser test drives headless
# (wasm/test/browser.test.mjs, through playwright-core). A no-op when /usr/bin/chromium exists.
# Non-interactive; needs root (or passwordless sudo) and access to the Debian mirrors.
set -euo pipefail

if [[ -x /usr/bin/chromium ]]; then
    exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
        sudo=(sudo -n)
    else
        echo "install-chromium: /usr/bin/chromium is missing and installing it needs root" >&2
        exit 1
    fi
fi

start=$SECONDS
echo "== apt-get install chromium (once per machine)"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold chromium >/dev/null
echo "install-chromium: $(/usr/bin/chromium --version 2>/dev/null || echo chromium) installed in $((SECONDS - start)) s"
