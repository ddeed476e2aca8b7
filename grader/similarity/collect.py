"""A graded class, as the similarity analysis reads it: the gradebook and the folders.

Who was graded, with which variant, from which folder, and which answers were correct all
come from the gradebook; the answers and code themselves are read again from each folder
with ``read_submission``, the way grading read them. Stubs and support modules come from
the loaded exam.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from grader.classroom import content_hash
from grader.gradebook import Gradebook
from grader.loading import LoadedExam
from grader.notebooks.slots import exam_slots
from grader.schema import CodeQuestion, MultipartQuestion, Question
from grader.similarity.model import AnswerKind, StudentWork
from grader.submissions import Submission, read_submission

__all__ = ["ClassWork", "slot_kinds", "given_code", "student_work", "class_work"]


class ClassWork(NamedTuple):
    """The class as graded, and who could not be compared."""

    works: list[StudentWork]
    left_out: list[str]
    """One line per student left out, for the TA: who, why and what to do."""


def _slots(exam: LoadedExam) -> Iterator[tuple[str, str, Question]]:
    """(question id, slot, question or part) for every answer slot of the exam."""
    for qid in exam.ordered_ids():
        question = exam.questions[qid]
        if isinstance(question, MultipartQuestion):
            for part in question.parts:
                yield qid, f"{qid}/{part.id}", part
        else:
            yield qid, qid, question


def slot_kinds(exam: LoadedExam) -> dict[str, AnswerKind]:
    """Slot -> how it is compared (the question's type; multipart questions by part)."""
    kinds: dict[str, AnswerKind] = {}
    for _, slot, q in _slots(exam):
        kind = q.type
        if kind in ("numeric", "expression", "ordering", "mcq", "text", "code"):
            kinds[slot] = kind
    return kinds


def given_code(exam: LoadedExam) -> dict[str, list[str]]:
    """Code slot -> the code every student was given for it: the stub and support modules."""
    out: dict[str, list[str]] = {}
    for qid, slot, q in _slots(exam):
        if isinstance(q, CodeQuestion):
            support = exam.question_bank[qid].support_sources(q).values()
            out[slot] = [q.stub, *(s.decode("utf-8", "replace") for s in support)]
    return out


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return json.dumps(value, sort_keys=True, default=str)


def student_work(
    exam: LoadedExam, sub: Submission, variant: int, correct: frozenset[str]
) -> StudentWork:
    """One submission's answers by slot, code slots as their file's source."""
    answers: dict[str, str] = {}
    code: dict[str, str] = {}
    for qid, slot, q in _slots(exam):
        value = sub.answers.get(qid)
        if slot != qid:
            value = value.get(slot.split("/", 1)[1]) if isinstance(value, Mapping) else None
        if value is None:
            continue
        if isinstance(q, CodeQuestion):
            data = sub.files.get(str(value)) if isinstance(value, str) else None
            if data is not None:
                code[slot] = data.decode("utf-8", "replace")
        else:
            answers[slot] = _as_text(value)
    return StudentWork(sub.student, variant, answers, code, correct)


def _correct_slots(gradebook: Gradebook, exam_id: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for row in gradebook.answers(exam_id):
        mine = out.setdefault(row.student, set())
        results = row.result.parts or (row.result,)
        mine.update(r.question_id for r in results if r.status == "correct")
    return out


def class_work(exam: LoadedExam, gradebook: Gradebook) -> ClassWork:
    """Every graded submission of ``exam`` in the gradebook, read again from its folder; a
    folder that is gone or changed since grading is left out (its grades would not match)."""
    exam_id = exam.exam.exam
    correct = _correct_slots(gradebook, exam_id)
    hashes = gradebook.stored_hashes(exam_id)
    known = set(exam.ordered_ids())
    slots = exam_slots(exam)  # a notebook's code cells, read as grading reads them
    works, left_out = [], []
    for stored in gradebook.submissions(exam_id):
        folder = Path(stored.folder)
        if not folder.is_dir():
            left_out.append(
                f"{stored.student}: folder {stored.folder} is gone; grade the class again "
                "from where the submissions are now"
            )
            continue
        sub = read_submission(folder, exam_id=exam_id, known_questions=known, code_slots=slots)
        graded = hashes.get(stored.student)
        if graded is not None and graded.content_hash != content_hash(sub):
            left_out.append(
                f"{stored.student}: {stored.folder} changed since it was graded; "
                f"run `grader grade {exam_id}` again first"
            )
            continue
        works.append(
            student_work(exam, sub, stored.variant, frozenset(correct.get(stored.student, ())))
        )
    return ClassWork(works, left_out)
