"""Deep checks of a question bank, before an exam goes out (`grader validate --deep/--variants N`).

Beyond the schema: every key is computed (variant 0 and N random variants), option sets
stay sensible, code cases are generated and the reference runs on them with finite
outputs, and every known-wrong *mutant* of a code question's reference must fail at
least one hidden case: a mutant that survives means the hidden cases are too weak.
A failing variant is reported with its number so the author can reproduce it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from grader.cases import build_cases, expected_outputs
from grader.keys import resolve
from grader.loading import LoadedBank, _yaml_files, load_bank, resolve_ref
from grader.sandbox import Tolerance, compare
from grader.schema import CodeQuestion, McqQuestion, MultipartQuestion, NumericQuestion, Question

__all__ = ["DeepReport", "deep_validate", "check_question", "mutant_survivors"]


@dataclass
class DeepReport:
    """Lines to print and problems found."""

    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _finite(value: Any) -> bool:
    if isinstance(value, torch.Tensor):
        return bool(torch.isfinite(value.double() if value.is_floating_point() else value.float()).all())
    if isinstance(value, np.ndarray):
        return bool(np.isfinite(value.astype(float)).all())
    if isinstance(value, (list, tuple)):
        return all(_finite(v) for v in value)
    if isinstance(value, float):
        return math.isfinite(value)
    return True


def mutant_survivors(question: CodeQuestion, bank: LoadedBank, variant: int = 0) -> list[str]:
    """Mutants (``module:function``) that pass every hidden case: the cases cannot tell them apart."""
    rq = resolve(question, variant)
    cases = [c for c in build_cases(question, bank, rq.params, variant) if not c.visible]
    if not cases:
        return list(question.mutants)
    expected = expected_outputs(question, cases)
    tolerances = {k: Tolerance(v.rtol, v.atol) for k, v in question.compare.tolerances.items()}
    rule: Any = resolve_ref(question.compare.custom) if question.compare.custom else question.compare.rule
    survivors = []
    for ref in question.mutants:
        fn = resolve_ref(ref)
        killed = False
        for case, exp in zip(cases, expected, strict=True):
            try:
                got = fn(*case.reference_args)
            except Exception:  # noqa: BLE001 - a mutant that crashes is killed
                killed = True
                break
            if not compare(exp, got, rule, tolerances, None).passed:
                killed = True
                break
        if not killed and question.complexity is not None:
            killed = _grows_too_fast(question, bank, fn, rq.params)
        if not killed:
            survivors.append(ref)
    return survivors


def _grows_too_fast(question: CodeQuestion, bank: LoadedBank, fn: Any, params: Any) -> bool:
    """Whether ``fn`` fails the question's cost check (FLOP growth above the reference's)."""
    from grader.cases import build_args, device_for
    from grader.grading import _flops_of, _growth_exponent

    spec = question.complexity
    assert spec is not None
    ref = resolve_ref(question.reference)
    ref_flops, got_flops = [], []
    for i, size in enumerate(spec.sizes):
        dims = {**spec.dims, spec.dim: size}
        args, _ = build_args(question, bank, spec.args, dims, 1000 + i, params, device_for(question))
        ref_flops.append(_flops_of(ref, args))
        args, _ = build_args(question, bank, spec.args, dims, 1000 + i, params, device_for(question))
        got_flops.append(_flops_of(fn, args))
    return _growth_exponent(spec.sizes, got_flops) > _growth_exponent(spec.sizes, ref_flops) + spec.slack


def _check_one(q: Question, bank: LoadedBank, variant: int, where: str, with_mutants: bool) -> list[str]:
    problems: list[str] = []
    rq = resolve(q, variant)
    if isinstance(q, MultipartQuestion):
        for part in q.parts:
            problems += _check_one(part, bank, variant, f"{where}/{part.id}", with_mutants)
        return problems
    if isinstance(q, McqQuestion):
        texts = [o.text for o in rq.options]
        if len(set(texts)) != len(texts):
            problems.append(f"{where} variant {variant}: two options read the same")
        if not any(o.correct for o in rq.options):
            problems.append(f"{where} variant {variant}: no option is correct")
    if isinstance(q, NumericQuestion) and not _finite(rq.key):
        problems.append(f"{where} variant {variant}: the key is not finite ({rq.key!r})")
    if isinstance(q, CodeQuestion):
        cases = build_cases(q, bank, rq.params, variant)
        outputs = expected_outputs(q, cases)
        for case, out in zip(cases, outputs, strict=True):
            if not _finite(out):
                problems.append(f"{where} variant {variant}: the reference gives non-finite output on {case.name}")
        if with_mutants:
            for m in mutant_survivors(q, bank, variant):
                problems.append(f"{where}: mutant {m!r} passes every hidden case; add hidden cases that catch it")
    return problems


def check_question(q: Question, bank: LoadedBank, variants: int = 0) -> list[str]:
    """Problems of one question at variant 0 and ``variants`` random variants (1..N)."""
    problems: list[str] = []
    for variant in range(variants + 1):
        try:
            problems += _check_one(q, bank, variant, f"{bank.path}: {q.id}", with_mutants=variant == 0)
        except Exception as exc:  # noqa: BLE001 - report author bugs with the seed to reproduce
            problems.append(f"{bank.path}: {q.id} variant {variant}: computing the key failed: {type(exc).__name__}: {exc}")
    return problems


def deep_validate(paths: Iterable[str | Path], variants: int = 0) -> DeepReport:
    """Deep checks of every bank under ``paths``."""
    report = DeepReport()
    for path in _yaml_files(paths):
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            continue
        if not text.lstrip().startswith("bank:") and "\nbank:" not in text:
            continue
        bank = load_bank(path)
        n_code = sum(1 for q in bank.bank.questions if isinstance(q, CodeQuestion))
        for q in bank.bank.questions:
            report.problems += check_question(q, bank, variants)
        report.lines.append(f"{path}: {len(bank.bank.questions)} questions ({n_code} code) checked at {variants + 1} variant(s)")
    return report
