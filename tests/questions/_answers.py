"""Test-only, in-process scoring of the example answer files (never the `cheating` ones).

Non-code answers go through the public checkers of ``grader.checks`` with the keys that
``grader.keys.resolve`` computes for the printed paper (variant 0). Code answers are
imported from the submission folder and compared with the reference on the visible cases
and on hidden-like random cases (and, where the question has one, the FLOP-growth check).
A question (or part) scores its marks only when fully right: every question in these
banks uses the default all-or-nothing policy. Text parts are not scored here; they are
queued for TA review and listed separately.
"""

from __future__ import annotations

import importlib.util
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from grader import checks
from grader.keys import ResolvedQuestion, resolve
from grader.loading import LoadedExam, resolve_ref
from grader.schema import (
    CodeQuestion,
    ExpressionQuestion,
    McqQuestion,
    MultipartQuestion,
    NumericQuestion,
    OrderingQuestion,
    TextQuestion,
)
from tests.questions import _cases

__all__ = ["AutoScore", "score_submission", "outputs_match", "growth_exponent"]


@dataclass
class AutoScore:
    """Auto-graded marks earned, out of the auto-graded total, and the text marks pending review."""

    earned: float
    auto_total: float
    text_pending: float
    lost: list[str]


def outputs_match(got: Any, want: Any, rule: str) -> bool:
    """allclose (float64, rtol 1e-5) for numbers and tensors; exact equality for tokens."""
    if not isinstance(got, torch.Tensor) or not isinstance(want, torch.Tensor):
        return False
    if rule == "tokens":
        return got.dtype == want.dtype and got.shape == want.shape and bool(torch.equal(got, want))
    if got.shape != want.shape:
        return False
    return bool(torch.allclose(got.double(), want.double(), rtol=1e-5, atol=1e-6))


def growth_exponent(fn: Any, q: CodeQuestion, support: dict[str, Any]) -> float:
    """Log-log slope of the FLOPs of ``fn`` over the question's complexity sizes."""
    flops = []
    cases = _cases.complexity_cases(q, support)
    for _, args in cases:
        with FlopCounterMode(display=False) as counter:
            fn(*args)
        flops.append(counter.get_total_flops())
    return float(np.polyfit(np.log([n for n, _ in cases]), np.log(flops), 1)[0])


_REF_SLOPES: dict[str, float] = {}
"""Reference growth exponents, computed once per test session."""


def _load_student(path: Path, function: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"_student_{path.parent.name}_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception:  # noqa: BLE001 - a student's file that does not import scores 0
        return None
    return getattr(module, function, None)


def _code_right(
    q: CodeQuestion, folder: Path, bank_folder: Path, answer: Any, hidden_count: int
) -> bool:
    if not isinstance(answer, str) or not (folder / answer).is_file():
        return False
    fn = _load_student(folder / answer, q.function)
    if fn is None:
        return False
    support = _cases.load_support(bank_folder, q)
    ref = resolve_ref(q.reference)
    cases = _cases.visible_cases(q, support) + _cases.hidden_like_cases(q, support, hidden_count)
    for _, args in cases:
        want = ref(*args)
        try:
            got = fn(*args)
        except Exception:  # noqa: BLE001
            return False
        if not outputs_match(got, want, q.compare.rule):
            return False
    if q.complexity is not None:
        if q.reference not in _REF_SLOPES:
            _REF_SLOPES[q.reference] = growth_exponent(ref, q, support)
        slope, ref_slope = growth_exponent(fn, q, support), _REF_SLOPES[q.reference]
        if slope > ref_slope + q.complexity.slack:
            return False
    return True


def _simple_right(q: Any, rq: ResolvedQuestion, answer: Any) -> bool:
    if isinstance(q, McqQuestion):
        r = checks.check_mcq(answer, options=[o.label for o in rq.options], correct=rq.key)
    elif isinstance(q, NumericQuestion):
        r = checks.check_numeric(
            answer, expected=rq.key, atol=q.tolerance.abs, rtol=q.tolerance.rel
        )
    elif isinstance(q, ExpressionQuestion):
        variables = {n: v.model_dump(exclude={"description"}) for n, v in q.variables.items()}
        return any(
            checks.check_expression(
                answer,
                expected=key,
                variables=variables,
                mode=q.equivalence,
                functions=q.functions,
                allow_sum=q.allow_sum,
            ).status
            == "correct"
            for key in [q.answer, *q.accepted_forms]
        )
    elif isinstance(q, OrderingQuestion):
        r = checks.check_ordering(answer, expected=q.answer, partial=q.partial)
    else:
        raise TypeError(type(q).__name__)
    return r.status == "correct" and math.isclose(r.fraction, 1.0)


def score_submission(
    exam: LoadedExam, folder: Path, answers: dict[str, Any], hidden_count: int = 6
) -> AutoScore:
    """Auto-graded marks of one answer file, in-process (trusted example code only)."""
    earned = auto_total = text_pending = 0.0
    lost: list[str] = []
    for qid in exam.ordered_ids():
        q = exam.questions[qid]
        rq = resolve(q)
        bank_folder = exam.question_bank[qid].folder
        if isinstance(q, MultipartQuestion):
            given = answers.get(qid) if isinstance(answers.get(qid), dict) else {}
            items = [(f"{qid}/{p.id}", p, rq.parts[p.id], given.get(p.id)) for p in q.parts]
        else:
            items = [(qid, q, rq, answers.get(qid))]
        for name, sub, rsub, answer in items:
            if isinstance(sub, TextQuestion):
                text_pending += sub.marks
                continue
            auto_total += sub.marks
            if answer is None:
                ok = False
            elif isinstance(sub, CodeQuestion):
                ok = _code_right(sub, folder, bank_folder, answer, hidden_count)
            else:
                ok = _simple_right(sub, rsub, answer)
            if ok:
                earned += sub.marks
            else:
                lost.append(name)
    return AutoScore(round(earned, 6), round(auto_total, 6), round(text_pending, 6), lost)
