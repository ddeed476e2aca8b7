"""When the sandbox itself fails (it stopped answering or broke the protocol, on a fresh
sandbox too), the runner reports ``sandbox_error`` and the question is an ``error``: shown to
the TA and graded again next run, never a zero for the student."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from grader.grading import grade_submission
from grader.loading import load_exam
from grader.sandbox import CaseOutcome, CodeJob
from grader.submissions import read_submission

ROOT = Path(__file__).resolve().parents[2]


class BrokenSandbox:
    """A runner whose sandbox fails on every case."""

    def run(self, job: CodeJob) -> list[CaseOutcome]:
        return [
            CaseOutcome(
                name=c.name,
                index=i,
                status="sandbox_error",
                message=f"the sandbox failed during case {i + 1}",
            )
            for i, c in enumerate(job.cases)
        ]

    def run_batch(self, jobs: Sequence[CodeJob]) -> list[list[CaseOutcome]]:
        return [self.run(j) for j in jobs]

    def close(self) -> None:
        pass


def test_a_failed_sandbox_gives_an_error_not_a_mark() -> None:
    exam = load_exam("quiz-2025", ROOT / "questions")
    sub = read_submission(ROOT / "submissions" / "quiz-2025" / "paper")
    result = grade_submission(exam, sub, BrokenSandbox(), only={"Q3"})
    (q3,) = result.questions
    assert q3.status == "error"
    assert "sandbox failed" in (q3.author_note or "")
    assert "regraded" in q3.feedback or "grader" in q3.feedback
