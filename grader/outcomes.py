"""Frozen results of grading: per case, per question (and part), per submission."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["CaseResult", "QuestionResult", "SubmissionResult", "QuestionStatus"]

QuestionStatus = Literal[
    "correct",
    "partially_correct",
    "incorrect",
    "invalid",
    "unchecked",
    "needs_review",
    "missing",
    "error",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CaseResult(_Frozen):
    """One code case as the student sees it."""

    name: str = Field(description="`case 3` for hidden cases; the author's name for visible ones.")
    visible: bool = Field(description="Visible cases show full detail.")
    passed: bool = Field(description="Whether the output was accepted.")
    status: str = Field(description="How the run ended (ok, exception, timeout, cpu_limit, ...).")
    message: str = Field(default="", description="Student-safe reason when it failed.")
    seconds: float = Field(default=0.0, description="Wall-clock time of the call.")


class QuestionResult(_Frozen):
    """The grade of one question (or one part of a multipart question)."""

    question_id: str = Field(description="Question id, or `id/part` for a part.")
    marks: float = Field(description="Marks awarded (provisional for text until reviewed).")
    max_marks: float = Field(description="Marks the question is worth.")
    status: QuestionStatus = Field(description="Overall outcome.")
    feedback: str = Field(default="", description="Student-facing explanation.")
    expected: str | None = Field(default=None, description="Key, shown only when released.")
    solution: str = Field(default="", description="Worked solution, shown only when released.")
    cases: tuple[CaseResult, ...] = Field(default=(), description="Code cases, in order.")
    rubric_found: tuple[str, ...] = Field(default=(), description="Rubric points found (text).")
    needs_review: bool = Field(default=False, description="Waiting for a TA decision.")
    parts: tuple[QuestionResult, ...] = Field(default=(), description="Results of named parts.")
    answer_hash: str = Field(default="", description="sha256 of the answer (and its code files).")
    question_hash: str = Field(default="", description="Content hash of the question as graded.")
    seconds: float = Field(default=0.0, description="Time spent grading it.")
    author_note: str | None = Field(
        default=None, description="TA-only detail; never shown to students."
    )


class SubmissionResult(_Frozen):
    """Everything graded for one student."""

    student: str
    exam: str
    variant: int
    problems: tuple[str, ...] = Field(
        default=(), description="Problems with the submission itself."
    )
    questions: tuple[QuestionResult, ...] = ()

    @property
    def total(self) -> float:
        """Sum of marks awarded."""
        return round(sum(q.marks for q in self.questions), 6)
