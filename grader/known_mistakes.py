"""Known mistakes: a failing answer that behaves like one of the author's wrong versions.

A code question's ``mutants`` are wrong versions of its reference, each with a message in
the author's words. When a student's code fails, ``matching_mutant`` runs each mutant here
(trusted author code, outside the sandbox, like the reference) on the cases the student
failed, and compares the student's values with the mutant's under the question's own rule
and tolerances. The first mutant, in the author's order, that the student matches on every
failing case names the mistake. Nothing is worded from the cases: the student reads only
the author's message.

A mutant's output is computed lazily, only for failing answers, once per (question,
variant, case) and mutant in a process.

Numeric and expression questions have the same idea as ``distractors``: wrong values or
formulas a common mistake gives (``matching_distractor``, ``matching_formula``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from grader.cases import BuiltCase
from grader.checks import check_expression, check_numeric
from grader.code_jobs import CaseRule
from grader.loading import resolve_ref
from grader.sandbox import CaseOutcome
from grader.schema import CodeQuestion, ExpressionQuestion, NumericQuestion
from grader.schema.questions import Distractor, FormulaDistractor, Mutant

__all__ = ["matching_distractor", "matching_formula", "matching_mutant"]

_RAISED = object()
"""A mutant's output on a case where it raised: matches nothing."""

_cache: dict[tuple[Any, ...], tuple[object, Any]] = {}
_cache_lock = threading.Lock()
_CACHE_SIZE = 4096
"""Mutant outputs are kept apart from ``code_jobs.memoized``'s keys: a class's failing
answers must not push the reference outputs every student needs out of that smaller cache."""


def _mutant_output(
    question: CodeQuestion,
    mutant: Mutant,
    case: BuiltCase,
    key: tuple[Any, ...],
    folders: Sequence[Any],
) -> Any:
    """``mutant``'s output on ``case`` (``_RAISED`` when it raises), computed once per
    process for ``key`` (the question, its params and variant, the case)."""
    full = (*key, mutant.fn)
    with _cache_lock:
        hit = _cache.get(full)
        if hit is not None and hit[0] is question:
            return hit[1]
    try:
        value = resolve_ref(mutant.fn, folders)(*case.reference_args)
    except Exception:  # noqa: BLE001 - a mutant that raises matches no student value
        value = _RAISED
    with _cache_lock:
        if len(_cache) >= _CACHE_SIZE:
            _cache.clear()
        _cache[full] = (question, value)
    return value


def matching_mutant(
    question: CodeQuestion,
    rule: CaseRule,
    device: str,
    cases: Sequence[BuiltCase],
    outcomes: Sequence[CaseOutcome],
    failing: Sequence[int],
    *,
    params: Mapping[str, Any],
    variant: int,
    folders: Sequence[Any] = (),
) -> Mutant | None:
    """The first of the question's mutants whose output the student's code matches on every
    case in ``failing`` (indices into ``cases``); None when none does, when a failing case
    returned no value, or when nothing failed."""
    if not failing or not question.mutants:
        return None
    if any(outcomes[i].status != "ok" for i in failing):
        return None
    where = (id(question), json.dumps(params, sort_keys=True, default=str), variant)
    for mutant in question.mutants:
        matched = True
        for i in failing:
            case = cases[i]
            key = (*where, i, case.visible, case.name, case.seed)
            got = _mutant_output(question, mutant, case, key, folders)
            if got is _RAISED or not rule.matches(got, outcomes[i].value, device).passed:
                matched = False
                break
        if matched:
            return mutant
    return None


def matching_distractor(question: NumericQuestion, answer: Any) -> Distractor | None:
    """The first of the question's distractors that ``answer`` equals within the question's
    tolerance; None when none does or the answer is not a number of the right shape."""
    tolerance = question.tolerance
    for distractor in question.distractors:
        try:
            result = check_numeric(
                answer, expected=distractor.value, atol=tolerance.abs, rtol=tolerance.rel
            )
        except ValueError:  # a distractor that is not a number: validate reports it
            continue
        if result.status == "correct":
            return distractor
    return None


def matching_formula(question: ExpressionQuestion, answer: Any) -> FormulaDistractor | None:
    """The first of the question's formula distractors that ``answer`` equals under the
    question's own equivalence (the expression checker, as for the key); None otherwise."""
    variables = {
        name: v.model_dump(exclude={"description"}) for name, v in question.variables.items()
    }
    for distractor in question.distractors:
        try:
            result = check_expression(
                answer,
                expected=distractor.formula,
                variables=variables,
                mode=question.equivalence,
                functions=question.functions,
                allow_sum=question.allow_sum,
            )
        except ValueError:  # a distractor that does not parse: validate reports it
            continue
        if result.status == "correct":
            return distractor
    return None
