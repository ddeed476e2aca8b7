"""Otter-Grader's side of the benchmark assignment, generated from our bank.

Otter's tests are made from exactly the cases our grader runs: ``grader.cases.build_cases``
draws the visible and hidden inputs from the bank's seeds (variant 0, the printed paper),
the reference in ``reference_impls/exam_tasks/softmax_attention.py`` computes the expected
outputs, and each case becomes one doctest in an OK-format test file (``tests/SM.py``,
``tests/SDPA.py``; visible cases ``hidden: False``, hidden ones ``hidden: True``). Inputs
and expected values are written out in full as float64 literals (``repr`` round-trips
exactly), and a case passes under the same rule as ours: the result is exactly a
``torch.Tensor`` of the expected dtype and shape and ``torch.allclose`` with our float64
tolerance (rtol 1e-6, atol 1e-8; NaN never equal). Each test file is worth the question's
marks, split evenly over its cases (partial credit), as our grader scores it.

``build_autograder`` writes those tests, ``requirements.txt`` and ``otter_config.json`` into
a folder and runs ``otter generate`` there, giving the ``autograder.zip`` that
``otter run -a autograder.zip SUBMISSION.ipynb`` grades with.
"""

from __future__ import annotations

import json
import pprint
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = Path(__file__).resolve().parent
EXAM_FILE = ASSIGNMENT / "exam.yaml"

__all__ = [
    "ASSIGNMENT",
    "EXAM_FILE",
    "STUBS",
    "QuestionCases",
    "question_cases",
    "ok_test_source",
    "build_autograder",
]


def _stubs() -> dict[str, str]:
    import yaml

    bank = yaml.safe_load((ASSIGNMENT / "bank.yaml").read_text())
    return {q["id"]: q["stub"] for q in bank["questions"]}


STUBS: dict[str, str] = _stubs()
"""Question id -> the stub students start from (the notebook cell when nothing was handed in)."""

RTOL, ATOL = 1e-6, 1e-8
"""Our grader's default float64 tolerance (grader/sandbox/_compare.py DEFAULT_TOLERANCES)."""


class QuestionCases:
    """One code question's cases as both graders see them."""

    def __init__(
        self,
        qid: str,
        function: str,
        marks: float,
        params: Sequence[str],
        cases: list[tuple[str, bool, tuple[Any, ...], Any]],
    ) -> None:
        self.qid = qid
        self.function = function
        self.marks = marks
        self.params = list(params)
        self.cases = cases  # (name, visible, args, expected)


def question_cases(exam: Any | None = None) -> list[QuestionCases]:
    """Every code question of the exam with its built cases and expected outputs (variant 0)."""
    import inspect

    from grader.cases import build_cases, expected_outputs
    from grader.loading import load_exam, resolve_ref
    from grader.variants import PAPER_VARIANT

    exam = exam or load_exam(EXAM_FILE)
    out = []
    for qid in exam.ordered_ids():
        q = exam.questions[qid]
        built = build_cases(q, exam.question_bank[qid], {}, PAPER_VARIANT, include_hidden=True)
        expected = expected_outputs(q, built)
        params = list(inspect.signature(resolve_ref(q.reference)).parameters)
        cases = [
            (c.name, c.visible, tuple(c.reference_args), e)
            for c, e in zip(built, expected, strict=True)
        ]
        out.append(QuestionCases(qid, q.function, q.marks, params, cases))
    return out


def _literal(t: Any) -> str:
    if not isinstance(t, torch.Tensor) or t.dtype != torch.float64:
        raise TypeError(
            f"only float64 tensors are written into Otter tests, got {type(t).__name__}"
        )
    return f"torch.tensor({t.tolist()!r}, dtype=torch.float64)"


def _doctest(qc: QuestionCases, args: tuple[Any, ...], expected: Any) -> str:
    lines = [">>> import torch"]
    names = []
    for p, a in zip(qc.params, args, strict=True):
        lines.append(f">>> _otter_{p} = {_literal(a)}")
        names.append(f"_otter_{p}")
    lines.append(f">>> _otter_expected = {_literal(expected)}")
    lines.append(f">>> _otter_out = {qc.function}({', '.join(names)})")
    lines.append(
        ">>> (type(_otter_out) is torch.Tensor and _otter_out.dtype == _otter_expected.dtype"
        " and _otter_out.shape == _otter_expected.shape"
        f" and bool(torch.allclose(_otter_out, _otter_expected, rtol={RTOL!r}, atol={ATOL!r})))"
    )
    lines.append("True")
    return "\n".join(lines) + "\n"


def ok_test_source(qc: QuestionCases) -> str:
    """An OK-format test file: one doctest per case, the question's marks split evenly."""
    cases = [
        {"name": f"{qc.qid} - {name}", "code": _doctest(qc, args, exp), "hidden": not visible}
        for name, visible, args, exp in qc.cases
    ]
    spec = {
        "name": qc.qid,
        "points": qc.marks,
        "all_or_nothing": False,
        "suites": [
            {"cases": cases, "scored": True, "setup": "", "teardown": "", "type": "doctest"}
        ],
    }
    return "OK_FORMAT = True\n\ntest = " + pprint.pformat(spec, width=120, sort_dicts=False) + "\n"


def build_autograder(dest: Path, otter: Path, qcs: list[QuestionCases] | None = None) -> Path:
    """Write Otter's sources under ``dest`` and run ``otter generate``; returns the zip's path."""
    qcs = qcs if qcs is not None else question_cases()
    tests = dest / "tests"
    tests.mkdir(parents=True, exist_ok=True)
    for qc in qcs:
        (tests / f"{qc.qid}.py").write_text(ok_test_source(qc))
    (dest / "requirements.txt").write_text(f"torch=={torch.__version__.split('+')[0]}\nnumpy\n")
    (dest / "otter_config.json").write_text(
        json.dumps({"lang": "python", "show_hidden": True}, indent=1) + "\n"
    )
    zip_path = dest / "autograder.zip"
    proc = subprocess.run(
        [str(Path(otter).resolve()), "generate", "-t", "tests", "-o", str(zip_path)],
        cwd=dest,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if proc.returncode != 0 or not zip_path.is_file():
        raise RuntimeError(
            f"otter generate failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
        )
    return zip_path
