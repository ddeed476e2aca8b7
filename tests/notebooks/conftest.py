"""Fixtures for the notebook tests: notebooks built from cells, the kit notebook, runners."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from notebook_helpers import ROOT

from grader.loading import LoadedExam, load_exam
from grader.notebooks.kit_notebook import build_kit_notebook
from grader.sandbox import InProcessRunner


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
