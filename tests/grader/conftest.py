"""Fixtures shared by the grader tests."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

from grader.sandbox import InProcessRunner


@pytest.fixture(scope="session")
def runner() -> Iterator[InProcessRunner]:
    """One unsandboxed warm runner for tests of the pipeline around the sandbox (the
    sandbox's own defences are tested in tests/sandbox with the real SandboxRunner)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the no-sandbox warning is expected here
        r = InProcessRunner(workers=1)
    yield r
    r.close()
