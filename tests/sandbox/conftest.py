"""Fixtures for the sandbox tests: one warm SandboxRunner (and one InProcessRunner) per session."""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Iterator

import pytest

from grader.sandbox import InProcessRunner, SandboxRunner, SandboxUnavailable


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxRunner]:
    if shutil.which("bwrap") is None:
        pytest.skip(
            "bubblewrap is not installed (`sudo apt-get install bubblewrap`); sandbox tests skipped"
        )
    try:
        runner = SandboxRunner(workers=2)
    except SandboxUnavailable as exc:
        pytest.skip(f"the sandbox cannot start here: {exc}")
    yield runner
    runner.close()


@pytest.fixture(scope="session")
def unsandboxed() -> Iterator[InProcessRunner]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        runner = InProcessRunner(workers=1)
    yield runner
    runner.close()
