"""TA review: text answers and grader errors in a YAML file the TA edits, decisions stored
as overrides.

``write_review_file`` lists every text answer (or text part) with the student's answer,
the rubric with the points the engine found ticked, and the provisional score, under
``items``; and every ``error`` result (the grader failed on that answer) with the
student's answer and the technical detail for the TA (``author_note``), under ``errors``;
and every other answer the grader sent to a TA (a code answer whose cost check looks
tampered with), under ``flagged``.
Decisions already taken are kept in the file. ``apply_review_file`` records every item
whose ``marks`` is set; overrides win over graded marks in every export and survive
regrading.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from grader.gradebook import Gradebook, Override
from grader.loading import LoadedExam
from grader.reports.table import ClassTable, StudentRow
from grader.results import QuestionResult
from grader.schema import MultipartQuestion, Question, TextQuestion
from grader.submissions import Submission, read_submission

__all__ = [
    "GraderErrorItem",
    "apply_review_file",
    "error_results",
    "flagged_results",
    "grader_errors",
    "text_items",
    "write_review_file",
]

HEADER = """\
# TA review. For each item set `marks` (0 .. max_marks) and optionally `comment`,
# then run: grader review EXAM --apply. Items left with `marks: null` stay provisional.
# `errors` lists answers the grader failed on (`author_note` says why): fix the cause and
# grade them again (grader grade EXAM SUBMISSIONS --regrade QUESTION), or decide them here.
# `flagged` lists other answers the grader wants a TA to read (`author_note` says why);
# `provisional` is the mark they have until you decide.
"""


def _text_question(exam: LoadedExam, key: str) -> TextQuestion | None:
    q = _question(exam, key)
    return q if isinstance(q, TextQuestion) else None


def _question(exam: LoadedExam, key: str) -> Question | None:
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
    saying why: a cost check whose CPU time contradicts its FLOP count, say)."""
    return [
        r
        for r in (result, *result.parts)
        if r.needs_review and not r.parts and _text_question(exam, r.question_id) is None
    ]


class GraderErrorItem(NamedTuple):
    """An answer the grader failed on, as stored in the gradebook."""

    student: str
    result: QuestionResult
    decided: bool
    """A TA has recorded marks for it."""


def _each(
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
        for row, r in _each(table, error_results)
    ]


class _Answers:
    """Students' answers read back from their folders, each submission read once."""

    def __init__(self, exam_id: str) -> None:
        self.exam_id = exam_id
        self.read: dict[str, Submission | None] = {}

    def get(self, row: StudentRow, key: str) -> Any:
        if row.student not in self.read:
            self.read[row.student] = (
                read_submission(Path(row.folder), exam_id=self.exam_id) if row.folder else None
            )
        sub = self.read[row.student]
        if sub is None:
            return None
        qid, _, part = key.partition("/")
        answer = sub.answers.get(qid)
        if part and isinstance(answer, Mapping):
            answer = answer.get(part)
        return answer


def text_items(result: QuestionResult) -> list[QuestionResult]:
    """The text results inside a question result (itself or its parts)."""
    if result.parts:
        return [
            p
            for p in result.parts
            if p.needs_review or p.rubric_found or p.status == "needs_review"
        ]
    return [result] if result.needs_review or result.status == "needs_review" else []


def _rubric_lines(q: TextQuestion, r: QuestionResult) -> list[str]:
    """The rubric with the points the engine found ticked: ``[x] id (marks): description``."""
    return [
        f"[{'x' if p.id in r.rubric_found else ' '}] {p.id} ({p.marks:g}): {p.description}"
        for p in q.rubric
    ]


def write_review_file(exam: LoadedExam, table: ClassTable, path: Path) -> int:
    """Write the review file; return how many items still wait for a decision."""
    exam_id = exam.exam.exam
    answers = _Answers(exam_id)
    items: list[dict[str, Any]] = []
    pending = 0
    for row, r in _each(table, text_items):
        q = _text_question(exam, r.question_id)
        if q is None:
            continue
        answer = answers.get(row, r.question_id)
        decided = row.override(r.question_id)
        if decided is None:
            pending += 1
        items.append(
            {
                "student": row.student,
                "question": r.question_id,
                "max_marks": r.max_marks,
                "provisional": r.marks,
                "rubric": _rubric_lines(q, r),
                "answer": str(answer) if answer is not None else "",
                "marks": decided.marks if decided else None,
                "comment": decided.comment if decided else "",
            }
        )

    def entry(row: StudentRow, r: QuestionResult) -> dict[str, Any]:
        nonlocal pending
        decided = row.override(r.question_id)
        if decided is None:
            pending += 1
        answer = answers.get(row, r.question_id)
        return {
            "student": row.student,
            "question": r.question_id,
            "max_marks": r.max_marks,
            "provisional": r.marks,
            "feedback": r.feedback,
            "author_note": r.author_note or "",
            "answer": str(answer) if answer is not None else "",
            "marks": decided.marks if decided else None,
            "comment": decided.comment if decided else "",
        }

    errors = [entry(row, r) for row, r in _each(table, error_results)]
    flagged = [entry(row, r) for row, r in _each(table, partial(flagged_results, exam))]
    path.parent.mkdir(parents=True, exist_ok=True)
    doc: dict[str, Any] = {"exam": exam_id, "items": items}
    if errors:
        doc["errors"] = errors
    if flagged:
        doc["flagged"] = flagged
    body = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)
    path.write_text(HEADER + body, encoding="utf-8")
    return pending


def apply_review_file(
    exam: LoadedExam, gradebook: Gradebook, path: Path, reviewer: str = "ta"
) -> tuple[int, list[str]]:
    """Record the decisions in ``path``; return (recorded, problems with the file)."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        return 0, [f"cannot read {path}: {exc}"]
    if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
        return 0, [f"{path} must have `exam:` and a list `items:`"]
    if doc.get("exam") != exam.exam.exam:
        return 0, [f"{path} is for exam {doc.get('exam')!r}, not {exam.exam.exam!r}"]
    for key in ("errors", "flagged"):
        if not isinstance(doc.get(key, []), list):
            return 0, [f"{path}: `{key}:` must be a list"]
    applied, problems = 0, []
    # (list, the kind of question its entries may name)
    for key, find, kind in (
        ("errors", _question, "question"),
        ("flagged", _question, "question"),
        ("items", _text_question, "text question"),
    ):
        for i, item in enumerate(doc.get(key, [])):
            if not isinstance(item, dict) or item.get("marks") is None:
                continue
            student, question = str(item.get("student", "")), str(item.get("question", ""))
            q = find(exam, question)
            marks = item.get("marks")
            if q is None:
                problems.append(f"{key}[{i}]: {question!r} is not a {kind} of this exam")
                continue
            if (
                not isinstance(marks, (int, float))
                or isinstance(marks, bool)
                or not 0 <= marks <= q.marks
            ):
                problems.append(
                    f"{key}[{i}] ({student}, {question}): marks must be a number from 0 to "
                    f"{q.marks:g}, got {marks!r}"
                )
                continue
            gradebook.set_override(
                exam.exam.exam,
                Override(student, question, float(marks), str(item.get("comment") or ""), reviewer),
            )
            applied += 1
    return applied, problems
