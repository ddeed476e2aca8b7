"""Fixtures for the sandbox tests: one warm SandboxRunner (and one InProcessRunner) per session."""

from __future__ import annotations

import os
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
        # bubblewrap is installed but cannot isolate: that is a failure to report, not a
        # reason to skip every defence test (set GRADER_ALLOW_NO_SANDBOX=1 to skip instead).
        if os.environ.get("GRADER_ALLOW_NO_SANDBOX") == "1":
            pytest.skip(f"the sandbox cannot start here: {exc}")
        pytest.fail(f"bubblewrap is installed but the sandbox cannot start: {exc}")
    yield runner
    runner.close()


@pytest.fixture(scope="session")
def unsandboxed() -> Iterator[InProcessRunner]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        runner = InProcessRunner(workers=1)
    yield runner
    runner.close()
