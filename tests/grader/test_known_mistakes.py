"""Known mistakes: a failing code answer that behaves like one of the author's mutants is
told that mutant's message; numeric answers equal to a distractor are told its message."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from grader.code_jobs import built_cases
from grader.grading import GradingOptions, grade_question
from grader.keys import resolve_in
from grader.loading import LoadedBank, LoadedExam, load_exam, resolve_ref
from grader.sandbox import CaseOutcome, CodeJob
from grader.schema import CodeQuestion, ExpressionQuestion, MultipartQuestion, NumericQuestion
from grader.schema.questions import Distractor, FormulaDistractor
from grader.submissions import Submission
from tests.questions._cases import CODE_TASKS

QUESTIONS = Path(__file__).resolve().parents[2] / "questions"
TASKS = CODE_TASKS


@pytest.fixture(scope="module")
def exams() -> dict[str, LoadedExam]:
    return {name: load_exam(name, QUESTIONS) for name in ("midsem-2025", "quiz-2025")}


class PlaysFunction:
    """A runner whose "student" is a trusted function run in-process on the cases' own
    reference arguments, as the sandbox would return its values."""

    def __init__(self, fn: Callable[..., Any], cases: Sequence[Any]) -> None:
        self.fn = fn
        self.by_input = {id(c.sandbox): c for c in cases}

    def run(self, job: CodeJob) -> list[CaseOutcome]:
        out = []
        for i, case in enumerate(job.cases):
            built = self.by_input[id(case)]
            try:
                value = self.fn(*built.reference_args)
            except Exception:  # noqa: BLE001 - a crash is the student's, as in the sandbox
                out.append(CaseOutcome(name="", index=i, status="exception", message="raised"))
                continue
            out.append(CaseOutcome(name="", index=i, status="ok", message="", value=value))
        return out


def code_question(exam: LoadedExam, qid: str, part: str | None) -> tuple[CodeQuestion, str]:
    q = exam.questions[qid]
    if isinstance(q, MultipartQuestion):
        q = next(p for p in q.parts if p.id == part)
        qid = f"{qid}/{part}"
    assert isinstance(q, CodeQuestion)
    return q, qid


def graded_as(exam: LoadedExam, top: str, q: CodeQuestion, qid: str, fn: Callable[..., Any]) -> Any:
    bank: LoadedBank = exam.question_bank[top]
    rq = resolve_in(exam, top, 0)
    if "/" in qid:
        rq = rq.parts[qid.split("/")[1]]
    cases, _ = built_cases(q, bank, rq.params, 0, True)
    submission = Submission(
        folder=Path("."), student="s", exam=None, variant=0, answers={}, files={q.file: b"x"}
    )
    opts = GradingOptions(secret_checks=False)
    return grade_question(q, bank, qid, q.file, submission, rq, 0, PlaysFunction(fn, cases), opts)


@pytest.mark.parametrize("exam_id, qid, part", TASKS, ids=[f"{t[1]}/{t[2]}" for t in TASKS])
def test_each_mutant_graded_as_a_submission_gets_its_own_message(
    exams: dict[str, LoadedExam], exam_id: str, qid: str, part: str | None
) -> None:
    exam = exams[exam_id]
    q, full_id = code_question(exam, qid, part)
    for mutant in q.mutants:
        if mutant.fn.endswith(":recompute_prefix"):
            continue  # right values by design: only the cost check tells it apart
        result = graded_as(exam, qid, q, full_id, resolve_ref(mutant.fn))
        assert result.status != "correct", mutant.fn
        assert result.known_mistake == mutant.fn
        assert mutant.message in result.feedback.split("\n")
        others = [m.message for m in q.mutants if m is not mutant]
        assert not any(m in result.feedback for m in others), mutant.fn


def test_a_correct_answer_and_an_unknown_mistake_name_no_mistake(
    exams: dict[str, LoadedExam],
) -> None:
    exam = exams["quiz-2025"]
    q, qid = code_question(exam, "Q6b", None)
    ref = resolve_ref(q.reference)
    right = graded_as(exam, "Q6b", q, qid, ref)
    assert right.status == "correct" and right.known_mistake is None
    doubled = graded_as(exam, "Q6b", q, qid, lambda *a: 2 * ref(*a) + 1)
    assert doubled.status == "incorrect" and doubled.known_mistake is None
    assert not any(m.message in doubled.feedback for m in q.mutants)


def test_a_numeric_answer_equal_to_a_distractor_gets_its_message(
    exams: dict[str, LoadedExam],
) -> None:
    exam = exams["quiz-2025"]
    qid, q = next((k, v) for k, v in exam.questions.items() if isinstance(v, NumericQuestion))
    rq = resolve_in(exam, qid, 0)
    wrong = float(rq.key) * 2 + 3  # type: ignore[arg-type]
    with_distractor = q.model_copy(
        update={"distractors": [Distractor(value=wrong, message="You doubled it.")]}
    )
    submission = Submission(
        folder=Path("."), student="s", exam=None, variant=0, answers={}, files={}
    )
    bank = exam.question_bank[qid]
    opts = GradingOptions()
    hit = grade_question(with_distractor, bank, qid, wrong, submission, rq, 0, None, opts)
    assert hit.known_mistake == "distractor 1"
    assert hit.feedback.endswith("You doubled it.")
    miss = grade_question(with_distractor, bank, qid, wrong + 1, submission, rq, 0, None, opts)
    assert miss.known_mistake is None and "You doubled it." not in miss.feedback


def test_a_formula_equal_to_a_distractor_gets_its_message() -> None:
    exam = load_exam(Path(__file__).parent / "fixtures" / "good" / "exam.yaml")
    q = exam.questions["E1"]  # key 2*n*r
    assert isinstance(q, ExpressionQuestion)
    with_distractor = q.model_copy(
        update={
            "distractors": [
                FormulaDistractor(formula="n*r", message="LoRA trains two factors, A and B.")
            ]
        }
    )
    rq = resolve_in(exam, "E1", 0)
    bank = exam.question_bank["E1"]
    submission = Submission(
        folder=Path("."), student="s", exam=None, variant=0, answers={}, files={}
    )
    opts = GradingOptions()
    hit = grade_question(with_distractor, bank, "E1", "r*n", submission, rq, 0, None, opts)
    assert hit.known_mistake == "distractor 1"
    assert hit.feedback.endswith("LoRA trains two factors, A and B.")
    right = grade_question(with_distractor, bank, "E1", "2*r*n", submission, rq, 0, None, opts)
    assert right.status == "correct" and right.known_mistake is None
