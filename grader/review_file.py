"""The review file (``review.yaml``): a documented contract that TAs, scripts and other tools
read and write. ``grader schema --review`` prints its JSON Schema.

``grader review EXAM --out DIR`` writes ``DIR/review.yaml``; ``--apply`` records every
decision in it. The shape (``ReviewFile``)::

    exam: midsem-2025
    questions:
      - question: B2b/add-norm        # a multipart part is "QUESTION/PART"
        marks: 1                      # the most this question or part can give
        step: 0.5                     # marks are decided in multiples of this
        rubric: [{id: residual, marks: 0.5, description: "..."}]
        groups:                       # largest first
          - group: 1
            size: 37
            suggested: {marks: 0.5, points: [residual], confidence: 0.91}
            marks: null               # the TA's decision for every member of the group
            points: null              # or the rubric points earned; marks then follow
            comment: null             # shown to every member in their feedback
            answers:                  # the representative comes first
              - {student: s001, text: "...", marks: null}  # overrides the group for s001
    errors: [...]                     # answers the grader failed on (see ``OtherItem``)
    flagged: [...]                    # other answers the grader sent to a TA

Decisions already applied are written back in (``marks``/``points``/``comment`` of the
group, ``marks`` of an answer decided on its own, and ``decided_by``) and can be changed.
Applying:

- a group's ``marks`` (any number from 0 to the question's marks) or ``points`` (the marks
  then follow from the rubric) applies to every listed answer whose own ``marks`` is null;
  an answer's own ``marks`` decides that answer alone;
- ``null`` means "no decision here": a decision already recorded stays as it is;
- an answer whose text in the file is no longer the student's answer as graded (the
  student resubmitted and was graded again) is not decided: it waits for review in the next
  file, and the TA is told;
- a decision identical to the one recorded is not written again, so applying a file twice
  changes nothing.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field

from grader.errors import AuthoringError, Problem
from grader.gradebook import Gradebook, Override
from grader.loading import LoadedExam, read_model_file
from grader.reports.table import ClassTable, StudentRow
from grader.results import QuestionResult
from grader.review import each_result, error_results, flagged_results, question_of
from grader.schema._base import Strict
from grader.text_embeddings import normalise_text
from grader.text_review import (
    ReviewAnswer,
    ReviewBoard,
    ReviewGroup,
    ReviewQuestion,
    SubmittedAnswers,
    decide,
    marks_for_points,
)

__all__ = [
    "AnswerEntry",
    "GroupEntry",
    "OtherItem",
    "QuestionEntry",
    "ReviewFile",
    "RubricEntry",
    "SuggestedEntry",
    "apply_review_file",
    "review_file_schema",
    "write_review_file",
]

Scope = Literal["answer", "group"]

HEADER = """\
# TA review (the format: `grader schema --review`). For each group set `marks` (0 .. the
# question's marks) or `points` (rubric ids; the marks follow), and optionally `comment`;
# an answer's own `marks` decides it alone. Then run: grader review EXAM --apply.
# `null` leaves a decision as it is; groups left undecided stay provisional.
# `errors` lists answers the grader failed on (`author_note` says why): fix the cause and
# grade them again (grader grade EXAM SUBMISSIONS --regrade QUESTION), or decide them here.
# `flagged` lists other answers the grader wants a TA to read (`author_note` says why);
# `provisional` is the mark they have until you decide.
"""


class RubricEntry(Strict):
    """One rubric point, as the TA reads it (not applied)."""

    id: str
    marks: float
    description: str


class SuggestedEntry(Strict):
    """What the grader suggests for a group (not applied; never a mark on its own)."""

    marks: float
    points: list[str] = Field(default_factory=list)
    confidence: float | None = Field(
        default=None, description="0..1 from the text model; null: the keyword rubric's marks."
    )


class AnswerEntry(Strict):
    """One student's answer in a group."""

    student: str
    text: str = Field(
        description="The answer as graded; an answer changed since is not decided (it "
        "waits for the next review file)."
    )
    marks: float | None = Field(
        default=None, description="Decides this answer alone, overriding the group's decision."
    )
    comment: str | None = Field(
        default=None, description="With `marks`: this answer's comment (else the group's)."
    )


class GroupEntry(Strict):
    """Answers decided at once."""

    group: int = Field(description="The group's number, 1 for the largest.")
    size: int = Field(description="How many answers it holds (not applied).")
    suggested: SuggestedEntry | None = None
    marks: float | None = Field(
        default=None, description="The decision for every member without its own `marks`."
    )
    points: list[str] | None = Field(
        default=None, description="The rubric points earned; `marks` follow unless given."
    )
    comment: str | None = Field(default=None, description="Shown to every member.")
    decided_by: str | None = Field(
        default=None, description="Who recorded the decision shown (not applied)."
    )
    answers: list[AnswerEntry] = Field(description="The representative first.")


class QuestionEntry(Strict):
    """One text question or part under review."""

    question: str = Field(description='The question id; a part is "QUESTION/PART".')
    marks: float = Field(description="The most it can give.")
    step: float = Field(default=0.5, description="Marks are decided in multiples of this.")
    rubric: list[RubricEntry] = Field(default_factory=list)
    note: str = Field(default="", description="How the answers were grouped (not applied).")
    groups: list[GroupEntry] = Field(default_factory=list)


class OtherItem(Strict):
    """An answer other than text a TA should decide: the grader failed on it (`errors`) or
    flagged it (`flagged`)."""

    student: str
    question: str
    max_marks: float
    provisional: float
    feedback: str = ""
    author_note: str = ""
    answer: str = ""
    marks: float | None = None
    comment: str | None = ""


class ReviewFile(Strict):
    """The review file of one exam."""

    exam: str
    questions: list[QuestionEntry] = Field(default_factory=list)
    errors: list[OtherItem] = Field(default_factory=list)
    flagged: list[OtherItem] = Field(default_factory=list)


def review_file_schema() -> dict[str, Any]:
    """The JSON Schema of ``review.yaml``."""
    schema = ReviewFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "LLM exam grader: TA review file (review.yaml)"
    return schema


# ------------------------------------------------------------------------------ writing


def _group_entry(g: ReviewGroup) -> GroupEntry:
    d = g.decision
    s = g.suggested
    return GroupEntry(
        group=g.group,
        size=g.size,
        suggested=SuggestedEntry(marks=s.marks, points=list(s.points), confidence=s.confidence),
        marks=d.marks if d else None,
        points=list(d.points) if d and d.points is not None else None,
        comment=(d.comment or None) if d else None,
        decided_by=d.reviewer if d else None,
        answers=[
            AnswerEntry(
                student=a.student,
                text=a.text,
                marks=a.decision.marks if a.decision and a.decision.scope == "answer" else None,
                comment=(a.decision.comment or None)
                if a.decision and a.decision.scope == "answer"
                else None,
            )
            for a in g.answers
        ],
    )


def _question_entry(q: ReviewQuestion) -> QuestionEntry:
    return QuestionEntry(
        question=q.key,
        marks=q.marks,
        step=q.step,
        rubric=[
            RubricEntry(id=p.id, marks=p.marks, description=p.description)
            for p in q.question.rubric
        ],
        note=q.note
        + (
            f"; not listed: {', '.join(q.changed)}, whose answer changed since it was graded "
            "(grade them again)"
            if q.changed
            else ""
        ),
        groups=[_group_entry(g) for g in q.groups],
    )


def _other(row: StudentRow, r: QuestionResult, answer: Any) -> OtherItem:
    decided = row.override(r.question_id)
    return OtherItem(
        student=row.student,
        question=r.question_id,
        max_marks=r.max_marks,
        provisional=r.marks,
        feedback=r.feedback,
        author_note=r.author_note or "",
        answer="" if answer is None else str(answer),
        marks=decided.marks if decided else None,
        comment=decided.comment if decided else "",
    )


def _compact(data: Any) -> Any:
    """``data`` without empty optional fields that would only add noise to the file."""
    if isinstance(data, dict):
        return {
            k: _compact(v)
            for k, v in data.items()
            if not (k in ("note", "decided_by") and not v)
            and not (k == "comment" and v is None and "student" in data)
        }
    if isinstance(data, list):
        return [_compact(v) for v in data]
    return data


def write_review_file(exam: LoadedExam, table: ClassTable, board: ReviewBoard, path: Path) -> int:
    """Write the review file; return how many answers still wait for a decision."""
    answers = SubmittedAnswers(exam.exam.exam)
    doc = ReviewFile(
        exam=exam.exam.exam,
        questions=[_question_entry(q) for q in board.questions],
        errors=[
            _other(row, r, answers.answer(row, r.question_id))
            for row, r in each_result(table, error_results)
        ],
        flagged=[
            _other(row, r, answers.answer(row, r.question_id))
            for row, r in each_result(table, lambda res: flagged_results(exam, res))
        ],
    )
    pending = sum(q.pending for q in board.questions)
    pending += sum(item.marks is None for item in (*doc.errors, *doc.flagged))
    data = _compact(doc.model_dump(mode="json", exclude_defaults=False))
    for key in ("errors", "flagged"):
        if not data[key]:
            del data[key]
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + body, encoding="utf-8")
    return pending


# ----------------------------------------------------------------------------- applying


def _marks_problem(where: str, marks: float, most: float) -> str | None:
    if not math.isfinite(marks) or not 0 <= marks <= most + 1e-9:
        return f"{where}: marks must be a number from 0 to {most:g}, got {marks:g}"
    return None


def _same(o: Override | None, new: Override) -> bool:
    return o is not None and (o.marks, o.points, o.comment, o.scope) == (
        new.marks,
        new.points,
        new.comment,
        new.scope,
    )


def _apply_question(
    entry: QuestionEntry,
    where: str,
    q: ReviewQuestion,
    gradebook: Gradebook,
    exam_id: str,
    reviewer: str,
    problems: list[str],
) -> int:
    current: dict[str, ReviewAnswer] = {a.student: a for g in q.groups for a in g.answers}
    listed: dict[str, str] = {}
    applied = 0
    for gi, group in enumerate(entry.groups):
        gwhere = f"{where}.groups[{gi}] (group {group.group})"
        group_marks = group.marks
        if group.points is not None and group_marks is None:
            try:
                group_marks = marks_for_points(q.question, group.points)
            except ValueError as exc:
                problems.append(f"{gwhere}: {exc}")
                continue
        if group_marks is not None:
            bad = _marks_problem(gwhere, group_marks, q.marks)
            if bad:
                problems.append(bad)
                continue
        group_todo: list[ReviewAnswer] = []
        for ai, a in enumerate(group.answers):
            awhere = f"{gwhere}.answers[{ai}] ({a.student})"
            if a.student in listed:
                problems.append(
                    f"{awhere}: {a.student} is listed twice (also in {listed[a.student]})"
                )
                continue
            listed[a.student] = gwhere
            scope: Scope = "answer" if a.marks is not None else "group"
            marks = a.marks if a.marks is not None else group_marks
            if marks is None:
                continue
            now = current.get(a.student)
            if now is None:
                problems.append(f"{awhere}: {a.student} has no graded answer to {q.key}")
                continue
            if normalise_text(now.text) != normalise_text(a.text):
                problems.append(
                    f"{awhere}: {a.student}'s answer changed since this file was written; not "
                    "decided, it waits for review in the next file"
                )
                continue
            bad = _marks_problem(awhere, marks, q.marks)
            if bad:
                problems.append(bad)
                continue
            comment = (
                a.comment if scope == "answer" and a.comment is not None else group.comment
            ) or ""
            points = tuple(group.points) if scope == "group" and group.points is not None else None
            new = Override(
                a.student, q.key, float(marks), comment, reviewer, points, now.answer_hash, scope
            )
            if _same(now.decision, new):
                continue
            if scope == "group" and now.decision and now.decision.scope == "answer":
                continue  # decided on its own, and its own marks left null: it stays
            if scope == "group":
                group_todo.append(now)
                continue
            decide(
                gradebook,
                exam_id,
                q,
                [now],
                marks=float(marks),
                comment=comment,
                reviewer=reviewer,
                scope="answer",
            )
            applied += 1
        if group_todo and group_marks is not None:  # the group's answers in one transaction
            decide(
                gradebook,
                exam_id,
                q,
                group_todo,
                marks=float(group_marks),
                points=None if group.points is None else tuple(group.points),
                comment=group.comment or "",
                reviewer=reviewer,
                scope="group",
            )
            applied += len(group_todo)
    return applied


def apply_review_file(
    exam: LoadedExam,
    gradebook: Gradebook,
    table: ClassTable,
    board: ReviewBoard,
    path: Path,
    reviewer: str = "ta",
) -> tuple[int, list[str]]:
    """Record the decisions in ``path``; return (answers decided, problems with the file).

    A file that is not a review file at all raises ``AuthoringError`` (file, line, field);
    a mistake in one decision is reported and the others are still recorded.
    """
    doc = read_model_file(path, ReviewFile, f"the review file {path}")
    if doc.exam != exam.exam.exam:
        message = f"it is for exam {doc.exam!r}, not {exam.exam.exam!r}"
        raise AuthoringError([Problem(str(path), None, None, "exam", message)], "the review file")
    problems: list[str] = []
    applied = 0
    keys = {q.key: q for q in board.questions}
    hashes = {
        (row.student, r.question_id): r.answer_hash
        for row in table.students
        for a in row.answers
        for r in (a.result, *a.result.parts)
    }
    decided = {(row.student, o.question_id): o for row in table.students for o in row.overrides}
    for i, entry in enumerate(doc.questions):
        where = f"questions[{i}] ({entry.question})"
        q = keys.get(entry.question)
        if q is None:
            problems.append(f"{where}: not a text question of this exam")
            continue
        applied += _apply_question(entry, where, q, gradebook, exam.exam.exam, reviewer, problems)
    for key in ("errors", "flagged"):
        for i, item in enumerate(getattr(doc, key)):
            if item.marks is None:
                continue
            where = f"{key}[{i}] ({item.student}, {item.question})"
            found = question_of(exam, item.question)
            if found is None:
                problems.append(f"{where}: {item.question!r} is not a question of this exam")
                continue
            bad = _marks_problem(where, item.marks, found.marks)
            if bad:
                problems.append(bad)
                continue
            graded = hashes.get((item.student, item.question))
            if graded is None:
                problems.append(f"{where}: {item.student} has no graded answer to it")
                continue
            decision = Override(
                item.student, item.question, float(item.marks), item.comment or "", reviewer
            )
            if _same(decided.get((item.student, item.question)), decision):
                continue
            gradebook.set_override(exam.exam.exam, replace(decision, answer_hash=graded))
            applied += 1
    return applied, problems
