"""Grading a class: totals, broken submissions, resumption after SIGKILL, regrades, review."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from grader.classroom import grade_class
from grader.gradebook import Gradebook, Regrade
from grader.loading import LoadedExam, load_exam
from grader.reports import read_table
from grader.review_file import apply_review_file, write_review_file
from grader.sandbox import InProcessRunner
from grader.text_review import build_review

FIX = Path(__file__).parent / "fixtures"
EXAM = FIX / "good" / "exam.yaml"


@pytest.fixture
def klass(tmp_path: Path) -> Path:
    dest = tmp_path / "class"
    shutil.copytree(FIX / "class", dest)
    return dest


def totals(gb: Gradebook, exam: str = "demo-exam") -> dict[str, float]:
    out: dict[str, float] = {}
    for a in gb.answers(exam):
        out[a.student] = round(out.get(a.student, 0.0) + a.marks, 6)
    return out


def problems(gb: Gradebook, student: str) -> list[str]:
    return next(s.problems for s in gb.submissions("demo-exam") if s.student == student)


def test_class_totals_are_exact(klass: Path, tmp_path: Path, runner: InProcessRunner) -> None:
    gb = Gradebook(tmp_path / "gb.sqlite")
    report = grade_class(load_exam(EXAM), klass, gb, runner)
    assert sorted(report.graded) == ["alice", "bob", "carl"]
    assert totals(gb) == {"alice": 11.5, "bob": 0.0, "carl": 0.0}


def test_rerun_grades_nothing_and_duplicates_nothing(
    klass: Path, tmp_path: Path, runner: InProcessRunner
) -> None:
    gb = Gradebook(tmp_path / "gb.sqlite")
    grade_class(load_exam(EXAM), klass, gb, runner)
    before = gb.rows("SELECT student, question_id, marks FROM answers ORDER BY 1, 2")
    again = grade_class(load_exam(EXAM), klass, gb, runner)
    assert again.graded == [] and sorted(again.skipped) == ["alice", "bob", "carl"]
    assert gb.rows("SELECT student, question_id, marks FROM answers ORDER BY 1, 2") == before


def test_changed_submission_is_regraded_alone(
    klass: Path, tmp_path: Path, runner: InProcessRunner
) -> None:
    gb = Gradebook(tmp_path / "gb.sqlite")
    grade_class(load_exam(EXAM), klass, gb, runner)
    (klass / "bob" / "answers.yaml").write_text(
        "student: bob\nexam: demo-exam\nanswers:\n  M1: [A, C]\n"
    )
    again = grade_class(load_exam(EXAM), klass, gb, runner)
    assert again.graded == ["bob"]
    assert totals(gb)["bob"] == 1.5


def test_regrade_of_one_question_reports_whose_score_changed(
    klass: Path, tmp_path: Path, runner: InProcessRunner
) -> None:
    q = tmp_path / "q"
    shutil.copytree(FIX / "good", q)
    gb = Gradebook(tmp_path / "gb.sqlite")
    grade_class(load_exam(q / "exam.yaml"), klass, gb, runner)
    bank = q / "bank.yaml"
    bank.write_text(bank.read_text().replace("tolerance: {abs: 0.001}", "tolerance: {abs: 0.1}"))
    report = grade_class(load_exam(q / "exam.yaml"), klass, gb, runner)
    assert report.changes == [Regrade("bob", "N1", old_marks=0.0, new_marks=1.0)]
    # Only N1 was recomputed: every other answer of bob still comes from the first run.
    runs = dict(gb.rows("SELECT question_id, run_id FROM answers WHERE student='bob'"))
    assert runs.pop("N1") == report.run_id and set(runs.values()) == {report.run_id - 1}


def test_regrade_flag_recomputes_a_question_for_everyone(
    klass: Path, tmp_path: Path, runner: InProcessRunner
) -> None:
    gb = Gradebook(tmp_path / "gb.sqlite")
    grade_class(load_exam(EXAM), klass, gb, runner)
    report = grade_class(load_exam(EXAM), klass, gb, runner, regrade=["E1"])
    assert sorted(report.graded) == ["alice", "bob", "carl"]
    assert {
        r[0] for r in gb.rows("SELECT question_id FROM answers WHERE run_id=?", (report.run_id,))
    } == {"E1"}


# ------------------------------------------------------------------ broken submissions


def grade_one(klass: Path, tmp_path: Path, runner: InProcessRunner) -> Gradebook:
    gb = Gradebook(tmp_path / "gb.sqlite")
    grade_class(load_exam(EXAM), klass, gb, runner)
    return gb


def test_yaml_that_does_not_parse_is_reported_and_the_class_goes_on(
    klass: Path, tmp_path: Path, runner: InProcessRunner
) -> None:
    gb = grade_one(klass, tmp_path, runner)
    [msg] = problems(gb, "carl")
    assert msg.startswith("answers.yaml is not valid YAML (line 2, column 1)")
    assert totals(gb)["alice"] == 11.5


def test_unknown_question_id_is_reported(
    klass: Path, tmp_path: Path, runner: InProcessRunner
) -> None:
    (klass / "bob" / "answers.yaml").write_text("student: bob\nanswers:\n  Z9: 3\n  M1: [A, C]\n")
    gb = grade_one(klass, tmp_path, runner)
    assert "answer for unknown question 'Z9' ignored" in problems(gb, "bob")
    assert totals(gb)["bob"] == 1.5


def feedback_of(gb: Gradebook, student: str, qid: str) -> str:
    return next(
        a.result.feedback
        for a in gb.answers("demo-exam")
        if a.student == student and a.question_id == qid
    )


def test_missing_code_file_is_reported_on_its_question(
    klass: Path, tmp_path: Path, runner: InProcessRunner
) -> None:
    (klass / "bob" / "c1.py").unlink()
    gb = grade_one(klass, tmp_path, runner)
    assert (
        feedback_of(gb, "bob", "C1")
        == "'c1.py' is not in your submission; write your function in 'c1.py'"
    )


def test_binary_file_is_reported(klass: Path, tmp_path: Path, runner: InProcessRunner) -> None:
    (klass / "bob" / "c1.py").write_bytes(b"\x7fELF\x00\x01\x02")
    gb = grade_one(klass, tmp_path, runner)
    assert "c1.py is a binary file, not Python source" in problems(gb, "bob")
    assert feedback_of(gb, "bob", "C1") == "c1.py is a binary file, not Python source"


def test_a_200_mb_file_is_refused_without_reading_it(
    klass: Path, tmp_path: Path, runner: InProcessRunner
) -> None:
    with open(klass / "bob" / "c1.py", "wb") as fh:
        fh.truncate(200 * 1024 * 1024)  # sparse: costs no disk
    gb = grade_one(klass, tmp_path, runner)
    assert "c1.py is 209.7 MB; the limit is 1.0 MB" in problems(gb, "bob")


def test_symlink_pointing_outside_is_refused(
    klass: Path, tmp_path: Path, runner: InProcessRunner
) -> None:
    secret = tmp_path / "secret.py"
    secret.write_text("KEY = 42\n")
    (klass / "bob" / "c1.py").unlink()
    os.symlink(secret, klass / "bob" / "c1.py")
    gb = grade_one(klass, tmp_path, runner)
    assert "c1.py is a symbolic link; submit the file itself" in problems(gb, "bob")


def test_student_not_on_the_roster_is_graded_and_flagged(
    klass: Path, tmp_path: Path, runner: InProcessRunner
) -> None:
    (klass / "roster.csv").write_text("student\nalice\ncarl\n")
    gb = grade_one(klass, tmp_path, runner)
    assert "student id 'bob' is not on the roster; graded, but check the id" in problems(gb, "bob")


def test_yaml_aliases_are_refused(klass: Path, tmp_path: Path, runner: InProcessRunner) -> None:
    (klass / "bob" / "answers.yaml").write_text("student: bob\na: &x [1, 2]\nanswers:\n  N1: *x\n")
    gb = grade_one(klass, tmp_path, runner)
    assert any("anchors/aliases" in p for p in problems(gb, "bob"))


# ------------------------------------------------------------------------ review


def _write(exam: LoadedExam, gb: Gradebook, path: Path) -> int:
    table = read_table(exam, gb)
    return write_review_file(exam, table, build_review(exam, gb, None, table), path)


def _apply(exam: LoadedExam, gb: Gradebook, path: Path) -> tuple[int, list[str]]:
    table = read_table(exam, gb)
    return apply_review_file(exam, gb, table, build_review(exam, gb, None, table), path)


def _group_of(doc: dict[str, Any], question: str, student: str) -> dict[str, Any]:
    entry = next(q for q in doc["questions"] if q["question"] == question)
    return next(g for g in entry["groups"] if any(a["student"] == student for a in g["answers"]))


def test_ta_review_overrides_provisional_marks_and_survives_regrade(
    klass: Path, tmp_path: Path, runner: InProcessRunner
) -> None:
    exam = load_exam(EXAM)
    gb = grade_one(klass, tmp_path, runner)
    review = tmp_path / "review.yaml"
    assert _write(exam, gb, review) == 2  # alice: T1 and P1/why
    doc = yaml.safe_load(review.read_text())
    group = _group_of(doc, "T1", "alice")
    group["marks"] = 1.5
    group["comment"] = "second point only half made"
    review.write_text(yaml.safe_dump(doc))
    applied, errs = _apply(exam, gb, review)
    assert (applied, errs) == (1, [])
    assert totals(gb)["alice"] == 11.0
    assert _apply(exam, gb, review) == (0, [])  # the same file again changes nothing
    grade_class(exam, klass, gb, runner, regrade=[])
    assert totals(gb)["alice"] == 11.0
    assert _write(exam, gb, review) == 1
    shown = _group_of(yaml.safe_load(review.read_text()), "T1", "alice")
    assert (shown["marks"], shown["comment"]) == (1.5, "second point only half made")


def test_review_file_rejects_marks_above_the_maximum(
    klass: Path, tmp_path: Path, runner: InProcessRunner
) -> None:
    exam = load_exam(EXAM)
    gb = grade_one(klass, tmp_path, runner)
    review = tmp_path / "review.yaml"
    _write(exam, gb, review)
    doc = yaml.safe_load(review.read_text())
    _group_of(doc, "T1", "alice")["marks"] = 9
    review.write_text(yaml.safe_dump(doc))
    applied, errs = _apply(exam, gb, review)
    assert applied == 0 and "marks must be a number from 0 to 2" in errs[0]


# ------------------------------------------------------------------ crash safety


def _answers_table(db: Path) -> list[tuple[object, ...]]:
    gb = Gradebook(db)
    rows = gb.rows(
        "SELECT student, question_id, marks, status, feedback, answer_hash, question_hash"
        " FROM answers ORDER BY 1, 2"
    )
    gb.close()
    return rows


@pytest.mark.slow
def test_sigkill_midway_then_rerun_gives_the_same_gradebook(tmp_path: Path) -> None:
    klass = tmp_path / "big"
    klass.mkdir()
    for i in range(24):
        src = FIX / "class" / ("alice" if i % 2 else "bob")
        dest = klass / f"s{i:03d}"
        shutil.copytree(src, dest)
        (dest / "answers.yaml").write_text(
            (dest / "answers.yaml").read_text().replace("student: ", "# student: ")
        )
    cmd = [
        sys.executable,
        "-m",
        "grader",
        "grade",
        str(EXAM),
        str(klass),
        "--no-sandbox",
        "--workers",
        "1",
        "--quiet",
    ]
    reference = tmp_path / "ref"
    subprocess.run([*cmd, "--out", str(reference)], check=True, capture_output=True)
    killed = tmp_path / "killed"
    proc = subprocess.Popen(
        [*cmd, "--out", str(killed)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    db = killed / "gradebook.sqlite"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if db.exists():
            try:
                n = Gradebook(db).rows("SELECT COUNT(*) FROM submissions")[0][0]
            except Exception:  # noqa: BLE001 - the file may be mid-creation
                n = 0
            if n >= 4:
                break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial = Gradebook(db).rows("SELECT COUNT(*) FROM submissions")[0][0]
    assert 4 <= partial < 24, "the kill should land midway"
    subprocess.run([*cmd, "--out", str(killed)], check=True, capture_output=True)
    assert _answers_table(db) == _answers_table(reference / "gradebook.sqlite")
    assert len(_answers_table(db)) == 24 * 7
