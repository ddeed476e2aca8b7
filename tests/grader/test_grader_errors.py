"""An `error` result (the grader failed on an answer) always reaches the TA: in the summary of
`grader grade`, in the review file, and in the exit status, with every report still written."""

from __future__ import annotations

import contextlib
import io
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from grader import checks
from grader.cli import ExitCode, main

FIX = Path(__file__).parent / "fixtures"


def make_course(root: Path) -> Path:
    """The fixture exam with two rubric points whose keyword phrase has no word (T1 and the
    text part P1/why), a configuration error; alice answers both, so she gets two `error`
    results."""
    shutil.copytree(FIX / "good", root / "q")
    shutil.copytree(FIX / "class", root / "class")
    bank = root / "q" / "bank.yaml"
    text = bank.read_text()
    for old in ("[[large], [unbounded]]", "[[saturat]]"):
        assert old in text
        text = text.replace(old, '[["--"]]')
    bank.write_text(text)
    return root


@pytest.fixture
def course(tmp_path: Path) -> Path:
    return make_course(tmp_path)


@dataclass(frozen=True)
class Graded:
    course: Path
    status: int
    printed: str


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Graded:
    """One `grader grade` run of the course, with what it printed (stdout and stderr)."""
    course = make_course(tmp_path_factory.mktemp("graded"))
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
        status = grade(course)
    return Graded(course, status, printed.getvalue())


def grade(course: Path, *extra: str) -> int:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # --no-sandbox says what it gives up
        return main(
            [
                "grade",
                str(course / "q" / "exam.yaml"),
                str(course / "class"),
                "--out",
                str(course / "out"),
                "--no-sandbox",
                "--workers",
                "1",
                *extra,
            ]
        )


def review(course: Path, *extra: str) -> int:
    return main(["review", str(course / "q" / "exam.yaml"), "--out", str(course / "out"), *extra])


def test_grade_exits_with_grader_errors(graded: Graded) -> None:
    assert graded.status == ExitCode.GRADER_ERRORS == 3


def test_grade_summary_shows_errors_per_question_with_the_ta_note(graded: Graded) -> None:
    table = graded.printed[graded.printed.index("grader errors by question") :]
    assert "P1/why" in table and "T1" in table and "ConfigError: rubric point" in table
    assert "2 answer(s) got a grader error in 2 question(s)" in " ".join(table.split())


def test_grade_summary_counts_errors_per_student(graded: Graded) -> None:
    header = next(
        line
        for line in graded.printed.splitlines()
        if "grader errors" in line and "student" in line
    )
    alice = next(
        line for line in graded.printed.splitlines() if "alice" in line and "/ 11.5" in line
    )
    column = header.index("grader errors")
    assert alice[column : column + len("grader errors")].strip() == "2"


def test_grade_writes_every_report_despite_errors(graded: Graded) -> None:
    out = graded.course / "out"
    for written in ("gradebook.csv", "results.json", "feedback/alice.md", "feedback/bob.md"):
        assert (out / written).is_file(), written
    assert '"error"' in (out / "results.json").read_text()


def test_every_error_is_in_the_review_file_with_its_author_note(graded: Graded) -> None:
    assert review(graded.course, "--file", str(graded.course / "review-check.yaml")) == ExitCode.OK
    doc = yaml.safe_load((graded.course / "review-check.yaml").read_text())
    errors = {(e["student"], e["question"]): e for e in doc["errors"]}
    assert set(errors) == {("alice", "T1"), ("alice", "P1/why")}
    assert errors["alice", "T1"]["author_note"].startswith(
        "ConfigError: rubric point 2 ('raw'): keyword alternative 1 (['--']) has an empty phrase"
    )
    assert errors["alice", "P1/why"]["answer"] == "softmax saturates"
    assert errors["alice", "T1"]["marks"] is None


@pytest.mark.slow
def test_errors_stay_reported_on_later_runs_until_a_ta_decides_them(course: Path) -> None:
    assert grade(course, "--quiet") == ExitCode.GRADER_ERRORS
    assert grade(course, "--quiet") == ExitCode.GRADER_ERRORS  # nothing regraded: still there
    review(course)
    path = course / "out" / "review.yaml"
    doc = yaml.safe_load(path.read_text())
    for e in doc["errors"]:
        e["marks"] = 0.5
    path.write_text(yaml.safe_dump(doc))
    assert review(course, "--apply") == ExitCode.OK
    assert grade(course, "--quiet") == ExitCode.OK


@pytest.mark.slow
def test_fixing_the_question_and_grading_again_clears_the_errors(course: Path) -> None:
    assert grade(course, "--quiet") == ExitCode.GRADER_ERRORS
    shutil.copy(FIX / "good" / "bank.yaml", course / "q" / "bank.yaml")
    assert grade(course, "--quiet") == ExitCode.OK


@pytest.mark.slow
def test_an_error_result_is_graded_again_on_the_next_run(
    course: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(FIX / "good" / "bank.yaml", course / "q" / "bank.yaml")
    real = checks.CHECKERS["numeric"]

    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("a passing fault in the grader")

    monkeypatch.setitem(checks._REGISTRY, "numeric", broken)  # what grading looks up
    assert grade(course, "--quiet") == ExitCode.GRADER_ERRORS
    monkeypatch.setitem(checks._REGISTRY, "numeric", real)
    assert grade(course, "--quiet") == ExitCode.OK
