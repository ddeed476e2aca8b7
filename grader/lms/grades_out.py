"""Grades out: the class table as each LMS's own gradebook import file.

Each writer is a pure function of the class table (TA overrides applied), the exam and a
roster, and returns the file's text. Student-controlled text (ids, names, emails) goes
through the one CSV-injection rule (``grader.reports._csv``); scores stay numbers, written
with a ``.`` decimal point and to six significant figures. Marks still waiting for a TA are
exported as they stand (provisional); the CLI warns, and ``--final`` refuses.

The rules relied on, from each LMS's documented import format:

Canvas (Grades > Import, "gradebook CSV")
    Columns ``Student, ID, SIS User ID, SIS Login ID, Section``, then one column per
    assignment; the second row starts with ``Points Possible`` and holds each assignment's
    maximum. Canvas matches a student by ``ID`` (its user id), else ``SIS User ID``, else
    ``SIS Login ID``; ``Student`` is only shown. A column is matched to an assignment by a
    numeric Canvas id in parentheses at the end of its name, else by name; a column it does
    not know becomes a new assignment. So there is one column per exam, named
    ``<title> (<exam id>)`` (never one per question), or with ``by_section`` one per section
    instead (``<title>: <section> (<exam id>)``; both at once would count the exam twice in
    the course total). An all-digit exam id is written ``(exam <id>)`` so that Canvas does
    not take it for one of its own assignment ids.
Moodle (Grades > Import > CSV file)
    A header row, then one row per student. In the import form the teacher maps one column
    to a user field (``Email address``, ``Username`` or ``ID number``) and each other column
    to a grade item (or "new grade item"), so the headers are descriptive: the identifier,
    ``Full name`` (left unmapped) and the grade item(s) named as for Canvas. The identifier
    is ``Email address`` when the roster gives every exported student an email, else
    ``Username`` when it gives every one a username, else ``ID number``.
Gradescope (an assignment's Scores > "Upload scores", CSV)
    Columns ``Name, SID, Email, Total Score``; Gradescope matches a row to its roster by
    ``Email``, or by ``SID`` when the email is blank. Further columns are read as question
    scores matched by question title, so ``by_section`` adds one per section title (the
    Gradescope assignment must then have those questions).
Blackboard Learn (Grade Center > Work Offline > Upload)
    A CSV or tab-delimited file in the Grade Center's own download layout: ``Last Name,
    First Name, Username, Student ID, Last Access, Availability``, then grade columns.
    Rows are matched by ``Username`` alone. A header ending in ``|<column id>`` updates that
    existing column; a header without one creates a new column, so ours are new columns
    named like the download's ``<title> [Total Pts: <max> Score]``.

Where the identifiers come from: a roster CSV (``lms.roster.read_lms_roster``, turned into
``RosterEntry`` by ``roster_entries``) with the student id
column the grader's roster has (``student``) and optional ``name``, ``canvas_id``,
``sis_user_id``, ``sis_login_id``, ``section``, ``email``, ``username``. A student it does
not list is still exported, by student id (which then fills Canvas's ``SIS User ID``,
Moodle's ``ID number``, Gradescope's ``SID`` and Blackboard's ``Username`` and ``Student
ID``); ``not_on_roster`` names them so the CLI can say so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Protocol

from grader.lms.roster import Roster as LmsRoster
from grader.loading import LoadedExam
from grader.reports._csv import Cell, csv_text, number
from grader.reports.table import ClassTable, StudentRow

__all__ = [
    "GRADE_TARGETS",
    "GradeColumn",
    "GradesWriter",
    "RosterEntry",
    "blackboard_csv",
    "canvas_csv",
    "grade_columns",
    "gradescope_csv",
    "moodle_csv",
    "not_on_roster",
    "roster_entries",
]


@dataclass(frozen=True)
class RosterEntry:
    """What a roster says about one student; every field but ``student`` may be blank."""

    student: str
    """The student id the grader knows the student by."""
    name: str = ""
    """Full name, shown by the LMS (``First Last``)."""
    canvas_id: str = ""
    """Canvas user id (Canvas's ``ID`` column)."""
    sis_user_id: str = ""
    """Institution's student number (``SIS User ID``, Moodle ``ID number``, ``SID``)."""
    sis_login_id: str = ""
    """Institution's login (Canvas ``SIS Login ID``)."""
    section: str = ""
    """Course section, shown by Canvas."""
    email: str = ""
    """Email address (Gradescope's and, when everyone has one, Moodle's identifier)."""
    username: str = ""
    """LMS login name (Blackboard's ``Username``; Moodle's when everyone has one)."""

    @property
    def student_number(self) -> str:
        """The institution's student number, or the grader's student id without one."""
        return self.sis_user_id or self.student


Roster = Mapping[str, RosterEntry]
"""Roster entries by student id."""


def roster_entries(roster: LmsRoster) -> dict[str, RosterEntry]:
    """The roster's students by id, with what it says of each (``lms.roster`` reads it)."""
    known = {f.name for f in fields(RosterEntry)} - {"student"}
    return {
        student: RosterEntry(
            student, **{k: v for k, v in roster.details.get(student, {}).items() if k in known}
        )
        for student in roster.students
    }


def not_on_roster(table: ClassTable, roster: Roster) -> list[str]:
    """The graded students ``roster`` does not list (exported by student id)."""
    return [row.student for row in table.students if row.student not in roster]


@dataclass(frozen=True)
class GradeColumn:
    """One grade an LMS receives: the whole exam, or one section of it."""

    title: str
    """``Demo exam`` or ``Demo exam: Section A``."""
    points: float
    """Its maximum."""
    questions: frozenset[str] | None
    """The questions it adds up, None for all of the student's answers (the exam total)."""

    def score(self, row: StudentRow) -> int | float:
        """``row``'s marks in this column, overrides applied."""
        if self.questions is None:
            return number(row.total)
        return number(sum(a.marks for a in row.answers if a.question_id in self.questions))


def grade_columns(exam: LoadedExam, by_section: bool) -> list[GradeColumn]:
    """The exam total as one column, or with ``by_section`` one column per section."""
    e = exam.exam
    if not by_section:
        return [GradeColumn(e.title, e.total_marks, None)]
    return [
        GradeColumn(f"{e.title}: {s.title}", s.marks, frozenset(s.questions)) for s in e.sections
    ]


def _with_exam_id(title: str, exam: LoadedExam) -> str:
    """``title (exam id)``: Canvas reads an all-digit id in parentheses as its own."""
    exam_id = exam.exam.exam
    return f"{title} (exam {exam_id})" if exam_id.isdigit() else f"{title} ({exam_id})"


def _entry(roster: Roster, student: str) -> RosterEntry:
    return roster.get(student) or RosterEntry(student)


class GradesWriter(Protocol):
    """A gradebook import file for one LMS, as text."""

    def __call__(
        self, table: ClassTable, exam: LoadedExam, roster: Roster, *, by_section: bool = False
    ) -> str: ...


def canvas_csv(
    table: ClassTable, exam: LoadedExam, roster: Roster, *, by_section: bool = False
) -> str:
    """Canvas's gradebook import CSV (rules in the module docstring)."""
    columns = grade_columns(exam, by_section)
    rows: list[Sequence[Cell]] = [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
        + [_with_exam_id(c.title, exam) for c in columns],
        ["Points Possible", "", "", "", ""] + [number(c.points) for c in columns],
    ]
    for row in table.students:
        e = _entry(roster, row.student)
        identified = e.canvas_id or e.sis_user_id or e.sis_login_id
        sis_user_id = e.sis_user_id if identified else e.student
        ids = [e.name or e.student, e.canvas_id, sis_user_id, e.sis_login_id, e.section]
        rows.append(ids + [c.score(row) for c in columns])
    return csv_text(rows)


def moodle_csv(
    table: ClassTable, exam: LoadedExam, roster: Roster, *, by_section: bool = False
) -> str:
    """Moodle's CSV grade import (rules in the module docstring)."""
    columns = grade_columns(exam, by_section)
    entries = [_entry(roster, row.student) for row in table.students]
    identifier, field = "ID number", "student_number"
    for header, name in (("Email address", "email"), ("Username", "username")):
        if entries and all(getattr(e, name) for e in entries):
            identifier, field = header, name
            break
    rows: list[Sequence[Cell]] = [
        [identifier, "Full name"] + [_with_exam_id(c.title, exam) for c in columns]
    ]
    for row, e in zip(table.students, entries, strict=True):
        rows.append([str(getattr(e, field)), e.name] + [c.score(row) for c in columns])
    return csv_text(rows)


def gradescope_csv(
    table: ClassTable, exam: LoadedExam, roster: Roster, *, by_section: bool = False
) -> str:
    """Gradescope's "upload scores" CSV (rules in the module docstring)."""
    sections = [s.title for s in exam.exam.sections] if by_section else []
    columns = grade_columns(exam, by_section) if by_section else []
    rows: list[Sequence[Cell]] = [["Name", "SID", "Email", "Total Score", *sections]]
    for row in table.students:
        e = _entry(roster, row.student)
        scores = [c.score(row) for c in columns]
        rows.append([e.name or e.student, e.student_number, e.email, number(row.total), *scores])
    return csv_text(rows)


def blackboard_csv(
    table: ClassTable, exam: LoadedExam, roster: Roster, *, by_section: bool = False
) -> str:
    """Blackboard Learn's Grade Center upload CSV (rules in the module docstring)."""
    columns = grade_columns(exam, by_section)
    fixed = ["Last Name", "First Name", "Username", "Student ID", "Last Access", "Availability"]
    rows: list[Sequence[Cell]] = [
        fixed + [f"{c.title} [Total Pts: {number(c.points)} Score]" for c in columns]
    ]
    for row in table.students:
        e = _entry(roster, row.student)
        first, _, last = e.name.partition(" ")  # "Ana de Souza": Ana / de Souza
        if not last:  # one word: Blackboard needs a last name more than a first
            first, last = "", first
        ids = [last, first, e.username or e.student, e.student_number, "", "Yes"]
        rows.append(ids + [c.score(row) for c in columns])
    return csv_text(rows)


GRADE_TARGETS: dict[str, GradesWriter] = {
    "canvas": canvas_csv,
    "moodle": moodle_csv,
    "gradescope-csv": gradescope_csv,
    "blackboard": blackboard_csv,
}
"""``grader export --to`` targets that write a gradebook import file, by name."""
