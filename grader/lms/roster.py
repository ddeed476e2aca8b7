"""A course roster with the ids each LMS knows its students by.

The roster is a CSV with a student id column (``student``, ``id`` or ``student_id``, as for
``grader grade --roster``: our student id, the submission folder's name and the gradebook
key) and optional columns ``name``, ``email``, ``username``, ``canvas_id``,
``gradescope_id``, ``moodle_id``, ``sis_user_id``, ``sis_login_id`` and ``section``. An LMS
download names students by one of the ``ID_COLUMNS``; ``Roster.lookup`` turns it back into
our id. Emails, names and usernames are matched case-insensitively, with runs of spaces
taken as one. ``Roster.details`` keeps every optional cell for the grade exports. This is
the one reader of LMS rosters: submissions in (``submissions_in``) and grades out
(``grades_out``) both use it.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from grader.errors import InfrastructureError
from grader.submissions import ROSTER_ID_COLUMNS, STUDENT_ID

__all__ = ["DETAIL_COLUMNS", "ID_COLUMNS", "Roster", "read_lms_roster"]

ID_COLUMNS = ("name", "email", "username", "canvas_id", "gradescope_id", "moodle_id")
"""The optional roster columns that name a student the way an LMS does (each value names
one student)."""
DETAIL_COLUMNS = (*ID_COLUMNS, "sis_user_id", "sis_login_id", "section")
"""Every optional column kept per student (``Roster.details``)."""


def _key(column: str, value: str) -> str:
    value = " ".join(value.split())
    return value.casefold() if column in ("name", "email", "username") else value


@dataclass(frozen=True)
class Roster:
    """Our student ids, in roster order, and each LMS id column's map back to them."""

    path: Path
    students: tuple[str, ...]
    by_column: Mapping[str, Mapping[str, str]]
    """Column -> its value (normalized) -> our student id; only columns the CSV has."""
    details: Mapping[str, Mapping[str, str]]
    """Student id -> the non-blank cells of ``DETAIL_COLUMNS`` in their row, as written."""

    def lookup(self, column: str, value: str) -> str | None:
        """Our student id for ``value`` in ``column``; ``None`` when nobody has it."""
        return self.by_column.get(column, {}).get(_key(column, value))

    def has_column(self, column: str) -> bool:
        """Whether the roster CSV has ``column`` (so a failed lookup means 'not on roster')."""
        return column in self.by_column


def read_lms_roster(path: Path) -> Roster:
    """Read ``path``; raises ``InfrastructureError`` naming every row to fix."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InfrastructureError(f"cannot read the roster {path} ({exc.strerror})") from exc
    reader = csv.DictReader(text.splitlines())
    columns = [c.strip() for c in reader.fieldnames or []]
    id_column = next((c for c in ROSTER_ID_COLUMNS if c in columns), None)
    if id_column is None:
        raise InfrastructureError(
            f"roster {path} has no `student` column (it has {', '.join(columns) or 'none'}); "
            "add one with each student's id"
        )
    students: list[str] = []
    details: dict[str, dict[str, str]] = {}
    by_column: dict[str, dict[str, str]] = {c: {} for c in ID_COLUMNS if c in columns}
    problems: list[str] = []
    for line, row in enumerate(reader, start=2):
        cells = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k}
        student = cells.get(id_column, "")
        if not student:
            continue
        if not STUDENT_ID.fullmatch(student) or student in students:
            why = "is listed twice" if student in students else "is not a valid student id"
            problems.append(f"line {line}: student {student!r} {why}")
            continue
        students.append(student)
        details[student] = {c: cells[c] for c in DETAIL_COLUMNS if cells.get(c)}
        for column, index in by_column.items():
            value = cells.get(column, "")
            if not value:
                continue
            other = index.setdefault(_key(column, value), student)
            if other != student:
                problems.append(
                    f"line {line}: {column} {value!r} is also {other!r}'s; "
                    "each LMS id must name one student"
                )
    if problems:
        raise InfrastructureError(f"roster {path} needs fixing:\n  " + "\n  ".join(problems))
    return Roster(path, tuple(students), by_column, details)
