"""What a TA reviews besides free text: answers the grader failed on (``error``) and other
answers it flagged, found in the graded class table.

Free-text answers are reviewed in groups (``text_review``); the review file that lists all
of them is ``review_file``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import NamedTuple

from grader.loading import LoadedExam
from grader.reports.table import ClassTable, StudentRow
from grader.results import QuestionResult
from grader.schema import MultipartQuestion, Question, TextQuestion

__all__ = [
    "GraderErrorItem",
    "each_result",
    "error_results",
    "flagged_results",
    "grader_errors",
    "question_of",
]


def _text_question(exam: LoadedExam, key: str) -> TextQuestion | None:
    q = question_of(exam, key)
    return q if isinstance(q, TextQuestion) else None


def question_of(exam: LoadedExam, key: str) -> Question | None:
    """The question or part ``key`` (``id`` or ``id/part``) of the exam."""
    qid, _, part = key.partition("/")
    q: Question | None = exam.questions.get(qid)
    if part:
        return (
            next((p for p in q.parts if p.id == part), None)
            if isinstance(q, MultipartQuestion)
            else None
        )
    return q


def error_results(result: QuestionResult) -> list[QuestionResult]:
    """The ``error`` results inside a question result: the parts the grader failed on, or
    the question itself when it has no parts (a question with a failed part is ``error``
    too; it is the part the TA decides)."""
    if result.parts:
        return [p for p in result.parts if p.status == "error"]
    return [result] if result.status == "error" else []


def flagged_results(exam: LoadedExam, result: QuestionResult) -> list[QuestionResult]:
    """Answers other than text that the grader sent to a TA (``needs_review``, with a note
    saying why: a cost check whose CPU time contradicts its FLOP count, say), or could not
    check within its limits (``unchecked``)."""
    return [
        r
        for r in (result, *result.parts)
        if (r.needs_review or r.status == "unchecked")
        and not r.parts
        and _text_question(exam, r.question_id) is None
    ]


class GraderErrorItem(NamedTuple):
    """An answer the grader failed on, as stored in the gradebook."""

    student: str
    result: QuestionResult
    decided: bool
    """A TA has recorded marks for it."""


def each_result(
    table: ClassTable, pick: Callable[[QuestionResult], list[QuestionResult]]
) -> Iterator[tuple[StudentRow, QuestionResult]]:
    """(student row, result) for every result ``pick`` finds in a stored answer, by student
    and in stored order."""
    for row in table.students:
        for stored in row.answers:
            for r in pick(stored.result):
                yield row, r


def grader_errors(table: ClassTable) -> list[GraderErrorItem]:
    """Every stored ``error`` result of the exam (questions and parts), by student."""
    return [
        GraderErrorItem(row.student, r, row.override(r.question_id) is not None)
        for row, r in each_result(table, error_results)
    ]
