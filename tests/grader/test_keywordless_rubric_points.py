"""A rubric point may be only a description, with examples and counter-examples: it loads,
`grader validate` warns (naming it) when the text model is not active, and grading never
breaks on it: the answer stays `needs_review`, and the feedback says the model or a TA
decides that point."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import warnings
from pathlib import Path

import pytest

from grader.cli import ExitCode, main
from grader.loading import load_bank
from grader.schema import TextQuestion
from grader.text_model import Matcher

FIX = Path(__file__).parent / "fixtures"
KEYWORDS_ONLY = Matcher("keywords", "keyword rubric", reason="the text model is not installed")


@pytest.fixture
def course(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The fixture exam whose T1 point 'raw' has examples and counter-examples instead of
    keywords, and its class; the model is not active."""
    monkeypatch.setattr("grader.text_model._loaded", KEYWORDS_ONLY)
    shutil.copytree(FIX / "good", tmp_path / "q")
    shutil.copytree(FIX / "class", tmp_path / "class")
    bank = tmp_path / "q" / "bank.yaml"
    old = "        keywords: [[large], [unbounded]]\n"
    new = (
        "        examples: [positions as integers get very large]\n"
        "        counter_examples: [integers are small]\n"
    )
    assert old in bank.read_text()
    bank.write_text(bank.read_text().replace(old, new))
    return tmp_path


def test_a_point_with_only_a_description_and_examples_loads(course: Path) -> None:
    (t1,) = [q for q in load_bank(course / "q" / "bank.yaml").bank.questions if q.id == "T1"]
    assert isinstance(t1, TextQuestion)
    raw = t1.rubric[1]
    assert (raw.keywords, raw.examples, raw.counter_examples) == (
        [],
        ["positions as integers get very large"],
        ["integers are small"],
    )


def test_validate_passes_with_a_warning_that_names_the_point(
    course: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(course / "q")]) == ExitCode.OK
    err = capsys.readouterr().err
    assert "question 'T1': rubric point 'raw' has no keywords" in err
    assert "install the `text` extra (`make setup`)" in err


def test_grading_keeps_the_answer_for_review_and_says_who_decides_the_point(
    course: Path,
) -> None:
    with (
        warnings.catch_warnings(),
        contextlib.redirect_stdout(io.StringIO()),
        contextlib.redirect_stderr(io.StringIO()),
    ):
        warnings.simplefilter("ignore", RuntimeWarning)  # --no-sandbox says what it gives up
        status = main(
            [
                "grade",
                str(course / "q" / "exam.yaml"),
                str(course / "class"),
                "--out",
                str(course / "out"),
                "--no-sandbox",
                "--workers",
                "1",
                "--quiet",
            ]
        )
    assert status != ExitCode.GRADER_ERRORS
    results = json.loads((course / "out" / "results.json").read_text())
    t1 = {
        student["student"]: next(q for q in student["questions"] if q["question_id"] == "T1")
        for student in results["students"]
    }
    assert "error" not in {r["status"] for r in t1.values()}
    alice = t1["alice"]
    assert (alice["status"], alice["needs_review"], alice["rubric_found"]) == (
        "needs_review",
        True,
        ["perm"],
    )
    assert alice["feedback"].endswith(
        "Points the keywords cannot check (the text model or a TA decides them): Raw integers "
        "grow without bound."
    )
