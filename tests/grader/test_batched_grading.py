"""grade_submission runs all code answers of a student in one sandbox batch."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from grader.grading import grade_submission
from grader.loading import load_exam
from grader.sandbox import CaseOutcome, CodeJob, InProcessRunner
from grader.schema import CodeQuestion, MultipartQuestion
from grader.submissions import read_submission

ROOT = Path(__file__).resolve().parents[2]


class OneAtATime:
    """A runner without ``run_batch``: every code question runs on its own."""

    def __init__(self, inner: InProcessRunner) -> None:
        self.inner = inner
        self.jobs = 0

    def run(self, job: CodeJob) -> list[CaseOutcome]:
        self.jobs += 1
        return self.inner.run(job)

    def close(self) -> None:
        pass


class Counting(OneAtATime):
    def __init__(self, inner: InProcessRunner) -> None:
        super().__init__(inner)
        self.batches: list[int] = []

    def run_batch(self, jobs: Sequence[CodeJob]) -> list[list[CaseOutcome]]:
        self.batches.append(len(jobs))
        return self.inner.run_batch(jobs)


def _code_questions(exam_id: str) -> int:
    exam = load_exam(exam_id, ROOT / "questions")
    n = 0
    for q in exam.questions.values():
        parts = q.parts if isinstance(q, MultipartQuestion) else [q]
        n += sum(isinstance(p, CodeQuestion) for p in parts)
    return n


@pytest.mark.parametrize("exam_id", ["midsem-2025", "quiz-2025"])
def test_every_code_answer_of_a_submission_runs_in_one_batch_with_the_same_marks(
    exam_id: str, runner: InProcessRunner
) -> None:
    exam = load_exam(exam_id, ROOT / "questions")
    sub = read_submission(ROOT / "submissions" / exam_id / "paper", exam_id=exam_id)
    batched, alone = Counting(runner), OneAtATime(runner)
    a = grade_submission(exam, sub, batched)
    b = grade_submission(exam, sub, alone)
    assert batched.batches == [_code_questions(exam_id)]
    assert alone.jobs >= _code_questions(exam_id)
    assert batched.jobs == alone.jobs - _code_questions(exam_id)  # only cost checks run apart
    strip = [(q.question_id, q.marks, q.status, q.feedback) for q in a.questions]
    assert strip == [(q.question_id, q.marks, q.status, q.feedback) for q in b.questions]


def test_a_failing_batch_falls_back_to_one_question_at_a_time(runner: InProcessRunner) -> None:
    class Broken(Counting):
        def run_batch(self, jobs: Sequence[CodeJob]) -> list[list[CaseOutcome]]:
            raise OSError("the batch could not start")

    exam = load_exam("quiz-2025", ROOT / "questions")
    sub = read_submission(ROOT / "submissions" / "quiz-2025" / "paper", exam_id="quiz-2025")
    broken = Broken(runner)
    result = grade_submission(exam, sub, broken)
    assert broken.jobs >= _code_questions("quiz-2025")
    assert not [q for q in result.questions if q.status == "error"]
