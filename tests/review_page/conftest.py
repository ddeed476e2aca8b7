"""Fixtures of the review page tests: the class of ``review_class`` graded once per
session, a copy of its output per test, and the page's app with a test client."""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from review_class import PORT, TOKEN, AppFor, Course, FakeEncoder, write_class

from grader.classroom import grade_class
from grader.gradebook import Gradebook
from grader.loading import load_exam
from grader.review_page import create_app
from grader.review_page.guard import TOKEN_HEADER
from grader.sandbox import InProcessRunner
from grader.text_model import Matcher, TextEncoder


@pytest.fixture(scope="session")
def graded_class(tmp_path_factory: pytest.TempPathFactory) -> Course:
    """The class graded once."""
    root = tmp_path_factory.mktemp("review-class")
    exam_file, submissions = write_class(root)
    exam = load_exam(exam_file)
    out = root / "out"
    gradebook = Gradebook(out / "gradebook.sqlite")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # no sandbox: text needs none
        runner = InProcessRunner(workers=1)
    try:
        report = grade_class(exam, submissions, gradebook, runner)
    finally:
        runner.close()
    assert not report.failed, report.failed
    gradebook.close()
    return Course(exam, exam_file, out)


@pytest.fixture
def course(graded_class: Course, tmp_path: Path) -> Course:
    """A copy of the graded class's output, for one test to change."""
    out = tmp_path / "out"
    shutil.copytree(graded_class.out, out)
    return Course(graded_class.exam, graded_class.exam_file, out)


@pytest.fixture
def app_for(course: Course) -> Iterator[AppFor]:
    """``app_for(reviewer="ta1", headers=True, text=..., out=...)``: a test client of a
    fresh review page app on ``course`` (the fake encoder unless ``text`` is given), sending
    the token header unless ``headers=False``."""
    clients: list[TestClient] = []

    def make(
        reviewer: str = "ta",
        headers: bool = True,
        text: TextEncoder | Matcher | None = None,
        out: Path | None = None,
    ) -> TestClient:
        app = create_app(
            course.exam,
            course.gradebook,
            token=TOKEN,
            port=PORT,
            text=text or FakeEncoder(),
            reviewer=reviewer,
            out=out,
        )
        client = TestClient(
            app,
            base_url=f"http://127.0.0.1:{PORT}",
            headers={TOKEN_HEADER: TOKEN} if headers else None,
            follow_redirects=False,
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
