"""Checks of a question bank beyond its schema, before an exam goes out.

`grader validate` runs every checker's own configuration check on every question
(``checker_problems``): the check that checker runs at grading time, before it reads an
answer, on the configuration grading would give it (``grader.checks.checker_calls``), so a
question that would make every answer an ``error`` (a rubric point with neither keywords
nor a description, an expression key that does not parse, an MCQ key outside the options)
fails validation with the file, line and field to fix, instead. A rubric point without
keywords is matched only by the text model (the ``text`` extra) or a TA: when the model is
not active, ``matcher_warnings`` names each such point (a warning, not a failure).

`grader validate --deep/--variants N` goes further: every key is computed (variant 0 and N
random variants), option sets stay sensible, code cases are generated and the reference
runs on them with finite outputs, and every known-wrong *mutant* of a code question's
reference must fail at least one hidden case: a mutant that survives means the hidden
cases are too weak. A failing variant is reported with its number so the author can
reproduce it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from grader import checks
from grader.cases import build_args, build_cases, expected_outputs, extreme_dims, hidden_case_seed
from grader.checks._text import keywordless_points
from grader.code_jobs import CaseRule
from grader.cost_check import FLOP_SEED, flop_exponents, flops_of, sized_args
from grader.errors import AuthoringError, Problem
from grader.keys import ResolvedQuestion, resolve
from grader.known_mistakes import matching_distractor
from grader.loading import (
    LoadedBank,
    _yaml_files,
    exam_references_of_banks,
    load_bank,
    load_exam,
    resolve_ref,
)
from grader.sandbox._compare import tolerance_problems
from grader.schema import CodeQuestion, McqQuestion, MultipartQuestion, NumericQuestion, Question
from grader.text_model import Matcher, active_matcher
from grader.variants import PAPER_VARIANT

__all__ = [
    "DeepReport",
    "check_question",
    "checker_problems",
    "checker_problems_in",
    "deep_validate",
    "extreme_case_problems",
    "matcher_warnings",
    "matcher_warnings_in",
    "mutant_survivors",
    "question_checker_problems",
]


@dataclass
class DeepReport:
    """Lines to print and problems found."""

    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


# ------------------------------------------------------------- checker configuration

QuestionPath = tuple[str | int, ...]


def _code_parts(
    question: Question, at: QuestionPath
) -> Iterator[tuple[CodeQuestion, QuestionPath]]:
    if isinstance(question, CodeQuestion):
        yield question, at
    elif isinstance(question, MultipartQuestion):
        for i, part in enumerate(question.parts):
            yield from _code_parts(part, (*at, "parts", i))


def question_checker_problems(
    question: Question, rq: ResolvedQuestion, bank: LoadedBank, at: QuestionPath
) -> list[Problem]:
    """Every problem the checkers of ``question`` (at ``at`` in ``bank``) would raise at
    grading time in the variant ``rq``, each located at the question field that causes it."""
    problems: dict[str, Problem] = {}  # an expression's calls share their variables: keep each once
    for call in checks.checker_calls(question, rq, at=at):
        for found in checks.config_problems(call.checker, **call.config):
            p = bank.located.problem(
                call.where(found.field), f"question {call.question_id!r}: {found.message}"
            )
            problems.setdefault(str(p), p)
    if isinstance(question, NumericQuestion) and rq.key is not None:
        for i, d in enumerate(question.distractors):
            if matching_distractor(question, rq.key) is d:
                p = bank.located.problem(
                    (*at, "distractors", i, "value"),
                    f"question {question.id!r}: distractor {i + 1} is accepted as the right "
                    "answer (within the tolerance); give the wrong value the mistake gives",
                )
                problems.setdefault(str(p), p)
    for code, where in _code_parts(question, at):
        for key, message in tolerance_problems(code.compare.tolerances).items():
            p = bank.located.problem(
                (*where, "compare", "tolerances", key), f"question {code.id!r}: {message}"
            )
            problems.setdefault(str(p), p)
        for i, mutant in enumerate(code.mutants):
            if not mutant.message.strip():
                p = bank.located.problem(
                    (*where, "mutants", i),
                    f"question {code.id!r}: mutant {mutant.fn!r} has no message; write it as "
                    f"{{fn: {mutant.fn!r}, message: ...}} with the mistake in words a student "
                    "reads when their code behaves like it",
                )
                problems.setdefault(str(p), p)
    return list(problems.values())


def checker_problems(bank: LoadedBank, variant: int = PAPER_VARIANT) -> list[Problem]:
    """Every question of ``bank`` checked by its checkers' own configuration checks, in
    ``variant`` (its keys computed); a key that cannot be computed is a problem too."""
    problems: list[Problem] = []
    for qi, q in enumerate(bank.bank.questions):
        at: QuestionPath = ("questions", qi)
        try:
            rq = resolve(q, variant, folders=bank.reference_folders)
        except Exception as exc:  # noqa: BLE001 - author code; grading would fail the same way
            problems.append(
                bank.located.problem(
                    at,
                    f"question {q.id!r}: computing the key of variant {variant} "
                    f"failed: {type(exc).__name__}: {exc}",
                )
            )
            continue
        problems += question_checker_problems(q, rq, bank, at)
    return problems


def matcher_warnings(
    bank: LoadedBank,
    matcher: Callable[[], Matcher] = active_matcher,
    variant: int = PAPER_VARIANT,
) -> list[Problem]:
    """A warning for every rubric point of ``bank`` without keywords when the text model
    is not active (then only a TA can find the point). ``matcher`` is asked only when such
    a point exists, so a bank that needs no model never loads it."""
    found: list[tuple[str, QuestionPath, str]] = []
    for qi, q in enumerate(bank.bank.questions):
        try:
            rq = resolve(q, variant, folders=bank.reference_folders)
        except Exception:  # noqa: BLE001 - checker_problems reports a key that fails
            continue
        for call in checks.checker_calls(q, rq, at=("questions", qi)):
            if call.checker == "text":
                found += [
                    (call.question_id, call.where(("rubric", k)), point_id)
                    for k, point_id in keywordless_points(call.config["rubric"])
                ]
    if not found:
        return []
    active = matcher()
    if active.kind == "model":
        return []
    return [
        bank.located.problem(
            where,
            f"question {qid!r}: rubric point {point_id!r} has no keywords, so only the text "
            f"model or a TA can find it, and the model is not active ({active.reason}); "
            "install the `text` extra (`make setup`) or add keywords",
        )
        for qid, where, point_id in found
    ]


def _is_bank_text(text: str) -> bool:
    return text.lstrip().startswith("bank:") or "\nbank:" in text


def _loaded_banks(paths: Iterable[str | Path]) -> Iterator[LoadedBank]:
    """The banks under ``paths`` and those the exams under ``paths`` use, each once; files
    that do not load are skipped (``validate_paths`` reports them)."""
    seen: set[Path] = set()
    files = _yaml_files(paths)
    exam_references = exam_references_of_banks(f for f in files if f.is_file())
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
            if _is_bank_text(text):
                references = exam_references.get(path.resolve(), ())
                banks: tuple[LoadedBank, ...] = (load_bank(path, references),)
            elif text.lstrip().startswith("exam:") or "\nexam:" in text:
                banks = load_exam(path).banks
            else:
                continue
        except (OSError, UnicodeDecodeError, AuthoringError):
            continue
        for bank in banks:
            if bank.path.resolve() not in seen:
                seen.add(bank.path.resolve())
                yield bank


def matcher_warnings_in(
    paths: Iterable[str | Path], matcher: Callable[[], Matcher] = active_matcher
) -> list[Problem]:
    """``matcher_warnings`` of every bank found under ``paths``."""
    return [w for bank in _loaded_banks(paths) for w in matcher_warnings(bank, matcher)]


def checker_problems_in(paths: Iterable[str | Path]) -> list[Problem]:
    """``checker_problems`` of every bank under ``paths`` (what `grader validate` adds)."""
    return [p for bank in _loaded_banks(paths) for p in checker_problems(bank)]


# ------------------------------------------------------------------------ deep checks


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
        if not _is_bank_text(text):
            continue
        bank = load_bank(path, exam_references.get(path.resolve(), ()))
        # Every code question and every code part of a multipart question: each is checked.
        n_code = sum(1 for q in bank.bank.questions for _ in _code_parts(q, ()))
        for q in bank.bank.questions:
            report.problems += check_question(q, bank, variants)
        report.lines.append(
            f"{path}: {len(bank.bank.questions)} questions ({n_code} code parts) checked at "
            f"{variants + 1} variant(s)"
        )
    return report
