#!/usr/bin/env bash
# The Python package's tests (python/, issue 18): formats and lints the binding crate (its own
# workspace, like fuzz/), then, in a fresh virtual environment (target/python-venv) with the
# pinned tools of python/requirements-test.txt, builds the abi3 wheel with `maturin build
# --release`, installs it, and runs pytest over python/tests: the whole corpus through the
# package, the API's edge cases, threads, hostile inputs, and the type stubs (mypy stubtest and
# mypy --strict). Needs a Rust toolchain and Python >= 3.10 with venv and pip (PYTHON picks the
# interpreter; python3 by default); packages come from PyPI and crates.io, nothing else is
# downloaded. Run from anywhere inside the repository. Ends with pytest's summary line.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
venv=target/python-venv
wheels=target/python-wheels
export PYTHONDONTWRITEBYTECODE=1 CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

echo "== python/: format and lints of the binding crate"
cargo fmt --manifest-path python/Cargo.toml -- --check
cargo clippy --manifest-path python/Cargo.toml --all-targets --locked -- -D warnings

echo "== fresh virtual environment $venv ($("$python" --version))"
rm -rf "$venv" "$wheels"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r python/requirements-test.txt

echo "== maturin build --release (the abi3 wheel, into $wheels)"
"$venv/bin/maturin" build --release --locked --manifest-path python/Cargo.toml \
    --interpreter "$venv/bin/python" --out "$wheels"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-index --no-deps "$wheels"/evmatch-*.whl

echo "== pytest python/tests"
# From the repository root: the installed wheel is what is imported, not python/python/evmatch.
exec "$venv/bin/python" -m pytest python/tests -q
