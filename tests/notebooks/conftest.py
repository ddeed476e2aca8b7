"""Fixtures for the notebook tests: notebooks built from cells, the kit notebook, runners."""

from __future__ import annotations

import json
import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grader.loading import LoadedExam, load_exam
from grader.notebooks.kit_notebook import build_kit_notebook
from grader.sandbox import InProcessRunner

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


@pytest.fixture(scope="session")
def midsem() -> LoadedExam:
    return load_exam("midsem-2025", ROOT / "questions")


@pytest.fixture(scope="session")
def kit_notebook(midsem: LoadedExam, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The midsem's kit notebook (the printed paper's variant)."""
    return build_kit_notebook(midsem, tmp_path_factory.mktemp("kit"))


@pytest.fixture(scope="session")
def runner() -> Iterator[InProcessRunner]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the no-sandbox warning is expected
        r = InProcessRunner(workers=1)
    yield r
    r.close()


def bwrap_missing() -> bool:
    return shutil.which("bwrap") is None
