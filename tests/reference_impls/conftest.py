"""The one ``device`` fixture of the reference tests: every test that takes ``device`` runs
once on the CPU and once on CUDA.

The CUDA run carries the ``gpu`` marker, so it is skipped with a reason on a machine without
CUDA (tests/conftest.py) and can be selected or left out with ``-m gpu`` / ``-m "not gpu"``.
"""

from __future__ import annotations

import pytest


@pytest.fixture(params=["cpu", pytest.param("cuda", marks=pytest.mark.gpu)])
def device(request: pytest.FixtureRequest) -> str:
    """The device a reference test runs on: ``"cpu"``, then ``"cuda"``."""
    name: str = request.param
    return name
