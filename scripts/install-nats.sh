#!/usr/bin/env bash
# Installs nats-server (Debian's package; JetStream is `-js`) for the event bus's many-node tests,
# unless it is already on PATH. Needs root for apt-get. The tests start and stop it themselves,
# on 127.0.0.1 only.
set -euo pipefail
if command -v nats-server >/dev/null 2>&1; then
    exit 0
fi
echo "== installing nats-server (apt-get)"
if [[ $(id -u) -ne 0 ]]; then
    echo "install-nats: need root for apt-get install nats-server (or install it yourself)" >&2
    exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nats-server >/dev/null
nats-server --version
