"""Start-up: a grade with nothing to do starts no sandbox, a pool that cannot start stops the
run before any mark, and an unchanged plot is not drawn again (issue 18)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.classroom import grade_class
from grader.deferred_runner import DeferredRunner
from grader.errors import InfrastructureError
from grader.gradebook import Gradebook
from grader.loading import load_exam
from grader.references import check_ref, defines
from grader.reports import read_table, write_statistics
from grader.sandbox import InProcessRunner, Runner, SandboxUnavailable

ROOT = Path(__file__).resolve().parents[2]
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


def test_loading_the_seed_exams_imports_neither_torch_nor_sympy() -> None:
    # references are checked from their source: a no-op grade and `validate` stay fast
    probe = (
        "import sys\n"
        "from pathlib import Path\nfrom grader.loading import load_exam\n"
        "for exam in ('midsem-2025', 'quiz-2025'):\n"
        "    load_exam(exam, Path('questions'))\n"
        "print(sorted(m for m in ('torch', 'sympy') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert out.stdout.strip() == "[]", out.stderr


@pytest.mark.parametrize(
    ("source", "said"),
    [
        ("def other():\n    return 1\n", "has no function 'target'"),
        ("def target(:\n", "SyntaxError"),
    ],
)
def test_a_reference_the_source_lacks_is_a_located_problem(
    tmp_path: Path, source: str, said: str
) -> None:
    refs = tmp_path / "refs"
    refs.mkdir()
    (refs / "mine.py").write_text(source)
    with pytest.raises(LookupError, match=said):
        check_ref("mine:target", [refs])


def test_a_reference_defined_out_of_sight_of_the_source_is_imported_to_check() -> None:
    # a star import or module __getattr__ cannot be read from the tree: the import decides
    refs_dir = Path(__file__).parent / "fixtures"
    assert defines(refs_dir.parent / "test_startup.py", "missing_name") is False
    check_ref("exam_tasks.q3:instruction_tuning_loss")  # the installed package, statically
    with pytest.raises(LookupError, match="no function"):
        check_ref("exam_tasks.q3:no_such_function")
