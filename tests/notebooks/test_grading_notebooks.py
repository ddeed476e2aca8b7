"""Grading a class where some students hand in notebooks: the same marks as their .py
files, nothing but the tagged cells run, and hostile code meets the same sandbox."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import nbformat
import pytest
from notebook_helpers import ROOT, TYPICAL, bwrap_missing, code

from grader.classroom import grade_class, make_runner
from grader.gradebook import Gradebook
from grader.loading import LoadedExam
from grader.notebooks.convert import fill_kit_notebook
from grader.sandbox import Runner

pytestmark = pytest.mark.slow


def results(gb: Gradebook, student: str) -> dict[str, tuple[float, str]]:
    return {
        a.question_id: (a.marks, a.result.status)
        for a in gb.answers("midsem-2025")
        if a.student == student
    }


def add_untagged_cells(path: Path) -> None:
    """A loop that never ends and a pip install, untagged, before every answer."""
    nb = nbformat.read(path, as_version=4)
    nb.cells[1:1] = [code("!pip install numpy==1.0"), code("while True:\n    pass")]
    path.write_text(json.dumps(nb))


@pytest.fixture(scope="module")
def graded(
    midsem: LoadedExam, kit_notebook: Path, runner: Runner, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Gradebook, float]:
    klass = tmp_path_factory.mktemp("class")
    shutil.copytree(TYPICAL, klass / "typical")
    fill_kit_notebook(kit_notebook, TYPICAL, klass / "nb-typical" / "submission.ipynb")
    noisy = fill_kit_notebook(kit_notebook, TYPICAL, klass / "nb-noisy" / "submission.ipynb")
    add_untagged_cells(noisy)
    gb = Gradebook(klass.parent / "gb.sqlite")
    start = time.perf_counter()
    report = grade_class(midsem, klass, gb, runner)
    assert report.failed == {}
    return gb, time.perf_counter() - start


def test_the_kit_notebook_filled_with_typicals_code_grades_the_same_as_its_folder(
    graded: tuple[Gradebook, float],
) -> None:
    gb, _ = graded
    assert results(gb, "nb-typical") == results(gb, "typical")
    assert sum(m for m, _ in results(gb, "typical").values()) > 0


def test_an_untagged_infinite_loop_and_pip_install_cost_nothing(
    graded: tuple[Gradebook, float],
) -> None:
    gb, seconds = graded
    assert results(gb, "nb-noisy") == results(gb, "typical")
    assert seconds < 120


@pytest.mark.sandbox
@pytest.mark.skipif(bwrap_missing(), reason="needs bubblewrap (make setup installs it)")
def test_hostile_code_in_a_tagged_cell_is_treated_as_the_same_py_file(
    midsem: LoadedExam, kit_notebook: Path, tmp_path: Path
) -> None:
    attack = (ROOT / "tests" / "sandbox" / "attacks" / "import_reference.py").read_text()
    attack += "\n\ndef rnn_grad_A(*args, **kwargs):\n    return solve(1)\n"
    klass = tmp_path / "class"
    pyfile = klass / "pyfile"
    pyfile.mkdir(parents=True)
    (pyfile / "answers.yaml").write_text("answers:\n  B1a: b1a.py\n")
    (pyfile / "b1a.py").write_text(attack)
    nb = nbformat.read(kit_notebook, as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("tags") == ["B1a"]:
            cell.source = attack
    (klass / "notebook").mkdir()
    (klass / "notebook" / "submission.ipynb").write_text(json.dumps(nb))
    gb = Gradebook(tmp_path / "gb.sqlite")
    runner = make_runner(1)
    try:
        grade_class(midsem, klass, gb, runner)
    finally:
        runner.close()
    by_student = {a.student: a.result for a in gb.answers("midsem-2025") if a.question_id == "B1a"}
    as_py, as_cell = by_student["pyfile"], by_student["notebook"]
    assert as_cell.marks == as_py.marks == 0.0
    assert as_cell.status == as_py.status
    assert "reference_impls" in as_cell.feedback and "reference_impls" in as_py.feedback
