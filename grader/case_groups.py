"""Marks of a code answer per group of cases (a question's ``groups``) and weighted shares.

Cases are laid out as ``build_cases`` builds them: visible cases, then ``hidden.extra``,
then the seeded random hidden cases. A group earns its marks when every case in it passes
(``all_or_nothing``) or the passing cases' share of its weight (``proportional``). Cases in
no group form ``OTHER_CASES``, worth what the groups leave, all or nothing unless the
question's scoring policy is ``partial``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from grader.schema import CodeQuestion
from grader.schema.groups import OTHER_CASES, RANDOM_CASES

__all__ = ["GroupScore", "case_weights", "weighted_share", "group_scores", "group_line"]


@dataclass(frozen=True)
class GroupScore:
    """What one group of cases earned."""

    name: str
    marks: float
    max_marks: float
    passed: int
    total: int


def _names_and_weights(question: CodeQuestion, n_cases: int) -> list[tuple[str, float]]:
    """(name a group uses, weight) of each of the ``n_cases`` built cases."""
    hidden = question.hidden
    out = [(spec.name, spec.weight) for spec in question.visible]
    if hidden is not None:
        out += [(spec.name, spec.weight) for spec in hidden.extra]
        out += [(RANDOM_CASES, hidden.weight)] * max(0, n_cases - len(out))
    return out[:n_cases]


def case_weights(question: CodeQuestion, n_cases: int) -> list[float]:
    """Each built case's weight (1 unless the bank says otherwise)."""
    return [w for _, w in _names_and_weights(question, n_cases)]


def weighted_share(weights: Sequence[float], passed: Sequence[bool]) -> float:
    """The passing cases' share of the total weight (0 for no case)."""
    whole = math.fsum(weights)
    return (
        math.fsum(w for w, ok in zip(weights, passed, strict=True) if ok) / whole if whole else 0.0
    )


def _earned(marks: float, proportional: bool, weights: list[float], passed: list[bool]) -> float:
    if not passed:
        return 0.0
    share = weighted_share(weights, passed) if proportional else float(all(passed))
    return round(marks * share, 9)


def group_scores(question: CodeQuestion, passed: Sequence[bool]) -> list[GroupScore]:
    """What each group (then the implicit ``OTHER_CASES`` group, when some case is in no
    group) earned, given which built cases passed. A group none of whose cases ran (the
    hidden cases were not built) earns nothing."""
    layout = _names_and_weights(question, len(passed))
    scores: list[GroupScore] = []
    grouped: set[str] = set()
    for group in question.groups:
        members = set(group.cases)
        grouped |= members
        picked = [i for i, (name, _) in enumerate(layout) if name in members]
        ok, weights = [passed[i] for i in picked], [layout[i][1] for i in picked]
        marks = _earned(group.marks, group.scoring == "proportional", weights, ok)
        scores.append(GroupScore(group.name, marks, group.marks, sum(ok), len(ok)))
    rest = [i for i, (name, _) in enumerate(layout) if not name or name not in grouped]
    left = round(question.marks - math.fsum(g.marks for g in question.groups), 9)
    if left > 0:
        ok, weights = [passed[i] for i in rest], [layout[i][1] for i in rest]
        partial = "scoring" in question.model_fields_set and question.scoring.policy == "partial"
        marks = _earned(left, partial, weights, ok)
        scores.append(GroupScore(OTHER_CASES, marks, left, sum(ok), len(ok)))
    return scores


def group_line(g: GroupScore) -> str:
    """What a student reads: "stability: 0 of 1 mark (2 of 3 cases)"."""
    unit = "mark" if g.max_marks == 1 else "marks"
    cases = "case" if g.total == 1 else "cases"
    return f"{g.name}: {g.marks:g} of {g.max_marks:g} {unit} ({g.passed} of {g.total} {cases})"
