"""``make lint`` holds: ruff finds nothing, everything is ``ruff format``-ted, and grader/ is
strictly typed, as STYLE.md asks. Which files each tool reads is set in pyproject.toml, so
these tests and the Makefile check the same files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True)


def test_ruff_finds_nothing() -> None:
    out = _run("ruff", "check", ".")
    assert out.returncode == 0, out.stdout[-3000:]


def test_every_file_is_ruff_formatted() -> None:
    out = _run("ruff", "format", "--check", ".")
    assert out.returncode == 0, f"run `ruff format` on:\n{out.stdout[-3000:]}"


@pytest.mark.slow
def test_grader_is_strictly_typed() -> None:
    out = _run("mypy")
    assert out.returncode == 0, out.stdout[-3000:]
