"""Helpers of the Ray tests: a class graded locally, and a gradebook's answers as rows."""

from __future__ import annotations

import shutil
from pathlib import Path

from grader.classroom import grade_class, make_runner
from grader.gradebook import Gradebook
from grader.loading import LoadedExam

ROOT = Path(__file__).resolve().parents[2]
SANDBOXED = shutil.which("bwrap") is not None
"""Ray's actors wrap student code in bubblewrap as in production, when this machine has it."""


def answer_rows(db: Path) -> list[tuple[object, ...]]:
    """Every stored answer with its marks and feedback, in a fixed order."""
    gb = Gradebook(db)
    out = gb.rows(
        "SELECT student, question_id, marks, max_marks, status, feedback, needs_review, "
        "answer_hash, question_hash, variant FROM answers ORDER BY student, question_id"
    )
    gb.close()
    return out


def grade_locally(exam: LoadedExam, klass: Path, db: Path) -> None:
    """Grade ``klass`` with one local worker (the reference the Ray runs must equal)."""
    runner = make_runner(1, no_sandbox=not SANDBOXED)
    try:
        gradebook = Gradebook(db)
        grade_class(exam, klass, gradebook, runner)
        gradebook.close()
    finally:
        runner.close()
