#!/usr/bin/env bash
# evmatch's Python package beside the Python matchers in use today, moto's and LocalStack's
# (python/bench/bench.py; see python/README.md): the citylots2 rule categories through
# Matcher.matches_many and through each of them (events/s, ratios, match counts compared), and
# the whole corpus through all three (where their answers differ from ours, and which side the
# corpus supports). Runs in a virtual environment of its own, target/python-bench-venv, with the
# pinned packages of python/bench/requirements.txt (made once, remade when that file changes);
# builds the release wheel into it; generates EVENTS citylots2 events (default 10000) with
# evmatch-bench. Arguments go to bench.py (--help lists them), e.g.
#   scripts/bench-python.sh --passes 5 --other-passes 3 --list-differences --json out.json
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
venv=target/python-bench-venv
work=target/python-bench
events=${EVENTS:-10000}
data=$work/citylots2-$events.jsonl
export PYTHONDONTWRITEBYTECODE=1
mkdir -p "$work"

stamp=$(sha256sum python/bench/requirements.txt | cut -d' ' -f1)
if [[ ! -x $venv/bin/python || $(cat "$venv/.requirements" 2>/dev/null) != "$stamp" ]]; then
    echo "== virtual environment $venv (moto, LocalStack)" >&2
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r python/bench/requirements.txt
    echo "$stamp" >"$venv/.requirements"
fi

echo "== the evmatch wheel (maturin build --release)" >&2
rm -rf "$work/wheels"
"$venv/bin/maturin" build --quiet --release --locked --manifest-path python/Cargo.toml \
    --interpreter "$venv/bin/python" --out "$work/wheels" >&2
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-index --no-deps \
    --force-reinstall "$work"/wheels/evmatch-*.whl

if [[ ! -s $data ]]; then
    echo "== $events citylots2 events into $data" >&2
    cargo run --quiet --release --locked -p evmatch-bench -- generate --events "$events" --out "$data" >&2
fi

exec "$venv/bin/python" python/bench/bench.py --events-file "$data" --events "$events" "$@"
