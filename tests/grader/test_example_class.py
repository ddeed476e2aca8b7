"""End to end: the bundled example class of both seed exams, graded in the real sandbox.

The expected totals are those documented in submissions/README.md: auto-graded marks
exactly, and the text marks that wait for TA review.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader.classroom import grade_class, make_runner
from grader.gradebook import Gradebook
from grader.loading import load_exam
from grader.results import QuestionResult

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.sandbox,
    pytest.mark.skipif(
        shutil.which("bwrap") is None, reason="needs bubblewrap (make setup installs it)"
    ),
]

EXPECTED = {
    "midsem-2025": {
        "paper": 32.5,
        "typical": 26.75,
        "weak": 4.0,
        "empty": 0.0,
        "broken": 0.0,
        "cheating": 6.0,
    },
    "quiz-2025": {
        "paper": 9.5,
        "typical": 7.0,
        "weak": 0.0,
        "empty": 0.0,
        "broken": 0.0,
        "cheating": 3.0,
    },
}
TEXT_MARKS = {"midsem-2025": 12.5, "quiz-2025": 10.5}


def split(result: QuestionResult) -> tuple[float, bool]:
    """(marks, is a text answer waiting for review) of a result or part."""
    return result.marks, result.needs_review or result.status == "needs_review"


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Gradebook]:
    runner = make_runner(2)
    out: dict[str, Gradebook] = {}
    try:
        for exam_id in EXPECTED:
            tmp = tmp_path_factory.mktemp(exam_id)
            klass = tmp / "class"
            shutil.copytree(ROOT / "submissions" / exam_id, klass)
            gb = Gradebook(tmp / "gb.sqlite")
            report = grade_class(
                load_exam(exam_id, ROOT / "questions"), klass, gb, runner, workers=2
            )
            assert report.failed == {}
            out[exam_id] = gb
    finally:
        runner.close()
    return out


@pytest.mark.parametrize("exam_id", list(EXPECTED))
def test_auto_graded_totals_of_every_example_student_are_exact(
    exam_id: str, graded: dict[str, Gradebook]
) -> None:
    auto: dict[str, float] = {}
    for a in graded[exam_id].answers(exam_id):
        for part in a.result.parts or (a.result,):
            marks, is_text = split(part)
            if not is_text:
                auto[a.student] = round(auto.get(a.student, 0.0) + marks, 6)
    assert auto == EXPECTED[exam_id]


@pytest.mark.parametrize("exam_id", list(EXPECTED))
def test_the_papers_text_answers_wait_for_review_with_their_rubric(
    exam_id: str, graded: dict[str, Gradebook]
) -> None:
    pending = [
        part
        for a in graded[exam_id].answers(exam_id)
        if a.student == "paper"
        for part in (a.result.parts or (a.result,))
        if split(part)[1]
    ]
    assert round(sum(p.max_marks for p in pending), 6) == TEXT_MARKS[exam_id]
    assert all("TA" in p.feedback for p in pending)


@pytest.mark.parametrize("exam_id", list(EXPECTED))
def test_cheating_code_scores_nothing(exam_id: str, graded: dict[str, Gradebook]) -> None:
    exam = load_exam(exam_id, ROOT / "questions")
    code_ids = {q for q in exam.ordered_ids() if exam.questions[q].type == "code"}
    for a in graded[exam_id].answers(exam_id):
        if a.student == "cheating" and a.question_id in code_ids:
            assert a.marks == 0.0, (a.question_id, a.result.feedback)


def test_broken_and_off_roster_students_are_told_why(graded: dict[str, Gradebook]) -> None:
    problems = {s: p for s, _, p, _ in graded["midsem-2025"].submissions("midsem-2025")}
    assert problems["broken"][0].startswith("answers.yaml is not valid YAML")
    assert (
        "student id 'cheating' is not on the roster; graded, but check the id"
        in problems["cheating"]
    )
