"""Golden files for the reports: compare what a writer made with a committed file, byte for
byte; or, with ``UPDATE_GOLDEN=1`` in the environment, write the committed file instead.

Regenerate after an intended change of output, then read every changed golden file (git
diff) before committing it::

    UPDATE_GOLDEN=1 python -m pytest tests/reports
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden"

UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


@pytest.fixture
def golden() -> Callable[[str, bytes], None]:
    """``golden(name, made)``: assert ``made`` equals ``golden/<name>`` byte for byte (or write
    it there under ``UPDATE_GOLDEN=1``)."""

    def check(name: str, made: bytes) -> None:
        path = GOLDEN / name
        if UPDATE:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(made)
            return
        assert path.is_file(), f"no golden file {path}; run with UPDATE_GOLDEN=1 to write it"
        expected = path.read_bytes()
        assert made.decode("utf-8") == expected.decode("utf-8"), f"{name} differs from {path}"
        assert made == expected

    return check
