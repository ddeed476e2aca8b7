"""Deep checks of a question bank: `grader validate --deep/--variants N`.

Every key is computed (variant 0 and N random variants), option sets stay sensible, code
cases are generated and the reference runs on them with finite outputs, and every
known-wrong *mutant* of a code question's reference must fail at least one hidden case: a
mutant that survives means the hidden cases are too weak. A failing variant is reported
with its number so the author can reproduce it. The variants other than the printed
paper's also go through the checkers' configuration checks (``grader.validation``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from grader.cases import build_args, build_cases, expected_outputs, extreme_dims, hidden_case_seed
from grader.code_jobs import CaseRule
from grader.cost_check import FLOP_SEED, flop_exponents, flops_of, sized_args
from grader.errors import Problem
from grader.keys import resolve
from grader.loading import LoadedBank, _yaml_files, exam_references_of_banks, load_bank, resolve_ref
from grader.schema import CodeQuestion, McqQuestion, MultipartQuestion, NumericQuestion, Question
from grader.validation import QuestionPath, code_parts, is_bank_text, question_checker_problems
from grader.variants import PAPER_VARIANT

__all__ = [
    "DeepReport",
    "check_question",
    "deep_validate",
    "extreme_case_problems",
    "mutant_survivors",
]


@dataclass
class DeepReport:
    """Lines to print and problems found."""

    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _finite(value: Any) -> bool:
    if isinstance(value, torch.Tensor):
        return bool(
            torch.isfinite(value.double() if value.is_floating_point() else value.float()).all()
        )
    if isinstance(value, np.ndarray):
        return bool(np.isfinite(value.astype(float)).all())
    if isinstance(value, (list, tuple)):
        return all(_finite(v) for v in value)
    if isinstance(value, float):
        return math.isfinite(value)
    return True


def mutant_survivors(question: CodeQuestion, bank: LoadedBank, variant: int = 0) -> list[str]:
    """Mutants (``module:function``) that pass every hidden case, and the cost check when the
    question has one: the cases cannot tell them apart from the reference."""
    folders = bank.reference_folders
    rq = resolve(question, variant, folders=folders)
    cases = [c for c in build_cases(question, bank, rq.params, variant) if not c.visible]
    if not cases:
        return [m.fn for m in question.mutants]
    expected = expected_outputs(question, cases, folders=folders)
    rule = CaseRule.of(question, folders)
    survivors = []
    for ref in (m.fn for m in question.mutants):
        fn = resolve_ref(ref, folders)
        killed = False
        for case, exp in zip(cases, expected, strict=True):
            try:
                got = fn(*case.reference_args)
            except Exception:  # noqa: BLE001 - a mutant that crashes is killed
                killed = True
                break
            if not rule.matches(exp, got).passed:
                killed = True
                break
        if not killed and question.complexity is not None:
            killed = _grows_too_fast(question, bank, fn, rq.params)
        if not killed:
            survivors.append(ref)
    return survivors


def _grows_too_fast(
    question: CodeQuestion, bank: LoadedBank, fn: Callable[..., Any], params: Mapping[str, Any]
) -> bool:
    """Whether ``fn`` fails the FLOP half of the question's cost check, counted on the
    arguments grading uses (its FLOP growth above the reference's by more than ``slack``)."""
    spec = question.complexity
    assert spec is not None
    ref = resolve_ref(question.reference, bank.reference_folders)

    def counts(f: Callable[..., Any]) -> list[int]:
        args, _ = sized_args(question, bank, params, spec.sizes, FLOP_SEED)  # fresh per call
        return [flops_of(f, a) for a in args]

    ref_exp, got_exp = flop_exponents(spec, counts(ref), counts(fn))
    return got_exp > ref_exp + spec.slack


def extreme_case_problems(
    q: CodeQuestion, bank: LoadedBank, params: Mapping[str, Any], variant: int, at: QuestionPath
) -> list[Problem]:
    """The random hidden cases of ``q`` built at the smallest and at the largest end of every
    dimension range: an end that cannot be built (a size torch refuses, a ``randint`` with
    nothing to draw from, an array too large to hold) is a problem located at the ranges."""
    if q.hidden is None or not q.hidden.dims:
        return []
    seed = hidden_case_seed(q.hidden.seed, 0, variant)
    problems: list[Problem] = []
    for label, dims in extreme_dims(q.hidden).items():
        try:
            build_args(q, bank, q.hidden.args, dims, seed, params, "cpu")
        except Exception as exc:  # noqa: BLE001 - author specs; grading would fail the same way
            shown = ", ".join(f"{k}={v}" for k, v in dims.items())
            problems.append(
                bank.located.problem(
                    (*at, "hidden", "dims"),
                    f"question {q.id!r} variant {variant}: the hidden cases cannot be built "
                    f"at the {label} dimensions ({shown}): {type(exc).__name__}: {exc}",
                )
            )
    return problems


def _check_one(
    q: Question,
    bank: LoadedBank,
    variant: int,
    where: str,
    with_mutants: bool,
    at: QuestionPath = (),
) -> list[str]:
    problems: list[str] = []
    rq = resolve(q, variant, folders=bank.reference_folders)
    if isinstance(q, MultipartQuestion):
        for i, part in enumerate(q.parts):
            problems += _check_one(
                part, bank, variant, f"{where}/{part.id}", with_mutants, (*at, "parts", i)
            )
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
        outputs = expected_outputs(q, cases, folders=bank.reference_folders)
        for case, out in zip(cases, outputs, strict=True):
            if not _finite(out):
                problems.append(
                    f"{where} variant {variant}: the reference gives non-finite output on "
                    f"{case.name}"
                )
        # The random draws rarely reach the ends of a range: build those too.
        problems += [str(p) for p in extreme_case_problems(q, bank, rq.params, variant, at)]
        if with_mutants:
            for m in mutant_survivors(q, bank, variant):
                problems.append(
                    f"{where}: mutant {m!r} passes every hidden case; add hidden cases that "
                    "catch it"
                )
    return problems


def check_question(q: Question, bank: LoadedBank, variants: int = 0) -> list[str]:
    """Problems of one question at variant 0 and ``variants`` random variants (1..N)."""
    problems: list[str] = []
    at: QuestionPath = (
        "questions",
        next((i for i, x in enumerate(bank.bank.questions) if x is q), 0),
    )
    for variant in range(variants + 1):
        try:
            problems += _check_one(
                q, bank, variant, f"{bank.path}: {q.id}", with_mutants=variant == 0, at=at
            )
            if variant != PAPER_VARIANT:  # the printed paper's: `grader validate` without --deep
                problems += [
                    f"{p} (variant {variant})"
                    for p in question_checker_problems(
                        q, resolve(q, variant, folders=bank.reference_folders), bank, at
                    )
                ]
        except Exception as exc:  # noqa: BLE001 - report author bugs with the seed to reproduce
            problems.append(
                f"{bank.path}: {q.id} variant {variant}: computing the key failed: "
                f"{type(exc).__name__}: {exc}"
            )
    return problems


def deep_validate(paths: Iterable[str | Path], variants: int = 0) -> DeepReport:
    """Deep checks of every bank under ``paths``."""
    report = DeepReport()
    files = _yaml_files(paths)
    exam_references = exam_references_of_banks(f for f in files if f.is_file())
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            continue
        if not is_bank_text(text):
            continue
        bank = load_bank(path, exam_references.get(path.resolve(), ()))
        # Every code question and every code part of a multipart question: each is checked.
        n_code = sum(1 for q in bank.bank.questions for _ in code_parts(q, ()))
        for q in bank.bank.questions:
            report.problems += check_question(q, bank, variants)
        report.lines.append(
            f"{path}: {len(bank.bank.questions)} questions ({n_code} code parts) checked at "
            f"{variants + 1} variant(s)"
        )
    return report
