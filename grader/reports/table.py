"""The gradebook as the reports see it: read once into a frozen table.

``read_table`` is the one place the reports (and the TA review file) read the gradebook.
Every writer is then a pure function of this table and the exam: the same table gives
the same bytes, and a test can build a table by hand, with no SQLite, and compare what a
writer makes of it with a golden file.
"""

from __future__ import annotations

from dataclasses import dataclass

from grader.gradebook import Gradebook, Override, StoredAnswer
from grader.loading import LoadedExam

__all__ = ["ClassTable", "QuestionColumn", "StudentRow", "read_table"]


@dataclass(frozen=True)
class QuestionColumn:
    """One question of the exam, as a column of the table."""

    question_id: str
    max_marks: float
    """What the question is worth in the exam (``Question.marks``)."""


@dataclass(frozen=True)
class StudentRow:
    """One student's graded submission, with TA overrides applied."""

    student: str
    variant: int
    """The student's variant seed (0 when the gradebook holds no submission row)."""
    problems: tuple[str, ...]
    """Problems with the submission itself, as shown on the feedback page."""
    folder: str
    """The student's folder as graded ("" when the gradebook holds no submission row)."""
    answers: tuple[StoredAnswer, ...]
    """The stored answers, in the order the gradebook holds them; ``marks`` has the TA
    overrides applied (``Gradebook.answers``)."""
    overrides: tuple[Override, ...] = ()
    """The TA decisions on this student's questions and parts that hold for the answers as
    graded (a decision on an answer changed since is left out: it waits for review)."""

    def answer(self, question_id: str) -> StoredAnswer | None:
        """The stored answer to ``question_id``, or None when it was never graded."""
        return next((a for a in self.answers if a.question_id == question_id), None)

    def override(self, question_id: str) -> Override | None:
        """The TA's decision on ``question_id`` (a question or an ``id/part``), if any."""
        return next((o for o in self.overrides if o.question_id == question_id), None)

    @property
    def total(self) -> float:
        """Marks over all answers (overrides applied), summed in stored order, unrounded."""
        return sum(a.marks for a in self.answers)

    @property
    def pending(self) -> tuple[str, ...]:
        """The questions whose marks still wait for a TA, in stored order."""
        return tuple(a.question_id for a in self.answers if a.needs_review)


@dataclass(frozen=True)
class ClassTable:
    """Every graded student of one exam, by id, and the exam's questions in order."""

    exam: str
    """The exam id."""
    questions: tuple[QuestionColumn, ...]
    """The exam's questions in exam order (``LoadedExam.ordered_ids``)."""
    students: tuple[StudentRow, ...]
    """One row per student with at least one stored answer, sorted by student id."""

    @property
    def question_ids(self) -> tuple[str, ...]:
        """The question ids in exam order."""
        return tuple(c.question_id for c in self.questions)


def read_table(exam: LoadedExam, gradebook: Gradebook) -> ClassTable:
    """Everything the reports need from ``gradebook`` about ``exam``, read once."""
    exam_id = exam.exam.exam
    answers: dict[str, list[StoredAnswer]] = {}
    for a in gradebook.answers(exam_id):
        answers.setdefault(a.student, []).append(a)
    submissions = {s.student: s for s in gradebook.submissions(exam_id)}
    hashes = {
        (a.student, r.question_id): r.answer_hash
        for rows_ in answers.values()
        for a in rows_
        for r in (a.result, *a.result.parts)
    }
    overrides: dict[str, list[Override]] = {}
    for key, o in gradebook.overrides(exam_id).items():
        if o.applies_to(hashes.get(key, "")):  # a decision on a changed answer waits again
            overrides.setdefault(o.student, []).append(o)
    rows = []
    for student in sorted(answers):
        sub = submissions.get(student)
        rows.append(
            StudentRow(
                student=student,
                variant=sub.variant if sub else 0,
                problems=tuple(sub.problems) if sub else (),
                folder=sub.folder if sub else "",
                answers=tuple(answers[student]),
                overrides=tuple(sorted(overrides.get(student, []), key=lambda o: o.question_id)),
            )
        )
    columns = tuple(QuestionColumn(q, exam.questions[q].marks) for q in exam.ordered_ids())
    return ClassTable(exam=exam_id, questions=columns, students=tuple(rows))
