"""Attacks on identity: a student taking another's gradebook row, variant or roster place.

The folder name (the LMS's id) is the only identity. ``student:`` in answers.yaml is a
claim that is reported when it differs and changes nothing; a folder whose name is not a
valid id is listed for the TA and never graded under a mangled id.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from grader.classroom import ClassReport, grade_class
from grader.gradebook import Gradebook
from grader.loading import LoadedExam, load_exam
from grader.sandbox import InProcessRunner
from grader.submissions import read_submission, student_id_problem
from grader.variants import variant_seed

EXAM = Path(__file__).parents[2] / "grader" / "fixtures" / "good" / "exam.yaml"
RIGHT = {"M1": ["A", "C"], "N1": -0.145, "E1": "2*n*r", "O1": ["gen", "cls", "filt"]}  # 4.5 marks
WRONG = {"M1": ["B"], "N1": 7, "E1": "n", "O1": ["filt", "cls", "gen"]}  # 0 marks


@pytest.fixture(scope="module")
def exam() -> LoadedExam:
    return load_exam(EXAM)


def write(klass: Path, folder: str, answers: dict[str, object], student: object = None) -> Path:
    d = klass / folder
    d.mkdir(parents=True)
    doc: dict[str, object] = {"exam": "demo-exam", "answers": answers}
    if student is not None:
        doc["student"] = student
    (d / "answers.yaml").write_text(yaml.safe_dump(doc))
    return d


def grade(exam: LoadedExam, klass: Path, tmp_path: Path, runner: InProcessRunner,
          secret: bytes | None = None) -> tuple[Gradebook, ClassReport]:
    gb = Gradebook(tmp_path / "gb.sqlite")
    return gb, grade_class(exam, klass, gb, runner, secret=secret)


def totals(gb: Gradebook) -> dict[str, float]:
    out: dict[str, float] = {}
    for a in gb.answers("demo-exam"):
        out[a.student] = round(out.get(a.student, 0.0) + a.marks, 6)
    return out


def problems(gb: Gradebook) -> dict[str, list[str]]:
    return {s: p for s, _, p, _ in gb.submissions("demo-exam")}


@pytest.mark.parametrize("claimant", ["aaron", "zack"])  # sorted before and after the victim
def test_claiming_another_students_id_takes_nothing_of_theirs(claimant: str, exam: LoadedExam, tmp_path: Path,
                                                             unsandboxed: InProcessRunner) -> None:
    klass = tmp_path / "class"
    write(klass, "mia", WRONG, student="mia")
    write(klass, claimant, RIGHT, student="mia")
    gb, _ = grade(exam, klass, tmp_path, unsandboxed)
    assert totals(gb) == {"mia": 0.0, claimant: 4.5}
    assert problems(gb)["mia"] == []
    assert problems(gb)[claimant] == [f"answers.yaml says student 'mia' but this folder is {claimant!r}; graded as {claimant!r}"]
    folders = {s: Path(f).name for s, _, _, f in gb.submissions("demo-exam")}
    assert folders == {"mia": "mia", claimant: claimant}


def test_a_claim_never_overwrites_the_victims_row_on_a_rerun(exam: LoadedExam, tmp_path: Path,
                                                             unsandboxed: InProcessRunner) -> None:
    klass = tmp_path / "class"
    write(klass, "mia", WRONG)
    gb, _ = grade(exam, klass, tmp_path, unsandboxed)
    write(klass, "aaron", RIGHT, student="mia")
    report = grade_class(exam, klass, gb, unsandboxed)
    assert report.graded == ["aaron"] and report.skipped == ["mia"]
    assert totals(gb) == {"mia": 0.0, "aaron": 4.5}


def test_the_variant_follows_the_folder_not_the_claim(exam: LoadedExam, tmp_path: Path,
                                                      unsandboxed: InProcessRunner) -> None:
    klass = tmp_path / "class"
    write(klass, "mia", WRONG)
    write(klass, "aaron", WRONG, student="mia")
    gb, _ = grade(exam, klass, tmp_path, unsandboxed, secret=b"course-secret")
    variants = {s: v for s, v, _, _ in gb.submissions("demo-exam")}
    assert variants == {s: variant_seed(b"course-secret", "demo-exam", s) for s in ("mia", "aaron")}
    assert variants["aaron"] != variants["mia"]


def test_the_roster_is_checked_against_the_folder_name(exam: LoadedExam, tmp_path: Path,
                                                       unsandboxed: InProcessRunner) -> None:
    klass = tmp_path / "class"
    write(klass, "mia", WRONG)
    write(klass, "eve", WRONG, student="mia")
    (klass / "roster.csv").write_text("student\nmia\n")
    gb, _ = grade(exam, klass, tmp_path, unsandboxed)
    assert "student id 'eve' is not on the roster; graded, but check the id" in problems(gb)["eve"]
    assert problems(gb)["mia"] == []


@pytest.mark.parametrize("claim", ["mia", 12345, "  mia  "])
def test_a_claim_that_matches_the_folder_or_no_claim_is_no_problem(claim: object, tmp_path: Path) -> None:
    folder = write(tmp_path, str(claim).strip(), WRONG, student=claim)
    assert read_submission(folder).problems == ()
    bare = write(tmp_path / "bare", "mia", WRONG)
    assert read_submission(bare).problems == ()


def test_a_long_or_odd_claim_is_reported_shortened(tmp_path: Path) -> None:
    folder = write(tmp_path, "mia", WRONG, student=["x" * 500])
    sub = read_submission(folder)
    assert sub.student == "mia"
    [msg] = sub.problems
    assert msg.startswith("answers.yaml says student ['xxx") and msg.endswith("... but this folder is 'mia'; graded as 'mia'")
    assert len(msg) < 160


BAD_NAMES = ['=HYPERLINK("x","y")', "+1", "-2+3", "@SUM(A1)", "has space", "a" * 129, "tab\tname", "ünï", "[red]x",
             "x;rm -rf", "quote'name"]


@pytest.mark.parametrize("name", ["alice", "A1", "s.smith", "j_doe-2", "jo@uni.edu", "1" * 128])
def test_valid_ids(name: str) -> None:
    assert student_id_problem(name) is None


@pytest.mark.parametrize("name", [*BAD_NAMES, "", "a\n", ".x", "_x", "a/b"])
def test_invalid_ids(name: str) -> None:
    assert student_id_problem(name) is not None


def test_folders_with_invalid_names_are_listed_and_not_graded(exam: LoadedExam, tmp_path: Path,
                                                              unsandboxed: InProcessRunner) -> None:
    klass = tmp_path / "class"
    write(klass, "mia", RIGHT)
    for name in BAD_NAMES:
        write(klass, name, RIGHT, student="mia")
    gb, report = grade(exam, klass, tmp_path, unsandboxed)
    assert report.graded == ["mia"]
    assert totals(gb) == {"mia": 4.5} and problems(gb) == {"mia": []}
    failed = report.failed
    assert len(failed) == len(BAD_NAMES)
    for key, why in failed.items():
        assert "is not a valid student id" in why and "not graded" in why
        assert "[" not in key and "\t" not in key  # safe to print in a terminal (rich markup, control characters)
    assert failed['=HYPERLINK("x","y")'].startswith("folder name '=HYPERLINK(\"x\",\"y\")' is not a valid student id")
    assert "tab\\x09name" in failed and "\\x5bred\\x5dx" in failed
