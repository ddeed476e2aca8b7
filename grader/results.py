"""Frozen results, from the smallest to the largest: checking one answer (``CheckResult``),
one code case (``CaseResult``), one question or part (``QuestionResult``), one student
(``SubmissionResult``).

Results are values returned by functions, never state filled in on a question. The
student-facing text (``feedback``) is kept apart from the author-facing text
(``author_note``), which may mention hidden data and is never shown to students.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "CaseResult",
    "CheckResult",
    "CheckStatus",
    "McqSelection",
    "QuestionResult",
    "QuestionStatus",
    "UNSETTLED",
    "SubmissionResult",
]

CheckStatus = Literal[
    "correct",
    "partially_correct",
    "incorrect",
    "invalid",
    "unchecked",
    "needs_review",
]
"""How an answer fared.

``invalid``: the answer could not be read (a letter that is not an option, a shape that
cannot be parsed); ``unchecked``: the grader could not decide within its limits ("could
not check this answer"); ``needs_review``: a provisional score waiting for a TA.
"""


class McqSelection(BaseModel):
    """What a student ticked on a multiple-correct question, for the scoring policies."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    selected: tuple[str, ...] = Field(description="Option labels the student ticked, sorted.")
    correct: tuple[str, ...] = Field(description="Option labels that are correct, sorted.")
    n_options: int = Field(description="How many options the question offers.")

    @property
    def right_picks(self) -> int:
        """Correct options the student ticked."""
        return len(set(self.selected) & set(self.correct))

    @property
    def wrong_picks(self) -> int:
        """Incorrect options the student ticked."""
        return len(set(self.selected) - set(self.correct))

    @property
    def missed(self) -> int:
        """Correct options the student did not tick."""
        return len(set(self.correct) - set(self.selected))


class CheckResult(BaseModel):
    """The outcome of checking one answer (or one part of a multi-part answer)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: CheckStatus = Field(description="How the answer fared; see ``CheckStatus``.")
    fraction: float = Field(
        ge=0.0,
        le=1.0,
        description="Share of the marks the checker awards before the question's scoring policy.",
    )
    feedback: str = Field(
        default="", description="Student-facing explanation, in the grader's words."
    )
    expected: str | None = Field(
        default=None,
        description="The key written in the form the student used; "
        "shown only once keys are released.",
    )
    author_note: str | None = Field(
        default=None,
        description="Author/TA-facing detail (may mention hidden data); never shown to students.",
    )
    mcq: McqSelection | None = Field(
        default=None, description="MCQ picks, for the scoring policies."
    )
    rubric_found: tuple[str, ...] = Field(
        default=(), description="Ids of the rubric points found in a text answer."
    )
    answered: bool = Field(
        default=True,
        description="False when the student left the answer blank; "
        "negative marking never penalises a blank.",
    )


QuestionStatus = Literal[CheckStatus, "missing", "error"]
"""How a question fared: as its answer did (``CheckStatus``), or ``missing`` (no answer) or
``error`` (the grader failed on it)."""


class CaseResult(BaseModel):
    """One code case as the student sees it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(
        description="The author's name of the case (`case 3` when it has none); students read "
        "a hidden case's name only in the feedback lines, once allowed."
    )
    visible: bool = Field(description="Visible cases show full detail.")
    passed: bool = Field(description="Whether the output was accepted.")
    status: str = Field(description="How the run ended (ok, exception, timeout, cpu_limit, ...).")
    message: str = Field(default="", description="Student-safe reason when it failed.")
    seconds: float = Field(default=0.0, description="Wall-clock time of the call.")


class QuestionResult(BaseModel):
    """The grade of one question (or one part of a multipart question)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

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
    known_mistake: str | None = Field(
        default=None,
        description="The known mistake the answer matched: a mutant's `module:function`, or "
        "`distractor N`; its message is in the feedback.",
    )

    def unsettled(self) -> tuple[QuestionResult, ...]:
        """The results in it (itself, or its parts) on which the grader reached no verdict:
        ``error`` (the grader failed) or ``unchecked`` (it could not decide within its
        limits). Such an answer is never counted as graded: every run grades it again."""
        if self.parts:
            return tuple(p for p in self.parts if p.status in UNSETTLED)
        return (self,) if self.status in UNSETTLED else ()


UNSETTLED: frozenset[str] = frozenset({"error", "unchecked"})
"""Statuses that are no verdict (see ``QuestionResult.unsettled``)."""


class SubmissionResult(BaseModel):
    """Everything graded for one student."""

    model_config = ConfigDict(frozen=True, extra="forbid")

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
