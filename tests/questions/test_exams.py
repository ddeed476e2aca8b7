"""Both seed papers load as exams with the stable ids, the printed marks and clean validation."""

from __future__ import annotations

import pytest

from grader.loading import LoadedExam, validate_paths
from grader.schema import CodeQuestion, MultipartQuestion, TextQuestion
from tests.questions.conftest import QUESTIONS

MIDSEM_MARKS = {
    "A1": 1.5, "A2": 1.5, "A3": 1.5, "A4": 1.5,
    "B1a": 3,
    "B2a-i": 1, "B2a-ii": 1, "B2b": 2, "B2c": 3, "B2d-i": 1.5, "B2d-ii": 1.5,
    "B3a": 1, "B3b": 2,
    "B4a": 2, "B4b": 2, "B4c-i": 1.5, "B4c-ii": 1.5, "B4d-i": 1.5, "B4d-ii": 1.5,
    "B5a-i-1": 2, "B5a-i-2": 4, "B5a-ii": 2, "B5b": 2,
    "B6a": 1, "B6b-i": 1, "B6b-ii": 1,
}  # fmt: skip
QUIZ_MARKS = {
    "Q1": 2, "Q2a": 2, "Q2b": 1, "Q3": 2, "Q4": 1, "Q5": 3, "Q6a": 1, "Q6b": 2, "Q6c": 3, "Q7": 3,
}  # fmt: skip
CODE_TASKS = {
    "midsem-2025": {"B1a", "B4a/code", "B4d-ii", "B5a-i-1", "B5a-i-2"},
    "quiz-2025": {"Q3", "Q6b", "Q6c/grpo-advantages", "Q6c/grpo-objective"},
}


def _leaves(exam: LoadedExam) -> dict[str, object]:
    out: dict[str, object] = {}
    for qid in exam.ordered_ids():
        q = exam.questions[qid]
        if isinstance(q, MultipartQuestion):
            out.update({f"{qid}/{p.id}": p for p in q.parts})
        else:
            out[qid] = q
    return out


def test_grader_validate_questions_is_clean() -> None:
    files, problems = validate_paths([QUESTIONS])
    assert len(files) >= 7
    assert [str(p) for p in problems] == []


def test_midsem_has_exactly_the_listed_ids_in_print_order(midsem: LoadedExam) -> None:
    assert midsem.exam.exam == "midsem-2025"
    assert midsem.ordered_ids() == list(MIDSEM_MARKS)


def test_quiz_has_exactly_the_listed_ids_in_print_order(quiz: LoadedExam) -> None:
    assert quiz.exam.exam == "quiz-2025"
    assert quiz.ordered_ids() == list(QUIZ_MARKS)


@pytest.mark.parametrize("qid, marks", MIDSEM_MARKS.items())
def test_midsem_question_carries_the_printed_marks(
    midsem: LoadedExam, qid: str, marks: float
) -> None:
    assert midsem.questions[qid].marks == marks


@pytest.mark.parametrize("qid, marks", QUIZ_MARKS.items())
def test_quiz_question_carries_the_printed_marks(quiz: LoadedExam, qid: str, marks: float) -> None:
    assert quiz.questions[qid].marks == marks


def test_midsem_sections_add_up_to_6_and_39_and_45(midsem: LoadedExam) -> None:
    a, b = midsem.exam.sections
    assert (a.title, a.marks, sum(midsem.questions[q].marks for q in a.questions)) == (
        "Section-A",
        6,
        6,
    )
    assert (b.title, b.marks, sum(midsem.questions[q].marks for q in b.questions)) == (
        "Section-B",
        39,
        39,
    )
    assert midsem.exam.total_marks == 45
    assert "NO PARTIAL MARKING" in a.instructions and "MORE THAN ONE OPTION" in a.instructions


def test_quiz_totals_20_marks_in_40_minutes(quiz: LoadedExam) -> None:
    assert quiz.exam.total_marks == 20
    assert sum(quiz.questions[q].marks for q in quiz.ordered_ids()) == 20
    assert quiz.exam.duration_minutes == 40


def test_section_a_mcqs_are_all_or_nothing(midsem: LoadedExam) -> None:
    for qid in ("A1", "A2", "A3", "A4"):
        q = midsem.questions[qid]
        assert q.type == "mcq" and q.scoring.policy == "all_or_nothing"


@pytest.mark.parametrize("exam_id", CODE_TASKS)
def test_code_tasks_are_exactly_the_issue_s_list(
    exams: dict[str, LoadedExam], exam_id: str
) -> None:
    leaves = _leaves(exams[exam_id])
    assert {k for k, v in leaves.items() if isinstance(v, CodeQuestion)} == CODE_TASKS[exam_id]


@pytest.mark.parametrize(
    "exam_id, auto, text", [("midsem-2025", 32.5, 12.5), ("quiz-2025", 9.5, 10.5)]
)
def test_auto_graded_and_text_marks_split_as_documented(
    exams: dict[str, LoadedExam], exam_id: str, auto: float, text: float
) -> None:
    leaves = _leaves(exams[exam_id]).values()
    assert sum(q.marks for q in leaves if isinstance(q, TextQuestion)) == text
    assert sum(q.marks for q in leaves if not isinstance(q, TextQuestion)) == auto


@pytest.mark.parametrize("exam_id", CODE_TASKS)
def test_every_question_has_a_worked_solution(exams: dict[str, LoadedExam], exam_id: str) -> None:
    exam = exams[exam_id]
    assert all(exam.questions[q].solution.strip() for q in exam.ordered_ids())
