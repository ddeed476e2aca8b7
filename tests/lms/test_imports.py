"""`grader import`: Canvas, Gradescope and Moodle downloads laid out as student folders."""

from __future__ import annotations

import json
import stat
import zipfile
from pathlib import Path

import pytest

from grader.cli import ExitCode, main
from grader.lms.archive_members import MAX_MEMBER_BYTES
from grader.lms.roster import read_lms_roster
from grader.lms.submissions_in import ImportReport, import_submissions

# these tests grade text and answers.yaml with --no-sandbox on purpose; its warning is expected
pytestmark = pytest.mark.filterwarnings("ignore:NO SANDBOX:RuntimeWarning")
FIX = Path(__file__).parents[1] / "grader" / "fixtures"
EXAM = FIX / "good" / "exam.yaml"

ROSTER = (
    "student,name,email,canvas_id,moodle_id\n"
    "alice,Alice Smith,alice@uni.edu,1001,31\n"
    "bob,Bob Jones,bob@uni.edu,1002,32\n"
    "carl,Carl Weiss,carl@uni.edu,1003,33\n"
    "dora,Dora Lee,dora@uni.edu,1004,34\n"
)


def _roster(tmp_path: Path, text: str = ROSTER) -> Path:
    path = tmp_path / "roster.csv"
    path.write_text(text, encoding="utf-8")
    return path


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _import(tmp_path: Path, source: str, download: Path) -> tuple[ImportReport, Path]:
    out = tmp_path / "submissions"
    roster = read_lms_roster(_roster(tmp_path))
    return import_submissions(source, download, roster, out), out


def _layout(out: Path) -> dict[str, bytes]:
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name not in ("roster.csv", "import-report.txt")
    }


def _assert_imported(
    report: ImportReport,
    out: Path,
    layout: dict[str, bytes],
    unplaced: list[tuple[str, str]],
    missing: list[str],
) -> None:
    """The files written, the files not placed (with why) and the students with none."""
    assert _layout(out) == layout
    assert [(u.origin, u.reason) for u in report.unplaced] == unplaced
    assert report.missing == missing


def test_canvas_zip_keeps_the_latest_of_late_and_resubmitted_files(tmp_path: Path) -> None:
    download = _zip(
        tmp_path / "submissions.zip",
        {
            "smithalice_1001_5001_answers.yaml": b"old",
            "smithalice_1001_5002_answers-1.yaml": b"new",
            "smithalice_1001_5002_c1.py": b"x = 1\n",
            "jonesbob_LATE_1002_5003_answers.yaml": b"bob",
            "jonesbob_LATE_1002_5003_notes.pdf": b"%PDF",
            "strangerx_9999_5004_answers.yaml": b"?",
        },
    )
    report, out = _import(tmp_path, "canvas", download)
    _assert_imported(
        report,
        out,
        {
            "alice/answers.yaml": b"new",
            "alice/c1.py": b"x = 1\n",
            "bob/answers.yaml": b"bob",
            "bob/notes.pdf": b"%PDF",
        },
        [
            ("strangerx_9999_5004_answers.yaml", "Canvas user id 9999 is not on the roster"),
            (
                "smithalice_1001_5001_answers.yaml",
                "duplicate: smithalice_1001_5002_answers-1.yaml is a later submission of "
                "answers.yaml",
            ),
        ],
        ["carl", "dora"],
    )
    assert report.placed == {
        "alice": ["answers.yaml", "c1.py"],
        "bob": ["answers.yaml", "notes.pdf"],
    }
    assert report.not_read == ["bob/notes.pdf"]
    assert (out / "roster.csv").read_text() == ROSTER
    assert (out / "import-report.txt").read_text() == report.text()
    assert report.text().splitlines()[0] == "placed 4 file(s) for 2 student(s)"


GRADESCOPE_METADATA = """\
---
submission_70001:
  :submitters:
  - :name: Alice Smith
    :sid: alice
    :email: alice@uni.edu
  :created_at: 2025-03-01 10:00:00.000000000 -08:00
  :score: !ruby/object:BigDecimal 18:0.1e2
  :history: []
submission_70002:
  :submitters:
  - :name: Bob Jones
    :sid: ''
    :email: BOB@uni.edu
  - :name: Carl Weiss
    :sid: carl
    :email: carl@uni.edu
  :created_at: 2025-03-01 11:00:00.000000000 -08:00
  :score: 7.0
submission_70003:
  :submitters:
  - :name: Eve Outsider
    :sid: '42'
    :email: eve@elsewhere.org
"""


def test_gradescope_export_gives_each_group_member_the_files(tmp_path: Path) -> None:
    export = tmp_path / "assignment_123_export"
    files = {
        "submission_metadata.yml": GRADESCOPE_METADATA.encode(),
        "submission_70001/answers.yaml": b"a",
        "submission_70001/c1.py": b"a = 1\n",
        "submission_70002/answers.yaml": b"group",
        "submission_70003/answers.yaml": b"eve",
    }
    for name, data in files.items():
        (export / name).parent.mkdir(parents=True, exist_ok=True)
        (export / name).write_bytes(data)
    report, out = _import(tmp_path, "gradescope", export)
    _assert_imported(
        report,
        out,
        {
            "alice/answers.yaml": b"a",
            "alice/c1.py": b"a = 1\n",
            "bob/answers.yaml": b"group",
            "carl/answers.yaml": b"group",
        },
        [("submission_70003/answers.yaml", "submitter '42' is not on the roster (sid or email)")],
        ["dora"],
    )


def test_gradescope_zip_with_a_top_folder_is_read_like_the_folder(tmp_path: Path) -> None:
    download = _zip(
        tmp_path / "export.zip",
        {
            "assignment_123_export/submission_metadata.yml": GRADESCOPE_METADATA.encode(),
            "assignment_123_export/submission_70001/answers.yaml": b"a",
        },
    )
    report, out = _import(tmp_path, "gradescope", download)
    assert _layout(out) == {"alice/answers.yaml": b"a"}
    assert report.unplaced == []


def test_moodle_zip_places_file_submissions_and_reports_online_text(tmp_path: Path) -> None:
    download = _zip(
        tmp_path / "moodle.zip",
        {
            "Alice Smith_31_assignsubmission_file_/answers.yaml": b"a",
            "Alice Smith_31_assignsubmission_file_/c1.py": b"a = 1\n",
            "Alice Smith_31_assignsubmission_onlinetext_/onlinetext.html": b"<p>hi</p>",
            "Dora  LEE_77_assignsubmission_file_/answers.yaml": b"d",
            "Zed Nobody_99_assignsubmission_file_/answers.yaml": b"z",
        },
    )
    report, out = _import(tmp_path, "moodle", download)
    _assert_imported(
        report,
        out,
        {
            "alice/answers.yaml": b"a",
            "alice/c1.py": b"a = 1\n",
            "dora/answers.yaml": b"d",
        },
        [
            (
                "Alice Smith_31_assignsubmission_onlinetext_/onlinetext.html",
                "Moodle onlinetext submission, not a file; ask for the answers as files",
            ),
            (
                "Zed Nobody_99_assignsubmission_file_/answers.yaml",
                "Moodle participant 99 (Zed Nobody) is not on the roster (moodle_id or name)",
            ),
        ],
        ["bob", "carl"],
    )


def _refusal(tmp_path: Path, download: Path) -> str:
    report, out = _import(tmp_path, "canvas", download)
    assert _layout(out) == {}
    assert len(report.unplaced) == 1
    return report.unplaced[0].reason


def test_a_path_traversal_member_is_refused(tmp_path: Path) -> None:
    download = _zip(tmp_path / "d.zip", {"../smithalice_1001_5001_x.py": b"evil"})
    assert _refusal(tmp_path, download) == "unsafe name: a path with a '..' part"
    assert not (tmp_path / "x.py").exists()


def test_a_traversal_hidden_in_the_original_file_name_is_refused(tmp_path: Path) -> None:
    download = _zip(tmp_path / "d.zip", {"smithalice_1001_5001_../../x.py": b"evil"})
    assert _refusal(tmp_path, download) == "unsafe name: a path with a '..' part"


def test_an_absolute_member_is_refused(tmp_path: Path) -> None:
    download = _zip(tmp_path / "d.zip", {"/tmp/smithalice_1001_5001_x.py": b"evil"})
    assert _refusal(tmp_path, download) == "unsafe name: an absolute path"


def test_a_symlink_member_is_refused(tmp_path: Path) -> None:
    info = zipfile.ZipInfo("smithalice_1001_5001_c1.py")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(tmp_path / "d.zip", "w") as zf:
        zf.writestr(info, "/etc/passwd")
    assert _refusal(tmp_path, tmp_path / "d.zip") == "a symbolic link"


def test_a_member_over_the_submission_size_limit_is_refused(tmp_path: Path) -> None:
    big = bytes(range(256)) * (MAX_MEMBER_BYTES // 256 + 1)
    download = _zip(tmp_path / "d.zip", {"smithalice_1001_5001_c1.py": big})
    assert _refusal(tmp_path, download).startswith("larger than 1.0 MB")


def test_a_zip_bomb_member_is_refused_before_it_is_expanded(tmp_path: Path) -> None:
    download = _zip(tmp_path / "d.zip", {"smithalice_1001_5001_c1.py": b"\0" * 900_000})
    assert _refusal(tmp_path, download).startswith("a zip bomb:")


def test_a_roster_without_the_student_column_says_what_to_add(tmp_path: Path) -> None:
    from grader.errors import InfrastructureError

    with pytest.raises(InfrastructureError, match="no `student` column"):
        read_lms_roster(_roster(tmp_path, "name,canvas_id\nAlice,1001\n"))


def test_imported_canvas_answers_are_graded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    klass = FIX / "class"
    members = {}
    for user, student in enumerate(("alice", "bob", "carl"), start=1001):
        for path in sorted((klass / student).iterdir()):
            members[f"x{student}_{user}_{user + 4000}_{path.name}"] = path.read_bytes()
    download = _zip(tmp_path / "submissions.zip", members)
    roster = _roster(tmp_path)
    out = tmp_path / "submissions"
    code = main(
        ["import", "--from", "canvas", str(download), "--roster", str(roster), "--out", str(out)]
    )
    assert code == ExitCode.OK
    assert "no submission from 1 roster student(s):\n  dora" in capsys.readouterr().out
    totals = {}
    for name, folder in (("imported", out), ("original", klass)):
        grading = tmp_path / name
        argv = ["grade", str(EXAM), str(folder), "--no-sandbox", "--workers", "1", "--quiet"]
        main([*argv, "--out", str(grading)])
        results = json.loads((grading / "results.json").read_text())
        totals[name] = {s["student"]: s["total"] for s in results["students"]}
    assert set(totals["imported"]) == {"alice", "bob", "carl"}
    assert totals["imported"] == totals["original"]
