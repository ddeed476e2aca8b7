"""Notebooks built cell by cell for the notebook tests."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[2]
TYPICAL = ROOT / "submissions" / "midsem-2025" / "typical"


def code(source: str, *tags: str) -> object:
    """A code cell with ``tags``."""
    return new_code_cell(source, metadata={"tags": list(tags)} if tags else {})


def markdown(source: str) -> object:
    return new_markdown_cell(source)


def notebook_bytes(*cells: object) -> bytes:
    """A valid v4 notebook holding ``cells``."""
    return json.dumps(new_notebook(cells=list(cells))).encode()


def bwrap_missing() -> bool:
    return shutil.which("bwrap") is None
