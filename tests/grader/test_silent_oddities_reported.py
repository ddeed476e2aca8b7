"""Oddities that used to pass in silence (issue 21, item 8) are reported: an empty
answers.yaml, a key written twice in answers.yaml, a symbolic link among the student
folders. (``--regrade`` of an unknown question: test_command_line_mistakes.)"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader.classroom import grade_class
from grader.gradebook import Gradebook
from grader.loading import load_exam
from grader.sandbox import InProcessRunner
from grader.submissions import read_submission

FIX = Path(__file__).parent / "fixtures"
EXAM = FIX / "good" / "exam.yaml"


def _student(root: Path, name: str, answers: str) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "answers.yaml").write_text(answers, encoding="utf-8")
    return folder


@pytest.mark.parametrize("text", ["", "\n\n", "# answers to come\n"])
def test_an_empty_answers_file_is_listed_as_a_problem(tmp_path: Path, text: str) -> None:
    sub = read_submission(_student(tmp_path, "ann", text))
    assert sub.answers == {}
    assert any("answers.yaml is empty" in p for p in sub.problems), sub.problems


def test_a_key_written_twice_is_refused_naming_the_key_and_both_lines(tmp_path: Path) -> None:
    text = "student: dup\nexam: demo-exam\nanswers:\n  M1: [A, C]\n  N1: '3'\n  M1: [B]\n"
    sub = read_submission(_student(tmp_path, "dup", text))
    assert sub.answers == {}
    (problem,) = sub.problems
    assert "'M1' twice (lines 4 and 6)" in problem


def test_a_key_written_twice_inside_an_answer_is_refused_too(tmp_path: Path) -> None:
    text = "answers:\n  P1: {variance: d_k, variance: d}\n"
    sub = read_submission(_student(tmp_path, "dup", text))
    assert sub.answers == {}
    assert any("'variance' twice (line 2)" in p for p in sub.problems), sub.problems


def test_a_duplicate_key_costs_that_student_only_and_grading_goes_on(
    tmp_path: Path, runner: InProcessRunner
) -> None:
    klass = tmp_path / "class"
    shutil.copytree(FIX / "class", klass)
    _student(klass, "dup", "answers:\n  M1: [A, C]\n  M1: [A, C]\n")
    gradebook = Gradebook(tmp_path / "gb.sqlite")
    report = grade_class(load_exam(EXAM), klass, gradebook, runner)
    assert sorted(report.graded) == ["alice", "bob", "carl", "dup"]
    assert report.results["alice"].total == 11.5
    assert report.results["dup"].total == 0
    assert any("'M1' twice" in p for p in report.results["dup"].problems)


def test_a_symlinked_student_folder_is_reported_with_why_it_is_skipped(
    tmp_path: Path, runner: InProcessRunner
) -> None:
    klass = tmp_path / "class"
    shutil.copytree(FIX / "class", klass)
    (klass / "mallory").symlink_to(klass / "alice", target_is_directory=True)
    gradebook = Gradebook(tmp_path / "gb.sqlite")
    report = grade_class(load_exam(EXAM), klass, gradebook, runner)
    assert sorted(report.graded) == ["alice", "bob", "carl"]
    assert "symbolic link" in report.failed["mallory"]
    assert "not graded" in report.failed["mallory"]
