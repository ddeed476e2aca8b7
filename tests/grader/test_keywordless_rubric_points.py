"""A rubric point may be only a description, with examples and counter-examples: it loads,
`grader validate` warns (naming it) when the text model is not active, and grading never
breaks on it: the answer stays `needs_review`, and the feedback says the model or a TA
decides that point."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader.cli import ExitCode, main
from grader.grading import grade_submission
from grader.loading import load_bank, load_exam
from grader.schema import TextQuestion
from grader.submissions import read_submission
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
    exam = load_exam(course / "q" / "exam.yaml")
    graded = {
        student: grade_submission(
            exam, read_submission(course / "class" / student), None, only={"T1"}
        ).questions[0]
        for student in ("alice", "bob", "carl")
    }
    assert all(r.status != "error" for r in graded.values()), graded
    t1 = graded["alice"]
    assert (t1.status, t1.needs_review, t1.rubric_found, t1.marks) == (
        "needs_review",
        True,
        ("perm",),
        1.0,
    )
    assert t1.feedback.endswith(
        "Points the keywords cannot check (the text model or a TA decides them): Raw integers "
        "grow without bound."
    )
