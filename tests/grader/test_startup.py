"""Start-up: a grade with nothing to do starts no sandbox, a pool that cannot start stops the
run before any mark, and an unchanged plot is not drawn again (issue 18)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader.classroom import grade_class
from grader.deferred_runner import DeferredRunner
from grader.errors import InfrastructureError
from grader.gradebook import Gradebook
from grader.loading import load_exam
from grader.reports import read_table, write_statistics
from grader.sandbox import InProcessRunner, Runner, SandboxUnavailable

FIX = Path(__file__).parent / "fixtures"
EXAM = FIX / "good" / "exam.yaml"


class _CountingFactory:
    """Makes the shared test runner and counts how often a pool was asked for."""

    def __init__(self, runner: InProcessRunner) -> None:
        self.runner = runner
        self.calls = 0

    def __call__(self) -> Runner:
        self.calls += 1
        return self.runner


class _NotClosing:
    """The session's runner, which the deferred one must not close under other tests."""

    def __init__(self, runner: InProcessRunner) -> None:
        self._runner = runner

    def __getattr__(self, name: str) -> object:
        return getattr(self._runner, name)

    def close(self) -> None:
        pass


@pytest.fixture
def klass(tmp_path: Path) -> Path:
    dest = tmp_path / "class"
    shutil.copytree(FIX / "class", dest)
    return dest


def test_a_grade_with_nothing_to_do_starts_no_sandbox(
    klass: Path, tmp_path: Path, runner: InProcessRunner
) -> None:
    gb = Gradebook(tmp_path / "gb.sqlite")
    first = _CountingFactory(_NotClosing(runner))  # type: ignore[arg-type]
    grade_class(load_exam(EXAM), klass, gb, DeferredRunner(first))
    assert first.calls == 1  # the class has code answers: one pool, started once

    again = _CountingFactory(_NotClosing(runner))  # type: ignore[arg-type]
    deferred = DeferredRunner(again)
    report = grade_class(load_exam(EXAM), klass, gb, deferred)
    deferred.close()
    assert report.graded == [] and sorted(report.skipped) == ["alice", "bob", "carl"]
    assert again.calls == 0 and not deferred.started


def test_a_sandbox_that_cannot_start_stops_the_run_before_any_mark(
    klass: Path, tmp_path: Path
) -> None:
    def no_sandbox() -> Runner:
        raise SandboxUnavailable("bubblewrap failed to start a sandbox: uid map denied")

    gb = Gradebook(tmp_path / "gb.sqlite")
    with pytest.raises(InfrastructureError, match="uid map denied"):
        grade_class(load_exam(EXAM), klass, gb, DeferredRunner(no_sandbox))
    assert gb.rows("SELECT COUNT(*) FROM answers")[0][0] == 0


def test_unchanged_plots_are_not_drawn_again_and_changed_ones_are(
    klass: Path, tmp_path: Path, runner: InProcessRunner
) -> None:
    exam = load_exam(EXAM)
    gb = Gradebook(tmp_path / "gb.sqlite")
    grade_class(exam, klass, gb, runner)
    out = tmp_path / "stats"
    write_statistics(exam, read_table(exam, gb), out)
    hist, items = out / "histogram.png", out / "items.png"
    drawn = {p: p.stat().st_mtime_ns for p in (hist, items)}
    for p in drawn:  # make a rewrite visible even within the clock's resolution
        p.write_bytes(p.read_bytes() + b"kept")

    write_statistics(exam, read_table(exam, gb), out)
    assert hist.read_bytes().endswith(b"kept") and items.read_bytes().endswith(b"kept")

    (klass / "carl").rename(tmp_path / "carl-left")  # a student fewer: both plots change
    shutil.rmtree(klass / "bob")
    gb2 = Gradebook(tmp_path / "gb2.sqlite")
    grade_class(exam, klass, gb2, runner)
    write_statistics(exam, read_table(exam, gb2), out)
    assert not hist.read_bytes().endswith(b"kept")
    assert hist.read_bytes().startswith(b"\x89PNG")
