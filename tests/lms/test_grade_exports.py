"""Grades out: each LMS's gradebook import file, checked against the rules its documentation
gives (written down once per format below, in a small checker that must also reject a
broken file), plus the `grader export` verb end to end."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import pytest

from grader.cli import main
from grader.gradebook import StoredAnswer
from grader.lms.grades_out import (
    GRADE_TARGETS,
    RosterEntry,
    blackboard_csv,
    canvas_csv,
    gradescope_csv,
    moodle_csv,
    roster_entries,
)
from grader.lms.roster import read_lms_roster
from grader.loading import LoadedExam, load_exam
from grader.reports.table import ClassTable, QuestionColumn, StudentRow
from grader.results import QuestionResult

# these tests grade text and answers.yaml with --no-sandbox on purpose; its warning is expected
pytestmark = pytest.mark.filterwarnings("ignore:NO SANDBOX:RuntimeWarning")
FIX = Path(__file__).parents[1] / "grader" / "fixtures"
EXAM = FIX / "good" / "exam.yaml"
"""The demo exam: "Demo exam" (demo-exam), 11.5 marks; Section A = M1 (1.5), Section B = the
rest (10)."""
HOSTILE = "=cmd|' /C calc'!A0"


def _answer(student: str, qid: str, marks: float, *, pending: bool = False) -> StoredAnswer:
    status = "needs_review" if pending else "correct"
    result = QuestionResult.model_validate(
        {"question_id": qid, "marks": marks, "max_marks": 2.0, "status": status}
    )
    return StoredAnswer(student, qid, marks, marks, 2.0, status, pending, False, result)


def _row(student: str, marks: dict[str, float], pending: tuple[str, ...] = ()) -> StudentRow:
    answers = tuple(_answer(student, q, m, pending=q in pending) for q, m in marks.items())
    return StudentRow(student, 0, (), f"submissions/{student}", answers)


TABLE = ClassTable(
    exam="demo-exam",
    questions=(QuestionColumn("M1", 1.5), QuestionColumn("N1", 1.0), QuestionColumn("T1", 2.0)),
    students=(
        _row(HOSTILE, {"M1": 1.5, "N1": 0.0}),
        _row("ana", {"M1": 1.5, "N1": 1.0, "T1": 0.5}),
        _row("ben", {"M1": 0.0, "T1": 1.0}, pending=("T1",)),
    ),
)
ROSTER = {
    "ana": RosterEntry(
        "ana",
        name="Ana de Souza",
        canvas_id="4021",
        sis_user_id="S100",
        sis_login_id="ana.souza",
        section="Tue lab",
        email="ana@uni.edu",
        username="asouza",
    ),
    "ben": RosterEntry("ben", name="Ben Okafor", email="ben@uni.edu", username="bokafor"),
}


@pytest.fixture(scope="module")
def exam() -> LoadedExam:
    return load_exam(EXAM)


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def _is_number(cell: str) -> bool:
    """A score cell as every LMS reads one: a plain number, ``.`` as the decimal point."""
    try:
        float(cell)
    except ValueError:
        return False
    return "," not in cell


# ----------------------------------------------------- the documented rules, per format
Checker = Callable[[str], list[str]]


def _grades_ok(rows: list[list[str]], first_grade: int, start: int) -> list[str]:
    """Every row as long as the header; every grade cell a number."""
    problems = [f"row {i} has {len(r)} cells" for i, r in enumerate(rows) if len(r) != len(rows[0])]
    problems += [
        f"row {i}: score {c!r} is not a number"
        for i, r in enumerate(rows[start:], start)
        for c in r[first_grade:]
        if not _is_number(c)
    ]
    return problems


def check_canvas(text: str) -> list[str]:
    """Canvas: the five identity columns in order, a Points Possible row, a Canvas id, SIS
    user id or SIS login id on every student row, numbers for scores."""
    rows = _rows(text)
    fixed = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    if rows[0][:5] != fixed:
        return [f"header starts {rows[0][:5]}, not {fixed}"]
    if rows[1][0] != "Points Possible":
        return ["second row is not Points Possible"]
    problems = [f"row {i} names no student" for i, r in enumerate(rows[2:], 2) if not any(r[1:4])]
    return problems + _grades_ok(rows, 5, 1)


def check_moodle(text: str) -> list[str]:
    """Moodle: a mappable identifier column first, unique and filled; numeric grades."""
    rows = _rows(text)
    if rows[0][0] not in ("Email address", "ID number", "Username"):
        return [f"first column {rows[0][0]!r} is no Moodle user field"]
    ids = [r[0] for r in rows[1:]]
    problems = ["identifiers blank or repeated"] if "" in ids or len(set(ids)) < len(ids) else []
    return problems + _grades_ok(rows, 2, 1)


def check_gradescope(text: str) -> list[str]:
    """Gradescope: Name, SID, Email, Total Score; every row has an Email or an SID."""
    rows = _rows(text)
    if rows[0][:4] != ["Name", "SID", "Email", "Total Score"]:
        return [f"header starts {rows[0][:4]}"]
    problems = [
        f"row {i} has no Email or SID" for i, r in enumerate(rows[1:], 1) if not any(r[1:3])
    ]
    return problems + _grades_ok(rows, 3, 1)


def check_blackboard(text: str) -> list[str]:
    """Blackboard: the Grade Center's six columns in order, a Username on every row (unique),
    numeric grades."""
    rows = _rows(text)
    fixed = ["Last Name", "First Name", "Username", "Student ID", "Last Access", "Availability"]
    if rows[0][:6] != fixed:
        return [f"header starts {rows[0][:6]}"]
    users = [r[2] for r in rows[1:]]
    problems = (
        ["usernames blank or repeated"] if "" in users or len(set(users)) < len(users) else []
    )
    return problems + _grades_ok(rows, 6, 1)


CHECKERS: dict[str, Checker] = {
    "canvas": check_canvas,
    "moodle": check_moodle,
    "gradescope-csv": check_gradescope,
    "blackboard": check_blackboard,
}


@pytest.mark.parametrize("target", sorted(GRADE_TARGETS))
@pytest.mark.parametrize("by_section", [False, True])
def test_every_target_passes_its_documented_rules(
    exam: LoadedExam, target: str, by_section: bool
) -> None:
    text = GRADE_TARGETS[target](TABLE, exam, ROSTER, by_section=by_section)
    assert CHECKERS[target](text) == []


@pytest.mark.parametrize(
    ("target", "break_it"),
    [
        ("canvas", lambda t: "\n".join(t.splitlines()[:1] + t.splitlines()[2:])),
        ("canvas", lambda t: t.replace("4021,S100,ana.souza", ",,")),
        ("moodle", lambda t: t.replace("Souza,3", 'Souza,"3,0"')),
        ("gradescope-csv", lambda t: t.replace("Total Score", "Score")),
        ("blackboard", lambda t: t.replace("asouza", "")),
    ],
    ids=["canvas-no-points", "canvas-no-id", "moodle-comma", "gs-no-total", "bb-no-user"],
)
def test_the_checkers_reject_a_file_an_lms_would_reject(
    exam: LoadedExam, target: str, break_it: Callable[[str], str]
) -> None:
    text = GRADE_TARGETS[target](TABLE, exam, ROSTER)
    assert CHECKERS[target](break_it(text)) != []


# ------------------------------------------------------------------- exact files
def test_canvas_has_one_column_for_the_exam_and_its_points_possible(exam: LoadedExam) -> None:
    rows = _rows(canvas_csv(TABLE, exam, ROSTER))
    assert rows[:2] == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Demo exam (demo-exam)"],
        ["Points Possible", "", "", "", "", "11.5"],
    ]
    assert rows[3] == ["Ana de Souza", "4021", "S100", "ana.souza", "Tue lab", "3"]


def test_canvas_by_section_has_one_column_per_section_and_none_per_question(
    exam: LoadedExam,
) -> None:
    rows = _rows(canvas_csv(TABLE, exam, ROSTER, by_section=True))
    assert rows[0][5:] == ["Demo exam: Section A (demo-exam)", "Demo exam: Section B (demo-exam)"]
    assert rows[1][5:] == ["1.5", "10"]
    assert rows[3][5:] == ["1.5", "1.5"]


def test_canvas_without_a_roster_identifies_students_by_sis_user_id(exam: LoadedExam) -> None:
    rows = _rows(canvas_csv(TABLE, exam, {}))
    assert rows[3] == ["ana", "", "ana", "", "", "3"]


def test_a_hostile_student_id_is_escaped_and_scores_stay_numbers(exam: LoadedExam) -> None:
    for target, writer in GRADE_TARGETS.items():
        text = writer(TABLE, exam, {})
        hostile_rows = [r for r in _rows(text) if any(HOSTILE in c for c in r)]
        assert hostile_rows, target
        assert all(not c.startswith("=") for r in hostile_rows for c in r), target
        assert "'" + HOSTILE in hostile_rows[0], target
    assert "\n'=cmd|' /C calc'!A0,,'=cmd|' /C calc'!A0,,,1.5\n" in canvas_csv(TABLE, exam, {})


def test_moodle_identifies_by_email_when_the_roster_has_every_email(exam: LoadedExam) -> None:
    two = ClassTable(TABLE.exam, TABLE.questions, TABLE.students[1:])
    assert moodle_csv(two, exam, ROSTER) == (
        "Email address,Full name,Demo exam (demo-exam)\n"
        "ana@uni.edu,Ana de Souza,3\n"
        "ben@uni.edu,Ben Okafor,1\n"
    )


def test_moodle_falls_back_to_id_number_when_a_student_has_no_email(exam: LoadedExam) -> None:
    rows = _rows(moodle_csv(TABLE, exam, ROSTER))
    assert rows[0][0] == "ID number"
    assert [r[0] for r in rows[1:]] == ["'" + HOSTILE, "S100", "ben"]


def test_gradescope_has_name_sid_email_and_total_score(exam: LoadedExam) -> None:
    assert gradescope_csv(TABLE, exam, ROSTER).splitlines()[:3] == [
        "Name,SID,Email,Total Score",
        "'=cmd|' /C calc'!A0,'=cmd|' /C calc'!A0,,1.5",
        "Ana de Souza,S100,ana@uni.edu,3",
    ]


def test_blackboard_makes_a_new_column_with_its_total_points(exam: LoadedExam) -> None:
    assert blackboard_csv(TABLE, exam, ROSTER).splitlines()[::2] == [
        "Last Name,First Name,Username,Student ID,Last Access,Availability,"
        "Demo exam [Total Pts: 11.5 Score]",
        "de Souza,Ana,asouza,S100,,Yes,3",
    ]


def test_the_roster_reads_lms_ids_and_leaves_unknown_columns(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_text("student,name,canvas_id,sis_user_id,notes\nana,Ana S,4021,S100,x\nbo,,,,\n")
    assert roster_entries(read_lms_roster(path)) == {
        "ana": RosterEntry("ana", name="Ana S", canvas_id="4021", sis_user_id="S100"),
        "bo": RosterEntry("bo"),
    }


# ------------------------------------------------------------------ the CLI
@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture class graded once (alice, bob, carl, dora: T1 waits for a TA)."""
    out = tmp_path_factory.mktemp("graded")
    args = ["grade", str(EXAM), str(FIX / "class"), "--no-sandbox", "--workers", "1", "--quiet"]
    assert main([*args, "--out", str(out)]) in (0, 3)
    return out


def test_export_writes_a_canvas_file_with_the_recorded_roster(
    graded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "canvas.csv"
    argv = ["export", str(EXAM), "--to", "canvas", "--out", str(file), "--out-dir", str(graded)]
    assert main(argv) == 0
    rows = _rows(file.read_text())
    assert rows[1] == ["Points Possible", "", "", "", "", "11.5"]
    assert [r[0] for r in rows[2:]] == ["alice", "bob", "carl"]
    assert check_canvas(file.read_text()) == []
    assert "waiting for a TA" in capsys.readouterr().err


def test_export_final_refuses_while_answers_wait_for_a_ta(
    graded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "grades.csv"
    argv = ["export", str(EXAM), "--to", "moodle", "--out", str(file), "--out-dir", str(graded)]
    assert main([*argv, "--final"]) == 1
    assert not file.exists()
    assert "--final:" in capsys.readouterr().err


def test_export_reports_students_missing_from_the_roster(
    graded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("student,name,email\nalice,Alice Liddell,alice@uni.edu\n")
    file = tmp_path / "gs.csv"
    argv = ["export", str(EXAM), "--to", "gradescope-csv", "--out", str(file)]
    assert main([*argv, "--out-dir", str(graded), "--roster", str(roster)]) == 0
    assert "2 graded student(s) not on roster" in capsys.readouterr().err
    assert file.read_text().splitlines()[1].startswith("Alice Liddell,alice,alice@uni.edu,")


def test_every_gradebook_writer_is_an_export_target() -> None:
    """`grader export --to` names the writers without importing them (start-up time)."""
    from grader.cli_export import GRADE_TARGET_NAMES

    assert sorted(GRADE_TARGET_NAMES) == sorted(GRADE_TARGETS)
