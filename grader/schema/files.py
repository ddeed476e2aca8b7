"""The two kinds of YAML file under ``questions/``: a bank and an exam definition."""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from grader.schema._base import ID_PATTERN, Strict, repeated
from grader.schema.questions import MARKS_EPS, Question

__all__ = ["Bank", "Exam", "Section", "TextReview", "REFERENCES_HELP"]

REFERENCES_HELP = (
    "Folders (relative to this file, e.g. `refs/`) holding the course's own reference "
    "modules. A reference `course_refs.attention:softmax` is looked up first as "
    "`course_refs/attention.py` in these folders, then in the installed `reference_impls`."
)


class Bank(Strict):
    """A question bank: a file with top-level key `bank`."""

    bank: str = Field(pattern=ID_PATTERN, description="Bank id, e.g. `midsem-2025-bank`.")
    title: str = Field(default="", description="Human title.")
    references: list[str] = Field(
        default_factory=list,
        description=REFERENCES_HELP,
    )
    questions: list[Question] = Field(min_length=1, description="The questions.")

    @model_validator(mode="after")
    def _unique_ids(self) -> Self:
        dupes = repeated(q.id for q in self.questions)
        if dupes:
            raise ValueError(f"question ids repeat in this bank: {', '.join(dupes)}")
        return self


class Section(Strict):
    """A section of an exam paper."""

    title: str = Field(min_length=1, description="Printed title, e.g. `Section-A`.")
    instructions: str = Field(default="", description="Printed under the title.")
    marks: float = Field(gt=0, description="Marks of the section; must equal its questions' total.")
    questions: list[str] = Field(min_length=1, description="Question ids, in print order.")


class TextReview(Strict):
    """How the exam's free-text answers are reviewed."""

    accept_above: float | None = Field(
        default=None,
        gt=0,
        le=1,
        description="Give a group the text model's suggested marks without a TA when the "
        "suggestion's confidence is at least this (e.g. 0.9, for homework); feedback says "
        "the mark was given automatically. Unset: every text mark waits for a TA.",
    )


class Exam(Strict):
    """An exam definition: a file with top-level key `exam`."""

    exam: str = Field(pattern=ID_PATTERN, description="Exam id, e.g. `midsem-2025`.")
    title: str = Field(min_length=1, description="Printed title.")
    course: str = Field(default="", description="Course code and name.")
    term: str = Field(default="", description="Semester, e.g. `Semester I, 2025-26`.")
    duration_minutes: int = Field(gt=0, description="Time allowed.")
    instructions: str = Field(default="", description="General instructions, Markdown.")
    total_marks: float = Field(gt=0, description="Total; must equal the sections' sum.")
    banks: list[str] = Field(min_length=1, description="Bank files (relative to this file).")
    references: list[str] = Field(
        default_factory=list,
        description=REFERENCES_HELP + " They apply to every bank of the exam.",
    )
    sections: list[Section] = Field(min_length=1, description="Sections in print order.")
    release_solutions: bool = Field(
        default=False, description="Show worked solutions and keys in student feedback."
    )
    text_review: TextReview | None = Field(
        default=None, description="Review of free-text answers (see `TextReview`)."
    )

    @model_validator(mode="after")
    def _totals(self) -> Self:
        total = sum(s.marks for s in self.sections)
        if abs(total - self.total_marks) > MARKS_EPS:
            raise ValueError(
                f"sections add up to {total:g} marks but total_marks is {self.total_marks:g}"
            )
        dupes = repeated(q for s in self.sections for q in s.questions)
        if dupes:
            raise ValueError(f"questions appear twice in the exam: {', '.join(dupes)}")
        return self
