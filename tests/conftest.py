"""Shared pytest set-up: the ``gpu`` marker skips cleanly on machines without CUDA; the
``browser`` fixture launches Debian's chromium through Playwright (never its own download);
the grader's caches (``GRADER_CACHE_DIR``) are the session's own, never the user's."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch

CHROMIUM = Path("/usr/bin/chromium")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if torch.cuda.is_available():
        return
    skip_gpu = pytest.mark.skip(reason="needs a CUDA device; none is present on this machine")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip_gpu)


@pytest.fixture(autouse=True, scope="session")
def _own_grader_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """`grader validate` keeps computed keys in ``GRADER_CACHE_DIR``: a folder of this
    session's (subprocesses inherit it), not ``~/.cache``."""
    before = os.environ.get("GRADER_CACHE_DIR")
    os.environ["GRADER_CACHE_DIR"] = str(tmp_path_factory.mktemp("grader-cache"))
    yield
    if before is None:
        del os.environ["GRADER_CACHE_DIR"]
    else:
        os.environ["GRADER_CACHE_DIR"] = before


@pytest.fixture
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="needs playwright (the dev extra: pip install -e '.[dev]')"
    )
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield launched
        launched.close()
