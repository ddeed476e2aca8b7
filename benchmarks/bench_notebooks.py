"""Benchmark: a class handed in as notebooks against the same class as .py files.

Not a test. Converts the example class of the mid-semester exam (paper, typical, weak,
empty, broken, cheating) into kit notebooks (``fill_kit_notebook``), copies each student
``--copies`` times, and grades both classes with the same warm sandboxed runner,
alternating py and notebook runs ``--repeats`` times (the best run of each counts). The
target (issue 17): the notebook class within 1.2x of the .py class.

Usage: python benchmarks/bench_notebooks.py [--copies 20] [--repeats 2] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.classroom import grade_class, make_runner  # noqa: E402
from grader.gradebook import Gradebook  # noqa: E402
from grader.loading import LoadedExam, load_exam  # noqa: E402
from grader.notebooks.convert import fill_kit_notebook  # noqa: E402
from grader.notebooks.kit_notebook import build_kit_notebook  # noqa: E402
from grader.sandbox import Runner  # noqa: E402

EXAMPLES = ROOT / "submissions" / "midsem-2025"
STUDENTS = ["paper", "typical", "weak", "empty", "broken", "cheating"]


def make_classes(exam: LoadedExam, dest: Path, copies: int) -> tuple[Path, Path]:
    """(the .py class, the same class as notebooks): ``copies`` of every example student."""
    kit = build_kit_notebook(exam, dest / "kit")
    py_class, nb_class = dest / "py", dest / "nb"
    for i in range(copies):
        for name in STUDENTS:
            student = f"{name}-{i:03d}"
            shutil.copytree(EXAMPLES / name, py_class / student)
            fill_kit_notebook(kit, EXAMPLES / name, nb_class / student / "submission.ipynb")
    return py_class, nb_class


def grade_seconds(exam: LoadedExam, klass: Path, runner: Runner, workers: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        gb = Gradebook(Path(tmp) / "gb.sqlite")
        t0 = time.perf_counter()
        report = grade_class(exam, klass, gb, runner, workers=workers)
        seconds = time.perf_counter() - t0
        gb.close()
    assert report.failed == {}, report.failed
    return seconds


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--copies", type=int, default=20, help="copies of each example student")
    ap.add_argument("--repeats", type=int, default=2, help="alternating runs of each class")
    ap.add_argument("--json", help="write the figures to this file")
    args = ap.parse_args()
    workers = min(2, os.cpu_count() or 1)
    exam = load_exam("midsem-2025", ROOT / "questions")
    runner = make_runner(workers)
    getattr(runner, "wait_for_all_workers", lambda: None)()  # the class on a full pool
    try:
        with tempfile.TemporaryDirectory() as tmp:
            py_class, nb_class = make_classes(exam, Path(tmp), args.copies)
            n = len(STUDENTS) * args.copies
            grade_seconds(exam, py_class, runner, workers)  # warm-up: reference outputs cached
            py_runs, nb_runs = [], []
            for _ in range(args.repeats):
                py_runs.append(grade_seconds(exam, py_class, runner, workers))
                nb_runs.append(grade_seconds(exam, nb_class, runner, workers))
    finally:
        runner.close()
    py, nb = min(py_runs), min(nb_runs)
    ratio = nb / py
    print(
        f"notebook class vs .py class (midsem-2025, {n} submissions, sandboxed, {workers} workers)"
    )
    print(f"{'.py files s':>12} {'notebooks s':>12} {'ratio':>7} {'target':>7}")
    print(
        f"{py:>12.1f} {nb:>12.1f} {ratio:>7.2f} {'<= 1.20':>7} {'ok' if ratio <= 1.2 else 'SLOW'}"
    )
    if args.json:
        figures = {"submissions": n, "py_seconds": py_runs, "notebook_seconds": nb_runs}
        Path(args.json).write_text(json.dumps(figures | {"ratio": round(ratio, 3)}, indent=2))


if __name__ == "__main__":
    main()
