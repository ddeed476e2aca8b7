"""A course's own reference modules: ``references: [refs/]`` in an exam or bank."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from grader.errors import AuthoringError
from grader.keys import resolve_in
from grader.loading import load_bank, load_exam, resolve_ref, validate_paths
from reference_impls.policy_gradient import discounted_returns

BANK = """\
bank: course-bank
{references}questions:
  - id: N1
    type: numeric
    marks: 1
    topic: scaling
    prompt: "Scale {{{{ x }}}}."
    params:
      x: {{default: 3, choices: [1, 2, 3]}}
    answer: {{ref: "{ref}", args: {{x: "$x"}}}}
    tolerance: {{abs: 0.001}}
"""

EXAM = """\
exam: course-exam
title: Course exam
duration_minutes: 10
total_marks: 1
banks: [bank.yaml]
{references}sections:
  - title: A
    marks: 1
    questions: [N1]
"""


def write_course(
    root: Path,
    factor: int,
    *,
    on: str = "exam",
    ref: str = "course_refs.scaling:scale",
) -> Path:
    """A course folder: ``refs/course_refs`` (a package whose ``scale`` multiplies by
    ``factor`` through a relative import) and an exam using it; returns the exam file."""
    package = root / "refs" / "course_refs"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "factors.py").write_text(f"FACTOR = {factor}\n")
    (package / "scaling.py").write_text(
        "from .factors import FACTOR\n\n\ndef scale(x):\n    return FACTOR * x\n"
    )
    questions = root / "questions"
    questions.mkdir()
    declared = "references: [../refs/]\n"
    (questions / "bank.yaml").write_text(
        BANK.format(references=declared if on == "bank" else "", ref=ref)
    )
    (questions / "exam.yaml").write_text(EXAM.format(references=declared if on == "exam" else ""))
    return questions / "exam.yaml"


@pytest.mark.parametrize("on", ["exam", "bank"])
def test_a_key_is_computed_by_the_course_s_own_reference(tmp_path: Path, on: str) -> None:
    exam = load_exam(write_course(tmp_path, 10, on=on))
    assert resolve_in(exam, "N1").key == 30
    assert validate_paths([tmp_path / "questions"])[1] == []


def test_two_courses_with_a_module_of_the_same_name_each_get_their_own(tmp_path: Path) -> None:
    first = load_exam(write_course(tmp_path / "one", 10))
    second = load_exam(write_course(tmp_path / "two", 100))
    assert resolve_in(first, "N1").key == 30
    assert resolve_in(second, "N1").key == 300
    assert resolve_in(first, "N1").key == 30


def test_a_course_folder_is_never_left_on_sys_path(tmp_path: Path) -> None:
    load_exam(write_course(tmp_path, 10))
    assert not any(str(tmp_path) in p for p in sys.path)
    assert "course_refs" not in sys.modules


def test_installed_references_still_resolve_next_to_a_course_s_own(tmp_path: Path) -> None:
    exam = load_exam(write_course(tmp_path, 10))
    folders = exam.question_bank["N1"].reference_folders
    assert folders == ((tmp_path / "refs").resolve(),)
    assert resolve_ref("policy_gradient:discounted_returns", folders) is discounted_returns


def test_a_wrong_reference_name_is_reported_with_file_line_and_field(tmp_path: Path) -> None:
    exam_file = write_course(tmp_path, 10, ref="course_refs.scaling:scal")
    bank = exam_file.parent / "bank.yaml"
    _, problems = validate_paths([exam_file.parent])
    assert problems, "a missing function must be a problem"
    line = next(
        i for i, text in enumerate(bank.read_text().splitlines(), 1) if "course_refs" in text
    )
    [p] = [p for p in problems if p.file == str(bank)]
    assert p.line == line and p.path.endswith("answer.ref")
    assert "has no function 'scal'" in p.message


def test_a_missing_course_module_says_where_it_looked(tmp_path: Path) -> None:
    exam_file = write_course(tmp_path, 10, ref="course_refs.nowhere:scale", on="bank")
    with pytest.raises(AuthoringError) as info:
        load_bank(exam_file.parent / "bank.yaml")
    message = str(info.value)
    assert "course_refs.nowhere" in message and str(tmp_path / "refs") in message


def test_a_missing_reference_folder_is_reported(tmp_path: Path) -> None:
    exam_file = write_course(tmp_path, 10)
    exam_file.write_text(exam_file.read_text().replace("../refs/", "../ref/"))
    _, problems = validate_paths([exam_file])
    assert any("reference folder '../ref/' not found" in str(p) for p in problems)


def test_editing_a_course_reference_changes_the_question_hash(tmp_path: Path) -> None:
    exam_file = write_course(tmp_path, 10)
    before = load_exam(exam_file).hash_of("N1")
    scaling = tmp_path / "refs" / "course_refs" / "scaling.py"
    scaling.write_text(scaling.read_text() + "\n# edited\n")
    assert load_exam(exam_file).hash_of("N1") != before
