"""`grader new course DIR`: a working course in a folder that is not this repository."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from grader.cli import main

EXAM = "week-1"
EXPECTED_TOTALS = {"ada": 10.0, "ben": 0.0}
"""The example class: ada answers everything right, ben everything wrong (text answers
wait for a TA, so they count for nothing yet)."""


@pytest.fixture
def course(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A course written by `grader new course`, with the cwd outside the repository."""
    monkeypatch.chdir(tmp_path)
    assert main(["new", "course", "my-course", "--exam", EXAM]) == 0
    return tmp_path / "my-course"


def test_new_course_writes_one_question_of_each_type_references_a_class_and_a_readme(
    course: Path,
) -> None:
    assert (course / "README.md").is_file()
    assert (course / "refs" / "course_refs" / "softmax.py").is_file()
    bank = (course / "questions" / EXAM / "bank.yaml").read_text()
    for kind in ("mcq", "numeric", "expression", "ordering", "text", "code", "multipart"):
        assert f"type: {kind}\n" in bank
    assert f"exam: {EXAM}\n" in (course / "questions" / EXAM / "exam.yaml").read_text()
    students = course / "submissions" / EXAM
    assert sorted(p.name for p in students.iterdir() if p.is_dir()) == ["ada", "ben"]
    assert (students / "roster.csv").read_text().split() == ["student", "ada", "ben"]
    assert "__EXAM__" not in "".join(p.read_text() for p in course.rglob("*") if p.is_file())


def test_new_course_refuses_a_folder_that_is_not_empty(
    course: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["new", "course", str(course)]) == 1
    assert "not an empty folder" in capsys.readouterr().err


@pytest.mark.slow
def test_the_new_course_validates_and_grades_from_its_own_folder(
    course: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(course)
    assert main(["validate", "questions/"]) == 0
    out = Path("out")
    argv = ["grade", f"questions/{EXAM}/exam.yaml", f"submissions/{EXAM}", "--out", str(out)]
    with pytest.warns(RuntimeWarning, match="NO SANDBOX"):
        assert main([*argv, "--no-sandbox", "--workers", "1", "--quiet"]) == 0
    with (out / "gradebook.csv").open() as f:
        rows = [r for r in csv.DictReader(f) if r["Student ID"] != "Points possible"]
    assert {r["Student ID"]: float(r["Total"]) for r in rows} == EXPECTED_TOTALS
