"""The type stubs: ``mypy.stubtest`` compares them with the compiled module, and
``mypy --strict`` checks typing_usage.py (uses the stubs must accept, misuses they must refuse).
Skipped when mypy is not installed (scripts/test-python.sh installs it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mypy")

HERE = Path(__file__).resolve().parent


def run(*args: str) -> subprocess.CompletedProcess[str]:
    # Run outside the source tree, so the installed package (not python/python/) is checked.
    return subprocess.run([sys.executable, "-m", *args], cwd=HERE, capture_output=True, text=True, timeout=600)


def test_stubs_match_the_module() -> None:
    result = run("mypy.stubtest", "evmatch", "--mypy-config-file", str(HERE / "mypy.ini"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_stubs_type_check_usage() -> None:
    result = run("mypy", "--strict", "--config-file", str(HERE / "mypy.ini"), str(HERE / "typing_usage.py"))
    assert result.returncode == 0, result.stdout + result.stderr
